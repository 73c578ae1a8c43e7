package io.protobase.query;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.ValueOrder;
import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

import java.util.Objects;

/**
 * The comparison rules every expression, sort, group and join key uses, in one place so the scan
 * path and the index path cannot drift apart: values compare under {@link ValueOrder} when they are
 * in the same type group (so {@code 1 == 1L == 1.0 == 1.00}); {@code null} and {@link
 * FieldPath#ABSENT} are <em>missing</em>; values {@code ValueOrder} cannot order (a {@code Float}, a
 * collection, an arbitrary object in a plain {@code Iterable}) are equal only by {@link
 * Object#equals} and have no order.
 */
final class ValueSemantics {

    private static final ValueOrder ORDER = ValueOrder.INSTANCE;

    private ValueSemantics() {
    }

    static boolean missing(@Nullable Object v) {
        return v == null || v == FieldPath.ABSENT;
    }

    /** Whether {@code v} is a key {@code ValueOrder} can order (and an index can hold). */
    static boolean orderable(@Nullable Object v) {
        try {
            ValueOrder.requireOrderable(v);
            return true;
        } catch (UnsupportedValueException e) {
            return false;
        }
    }

    /** The order of two non-missing values of one type group, or {@code null} when they have none. */
    static @Nullable Integer compareWithinGroup(@Nullable Object a, @Nullable Object b) {
        try {
            return ORDER.comparable(a, b) ? ORDER.compare(a, b) : null;
        } catch (UnsupportedValueException e) {
            return null;
        }
    }

    /** SQL equality: UNKNOWN with a missing side, FALSE across type groups. */
    static Truth equal(@Nullable Object a, @Nullable Object b) {
        if (missing(a) || missing(b)) {
            return Truth.UNKNOWN;
        }
        Integer c = compareWithinGroup(a, b);
        return Truth.of(c != null ? c == 0 : Objects.equals(a, b));
    }

    /**
     * SQL ordering: UNKNOWN with a missing side or across type groups; else {@code sign(a - b)} tested by {@code test}.
     */
    static Truth order(@Nullable Object a, @Nullable Object b, java.util.function.IntPredicate test) {
        if (missing(a) || missing(b)) {
            return Truth.UNKNOWN;
        }
        Integer c = compareWithinGroup(a, b);
        return c == null ? Truth.UNKNOWN : Truth.of(test.test(c));
    }

    /**
     * The total order used by sorting, min and max: {@code ValueOrder} across all groups. Throws a
     * {@link QueryException} naming {@code what} for values it cannot order.
     */
    static int compareTotal(@Nullable Object a, @Nullable Object b, String what) {
        try {
            return ORDER.compare(a, b);
        } catch (UnsupportedValueException e) {
            throw new QueryException("Cannot order the values of " + what + ": " + describe(a) + " and " + describe(b)
                    + " are not orderable (orderable values are null, booleans, numbers except Float, strings, byte[], "
                    + "UUIDs, dates and times, enums, lists of those and DbObjects); convert them in a select() first");
        }
    }

    static String describe(@Nullable Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
    }

    /** A value for display in expressions and explain output. */
    static String show(@Nullable Object v) {
        if (v instanceof String s) {
            return "'" + s.replace("'", "''") + "'";
        }
        return String.valueOf(v);
    }
}
