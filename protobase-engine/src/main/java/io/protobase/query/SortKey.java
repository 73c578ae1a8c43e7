package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.Comparator;
import java.util.Objects;
import java.util.function.Function;

/**
 * One key of an {@link OrderByPlan}: a value read from each record, a direction, and where missing
 * values ({@code null}, absent fields) go. Non-missing values are ordered by {@link
 * io.protobase.codec.ValueOrder}: numbers numerically whatever their Java type, and values of
 * different type groups by group ({@code Boolean < numbers < String < ...}). Unless set otherwise,
 * missing values sort as if larger than every value, as in PostgreSQL: last when ascending, first
 * when descending. For example {@code orderBy(SortKey.desc("price").nullsLast(), SortKey.asc("name"))}.
 *
 * @param extractor   reads the sort value from a record
 * @param description how {@code explain()} shows the key
 * @param descending  whether larger values come first
 * @param nulls       where missing values go
 */
public record SortKey(Function<@Nullable Object, ?> extractor, String description, boolean descending, Nulls nulls) {

    /** Where missing values go. */
    public enum Nulls {
        /** Missing values before every value. */
        FIRST,
        /** Missing values after every value. */
        LAST
    }

    /**
     * Checks the parts; the factory methods are the usual way to make one.
     *
     * @param extractor   reads the sort value from a record, not {@code null}
     * @param description how {@code explain()} shows the key, not {@code null}
     * @param descending  whether larger values come first
     * @param nulls       where missing values go, not {@code null}
     */
    public SortKey {
        Objects.requireNonNull(extractor, "extractor");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(nulls, "nulls");
    }

    /**
     * Ascending by a dotted field path, missing values last: {@code SortKey.asc("price")}.
     *
     * @param path the dotted path of the sort value
     * @return the sort key
     * @throws QueryException if the path is malformed
     */
    public static SortKey asc(String path) {
        Field f = Field.of(path);
        return new SortKey(f, f.toString(), false, Nulls.LAST);
    }

    /**
     * Descending by a dotted field path, missing values first: {@code SortKey.desc("price")}.
     *
     * @param path the dotted path of the sort value
     * @return the sort key
     * @throws QueryException if the path is malformed
     */
    public static SortKey desc(String path) {
        Field f = Field.of(path);
        return new SortKey(f, f.toString(), true, Nulls.FIRST);
    }

    /**
     * Ascending by a computed value, missing values last.
     *
     * @param extractor computes the sort value from a record, not {@code null}; it may return {@code null}
     * @return the sort key
     */
    public static SortKey asc(Function<@Nullable Object, ?> extractor) {
        return new SortKey(extractor, extractor instanceof Field f ? f.toString() : "lambda", false, Nulls.LAST);
    }

    /**
     * Descending by a computed value, missing values first.
     *
     * @param extractor computes the sort value from a record, not {@code null}; it may return {@code null}
     * @return the sort key
     */
    public static SortKey desc(Function<@Nullable Object, ?> extractor) {
        return new SortKey(extractor, extractor instanceof Field f ? f.toString() : "lambda", true, Nulls.FIRST);
    }

    /**
     * This key with missing values first.
     *
     * @return a new key; this one is unchanged
     */
    public SortKey nullsFirst() {
        return new SortKey(extractor, description, descending, Nulls.FIRST);
    }

    /**
     * This key with missing values last.
     *
     * @return a new key; this one is unchanged
     */
    public SortKey nullsLast() {
        return new SortKey(extractor, description, descending, Nulls.LAST);
    }

    /** Orders records by this key. */
    Comparator<Object> comparator() {
        return (a, b) -> {
            Object x = extractor.apply(a);
            Object y = extractor.apply(b);
            boolean mx = ValueSemantics.missing(x);
            boolean my = ValueSemantics.missing(y);
            if (mx || my) {
                if (mx && my) {
                    return 0;
                }
                return (mx ? -1 : 1) * (nulls == Nulls.FIRST ? 1 : -1);
            }
            int c = ValueSemantics.compareTotal(x, y, "sort key " + description);
            return descending ? -c : c;
        };
    }

    @Override
    public String toString() {
        return description + (descending ? " desc" : " asc") + " nulls "
                + nulls.name().toLowerCase(java.util.Locale.ROOT);
    }
}
