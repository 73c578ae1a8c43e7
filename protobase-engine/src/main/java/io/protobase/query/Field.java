package io.protobase.query;

import io.protobase.index.FieldPath;

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
public final class Field implements Function<Object, Object> {

    private final FieldPath path;

    private Field(FieldPath path) {
        this.path = path;
    }

    /** The field at a dotted path. */
    public static Field of(String path) {
        try {
            return new Field(FieldPath.of(path));
        } catch (IllegalArgumentException e) {
            throw new QueryException(e.getMessage());
        }
    }

    /** The field at a parsed path. */
    public static Field of(FieldPath path) {
        return new Field(path);
    }

    public FieldPath path() {
        return path;
    }

    /** The field's value in {@code record}; {@code null} when absent. */
    @Override
    public Object apply(Object record) {
        Object v = path.extract(record);
        return v == FieldPath.ABSENT ? null : v;
    }

    public Expression eq(Object value) {
        return new Expression.Comparison(path, Expression.Operator.EQ, value);
    }

    public Expression ne(Object value) {
        return new Expression.Comparison(path, Expression.Operator.NE, value);
    }

    public Expression lt(Object value) {
        return new Expression.Comparison(path, Expression.Operator.LT, value);
    }

    public Expression le(Object value) {
        return new Expression.Comparison(path, Expression.Operator.LE, value);
    }

    public Expression gt(Object value) {
        return new Expression.Comparison(path, Expression.Operator.GT, value);
    }

    public Expression ge(Object value) {
        return new Expression.Comparison(path, Expression.Operator.GE, value);
    }

    /** Equal to one of the values. */
    public Expression in(Object... values) {
        return new Expression.In(path, Arrays.asList(values));
    }

    /** Equal to one of the values. */
    public Expression in(Collection<?> values) {
        return new Expression.In(path, new java.util.ArrayList<Object>(values));
    }

    /** Between {@code low} and {@code high}, both included. */
    public Expression between(Object low, Object high) {
        return between(low, high, Bounds.CLOSED);
    }

    /** Between {@code low} and {@code high} with the given bounds. */
    public Expression between(Object low, Object high, Bounds bounds) {
        return new Expression.Between(path, low, high, bounds);
    }

    /** Between {@code low} and {@code high} with bounds written {@code "[]"}, {@code "()"}, {@code "[)"} or {@code "(]"}. */
    public Expression between(Object low, Object high, String bounds) {
        return between(low, high, Bounds.of(bounds));
    }

    /** A string containing {@code value}, or a collection with an element (a map with a key) equal to it. */
    public Expression contains(Object value) {
        return new Expression.Contains(path, value);
    }

    public Expression startsWith(String prefix) {
        return new Expression.StartsWith(path, prefix);
    }

    public Expression isNull() {
        return new Expression.IsNull(path);
    }

    public Expression isNotNull() {
        return new Expression.IsNotNull(path);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
