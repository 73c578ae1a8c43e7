package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One aggregate column of a {@link GroupByPlan}, named in the output row. As in SQL, every aggregate
 * except {@link #count(String)} and {@link #collect} skips missing values ({@code null}, absent
 * fields); {@code sum} and {@code avg} also skip values that are not numbers.
 * <ul>
 *   <li>{@code count(name)}: the number of records in the group; {@code count(name, path)}: of
 *       non-missing values;</li>
 *   <li>{@code sum}: exact over {@code Integer}/{@code Long} (a {@code Long}; a {@code BigDecimal} on
 *       overflow), a {@code BigDecimal} when {@code BigDecimal}/{@code BigInteger} values are involved,
 *       a {@code Double} as soon as one value is a {@code Double}; {@code null} when no value counted;</li>
 *   <li>{@code avg}: a {@code Double}, {@code null} when no value counted;</li>
 *   <li>{@code min}/{@code max}: under {@link io.protobase.codec.ValueOrder} (numbers numerically;
 *       across type groups by group order), {@code null} when no value counted;</li>
 *   <li>{@code collect}: an unmodifiable list of the records (or of the values at a path, missing
 *       ones as {@code null}) in input order.</li>
 * </ul>
 * For example {@code Query.from(products).groupBy(List.of("category"), Aggregate.count("n"),
 * Aggregate.max("top", "price"))} gives rows {@code {category: ..., n: ..., top: ...}}.
 *
 * @param name        the column's name in the output row
 * @param kind        what the aggregate computes
 * @param value       reads the aggregated value from a record
 * @param description how {@code explain()} shows the aggregate
 */
public record Aggregate(String name, Kind kind, Function<@Nullable Object, ?> value, String description) {

    /** What an aggregate computes. */
    public enum Kind {
        /** The number of records. */
        COUNT,
        /** The number of non-missing values. */
        COUNT_VALUES,
        /** The sum of the numeric values. */
        SUM,
        /** The mean of the numeric values, as a {@code Double}. */
        AVG,
        /** The smallest value. */
        MIN,
        /** The largest value. */
        MAX,
        /** All values, missing ones as {@code null}, in input order. */
        COLLECT
    }

    /**
     * Checks the parts; the factory methods are the usual way to make one.
     *
     * @param name        the column's name in the output row, not {@code null}
     * @param kind        what the aggregate computes, not {@code null}
     * @param value       reads the aggregated value from a record, not {@code null}
     * @param description how {@code explain()} shows the aggregate
     */
    public Aggregate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    /**
     * The number of records in the group, as a {@code Long}: {@code Aggregate.count("n")}.
     *
     * @param name the column's name in the output row
     * @return the aggregate
     */
    public static Aggregate count(String name) {
        return new Aggregate(name, Kind.COUNT, r -> r, "count(*)");
    }

    /**
     * The number of records whose value at {@code path} is not missing, as a {@code Long}:
     * {@code Aggregate.count("rated", "rating")}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate count(String name, String path) {
        return of(name, Kind.COUNT_VALUES, path);
    }

    /**
     * The sum of the numeric values at {@code path} ({@code null} when there is none):
     * {@code Aggregate.sum("total", "price")}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate sum(String name, String path) {
        return of(name, Kind.SUM, path);
    }

    /**
     * The mean of the numeric values at {@code path}, a {@code Double} ({@code null} when there is none):
     * {@code Aggregate.avg("avgPrice", "price")}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate avg(String name, String path) {
        return of(name, Kind.AVG, path);
    }

    /**
     * The smallest value at {@code path} ({@code null} when there is none): {@code Aggregate.min("cheapest", "price")}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate min(String name, String path) {
        return of(name, Kind.MIN, path);
    }

    /**
     * The largest value at {@code path} ({@code null} when there is none): {@code Aggregate.max("top", "price")}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate max(String name, String path) {
        return of(name, Kind.MAX, path);
    }

    /**
     * The records of the group, as an unmodifiable list in input order.
     *
     * @param name the column's name in the output row
     * @return the aggregate
     */
    public static Aggregate collect(String name) {
        return new Aggregate(name, Kind.COLLECT, r -> r, "collect(*)");
    }

