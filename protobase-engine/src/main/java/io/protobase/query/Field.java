package io.protobase.query;

import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.Function;

/**
 * The expression DSL's entry point: a dotted path into records ({@code DbObject} attributes,
 * {@code Dictionary}/{@code HashDictionary}/{@code Map} keys) with one method per operator, each
 * returning an {@link Expression}: {@code Field.of("address.city").eq("Oslo")}. See {@link Expression}
 * for what each comparison means with nulls, absent fields and mixed types.
 *
 * <p>A field is also the function reading its value ({@code null} when absent), so it can serve as a
 * key selector: {@code orderBy(Field.of("price"))}, {@code groupBy(Field.of("category"))}.
 */
public final class Field implements Function<@Nullable Object, @Nullable Object> {

    private final FieldPath path;

    private Field(FieldPath path) {
        this.path = path;
    }

    /**
     * The field at a dotted path: {@code Field.of("address.city")}.
     *
     * @param path the steps separated by dots, each non-empty
     * @return the field
     * @throws QueryException if the path has an empty step ({@code "a..b"}, {@code ".a"})
     * @throws NullPointerException if {@code path} is {@code null}
     */
    public static Field of(String path) {
        try {
            return new Field(FieldPath.of(path));
        } catch (IllegalArgumentException e) {
            throw new QueryException(e.getMessage());
        }
    }

    /**
     * The field at an already parsed path.
     *
     * @param path the path, not {@code null}
     * @return the field
     */
    public static Field of(FieldPath path) {
        return new Field(path);
    }

    /**
     * The path this field reads.
     *
     * @return the parsed path
     */
    public FieldPath path() {
        return path;
    }

    /**
     * Reads the field's value in a record.
     *
     * @param record the record; a {@code null} or a record without the field gives {@code null}
     * @return the value, or {@code null} when it is {@code null} or absent
     */
    @Override
    public @Nullable Object apply(@Nullable Object record) {
        Object v = path.extract(record);
        return v == FieldPath.ABSENT ? null : v;
    }

    /**
     * The field equals {@code value}: {@code Field.of("status").eq("open")}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null} (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression eq(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.EQ, value);
    }

    /**
     * The field differs from {@code value}: {@code Field.of("status").ne("closed")}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null} (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression ne(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.NE, value);
    }

    /**
     * The field is less than {@code value}: {@code Field.of("price").lt(100)}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null},
     * and for values of different type groups (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression lt(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.LT, value);
    }

    /**
     * The field is less than or equal to {@code value}: {@code Field.of("price").le(100)}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null},
     * and for values of different type groups (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression le(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.LE, value);
    }

    /**
     * The field is greater than {@code value}: {@code Field.of("stock").gt(0)}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null},
     * and for values of different type groups (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression gt(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.GT, value);
    }

    /**
     * The field is greater than or equal to {@code value}: {@code Field.of("rating").ge(4)}.
     * {@code UNKNOWN} when the field is missing or {@code value} is {@code null},
     * and for values of different type groups (see {@link Expression}).
     *
     * @param value the constant to compare with; a {@code null} makes the comparison {@code UNKNOWN}
     * @return the comparison, usable in {@link Query#where(Expression)} and by the index optimizer
     */
    public Expression ge(@Nullable Object value) {
        return new Expression.Comparison(path, Expression.Operator.GE, value);
    }

    /**
     * The field equals one of the values: {@code Field.of("status").in("open", "pending")}.
     *
     * @param values the candidates; {@code null} elements never match
     * @return the disjunction of equalities
     */
    public Expression in(@Nullable Object... values) {
        return new Expression.In(path, Arrays.asList(values));
    }

    /**
     * The field equals one of the values, copied when this is called.
     *
     * @param values the candidates, not {@code null}; {@code null} elements never match
     * @return the disjunction of equalities
     */
    public Expression in(Collection<? extends @Nullable Object> values) {
        return new Expression.In(path, new java.util.ArrayList<@Nullable Object>(values));
    }

    /**
     * The field lies between {@code low} and {@code high}, both included, as SQL's {@code BETWEEN}:
     * {@code Field.of("price").between(10, 20)}.
     *
     * @param low  the lower end; {@code null} makes the comparison {@code UNKNOWN}
     * @param high the upper end; {@code null} makes the comparison {@code UNKNOWN}
     * @return the range comparison
     */
    public Expression between(@Nullable Object low, @Nullable Object high) {
        return between(low, high, Bounds.CLOSED);
    }

    /**
     * The field lies between {@code low} and {@code high}, each end included or not as {@code bounds}
     * says: {@code Field.of("price").between(10, 20, Bounds.CLOSED_OPEN)}.
     *
     * @param low    the lower end; {@code null} makes the comparison {@code UNKNOWN}
     * @param high   the upper end; {@code null} makes the comparison {@code UNKNOWN}
     * @param bounds which ends are included, not {@code null}
     * @return the range comparison
     */
    public Expression between(@Nullable Object low, @Nullable Object high, Bounds bounds) {
        return new Expression.Between(path, low, high, bounds);
    }

    /**
     * The field lies between {@code low} and {@code high}, with the ends written in interval notation:
     * {@code Field.of("price").between(10, 20, "[)")}.
     *
     * @param low    the lower end; {@code null} makes the comparison {@code UNKNOWN}
     * @param high   the upper end; {@code null} makes the comparison {@code UNKNOWN}
     * @param bounds {@code "[]"}, {@code "()"}, {@code "[)"} or {@code "(]"}
     * @return the range comparison
     * @throws QueryException if {@code bounds} is none of these
     */
    public Expression between(@Nullable Object low, @Nullable Object high, String bounds) {
        return between(low, high, Bounds.of(bounds));
    }

    /**
     * The field is a string containing {@code value}, a collection with an element equal to it, or a
     * map with such a key: {@code Field.of("tags").contains("sale")} (see {@link Expression.Contains}).
     *
     * @param value the substring, element or key; {@code null} makes the test {@code UNKNOWN}
     * @return the containment test
     */
    public Expression contains(@Nullable Object value) {
        return new Expression.Contains(path, value);
    }

    /**
     * The field is a string starting with {@code prefix}: {@code Field.of("sku").startsWith("EL-")}.
     *
     * @param prefix the prefix; {@code null} makes the test {@code UNKNOWN}
     * @return the prefix test
     */
    public Expression startsWith(@Nullable String prefix) {
        return new Expression.StartsWith(path, prefix);
    }

    /**
     * The field is {@code null} or absent; never {@code UNKNOWN}.
     *
     * @return the null test
     */
    public Expression isNull() {
        return new Expression.IsNull(path);
    }

    /**
     * The field is present and not {@code null}; never {@code UNKNOWN}.
     *
     * @return the not-null test
     */
    public Expression isNotNull() {
        return new Expression.IsNotNull(path);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