    /**
     * The values at {@code path} of the records of the group, as an unmodifiable list in input order,
     * missing values as {@code null}.
     *
     * @param name the column's name in the output row
     * @param path the dotted path of the value
     * @return the aggregate
     * @throws QueryException if the path is malformed
     */
    public static Aggregate collect(String name, String path) {
        return of(name, Kind.COLLECT, path);
    }

    /**
     * An aggregate of any kind over a computed value:
     * {@code Aggregate.of("revenue", Kind.SUM, r -> price(r) * quantity(r))}.
     *
     * @param name  the column's name in the output row, not {@code null}
     * @param kind  what the aggregate computes, not {@code null}
     * @param value computes the aggregated value from a record, not {@code null}; it may return
     *              {@code null} (a missing value)
     * @return the aggregate
     */
    public static Aggregate of(String name, Kind kind, Function<@Nullable Object, ?> value) {
        return new Aggregate(name, kind, value, kind.name().toLowerCase(java.util.Locale.ROOT) + "(lambda)");
    }

    private static Aggregate of(String name, Kind kind, String path) {
        return new Aggregate(name, kind, Field.of(path),
                kind.name().toLowerCase(java.util.Locale.ROOT) + "(" + path + ")");
    }

    Accumulator accumulator() {
        return new Accumulator(this);
    }

    @Override
    public String toString() {
        return name + "=" + description;
    }

    /** The running state of one aggregate over one group. */
    static final class Accumulator {
        private final Aggregate aggregate;
        private long count;
        private long longSum;
        private @Nullable BigDecimal decimalSum;
        private double doubleSum;
        private boolean sawDouble;
        private @Nullable Object extreme;
        private @Nullable List<@Nullable Object> collected;

        Accumulator(Aggregate aggregate) {
            this.aggregate = aggregate;
        }

        void add(@Nullable Object record) {
            Object v = aggregate.value.apply(record);
            switch (aggregate.kind) {
                case COUNT -> count++;
                case COUNT_VALUES -> count += ValueSemantics.missing(v) ? 0 : 1;
                case SUM, AVG -> addNumber(v);
                case MIN, MAX -> addExtreme(v);
                case COLLECT -> {
                    if (collected == null) {
                        collected = new ArrayList<>();
                    }
                    collected.add(v == io.protobase.index.FieldPath.ABSENT ? null : v);
                }
                default -> throw new IllegalStateException(aggregate.kind.name());
            }
        }

        private void addNumber(Object v) {
            if (v instanceof Integer || v instanceof Long) {
                long x = ((Number) v).longValue();
                long s = longSum + x;
                if (((longSum ^ s) & (x ^ s)) < 0) {
                    decimalSum = decimal().add(BigDecimal.valueOf(longSum)).add(BigDecimal.valueOf(x));
                    longSum = 0;
                } else {
                    longSum = s;
                }
            } else if (v instanceof Double d) {
                doubleSum += d;
                sawDouble = true;
            } else if (v instanceof BigDecimal d) {
                decimalSum = decimal().add(d);
            } else if (v instanceof BigInteger i) {
                decimalSum = decimal().add(new BigDecimal(i));
            } else {
                return;
            }
            count++;
        }

        private BigDecimal decimal() {
            return decimalSum == null ? BigDecimal.ZERO : decimalSum;
        }

        private void addExtreme(Object v) {
            if (ValueSemantics.missing(v)) {
                return;
            }
            if (extreme == null) {
                extreme = v;
                return;
            }
            int c = ValueSemantics.compareTotal(v, extreme, aggregate.description);
            if (aggregate.kind == Kind.MIN ? c < 0 : c > 0) {
                extreme = v;
            }
        }

        @Nullable Object result() {
            return switch (aggregate.kind) {
                case COUNT, COUNT_VALUES -> count;
                case SUM -> count == 0 ? null : sum();
                case AVG -> count == 0 ? null : sumAsDouble() / count;
                case MIN, MAX -> extreme;
                case COLLECT -> collected == null ? List.of() : Collections.unmodifiableList(collected);
            };
        }

        private Object sum() {
            if (sawDouble) {
                return sumAsDouble();
            }
            if (decimalSum != null) {
                return decimalSum.add(BigDecimal.valueOf(longSum));
            }
            return longSum;
        }

        private double sumAsDouble() {
            double s = doubleSum + longSum;
            return decimalSum == null ? s : s + decimalSum.doubleValue();
        }
    }
}
