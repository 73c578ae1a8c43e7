package io.protobase.codec;

import io.protobase.collection.DbObject;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Exact equality of decoded values: same class (an {@code Integer} is not a {@code Long}), doubles
 * by their raw bits (NaN payloads, {@code -0.0}), BigDecimals with their scale, arrays, lists and
 * records by content, enum constants by identity.
 */
final class ExactValues {

    private ExactValues() {
    }

    static void assertExactlyEqual(Object actual, Object expected) {
        String difference = difference(expected, actual, "value");
        if (difference != null) {
            throw new AssertionError(difference + "\n  expected: " + describe(expected) + "\n  actual:   "
                    + describe(actual));
        }
    }

    /** Returns where {@code actual} differs from {@code expected}, or {@code null} when they are exactly equal. */
    static String difference(Object expected, Object actual, String path) {
        if (expected == null || actual == null) {
            return expected == actual ? null : path + ": one of the values is null";
        }
        if (expected instanceof List<?> e) {
            if (!(actual instanceof List<?> a)) {
                return path + ": expected a List, got " + actual.getClass().getName();
            }
            if (e.size() != a.size()) {
                return path + ": list size " + a.size() + " instead of " + e.size();
            }
            for (int i = 0; i < e.size(); i++) {
                String d = difference(e.get(i), a.get(i), path + "[" + i + "]");
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (expected.getClass() != actual.getClass()) {
            return path + ": type " + actual.getClass().getName() + " instead of " + expected.getClass().getName();
        }
        if (expected instanceof Double e) {
            long eb = Double.doubleToRawLongBits(e);
            long ab = Double.doubleToRawLongBits((Double) actual);
            return eb == ab ? null : path + ": double bits " + Long.toHexString(ab) + " instead of "
                    + Long.toHexString(eb);
        }
        if (expected instanceof byte[] e) {
            return Arrays.equals(e, (byte[]) actual) ? null : path + ": different bytes";
        }
        if (expected instanceof Enum<?>) {
            return expected == actual ? null : path + ": a different enum constant";
        }
        if (expected instanceof DbObject e) {
            DbObject a = (DbObject) actual;
            if (!e.names().equals(a.names())) {
                return path + ": attribute names " + a.names() + " instead of " + e.names();
            }
            for (String name : e.names()) {
                String d = difference(e.getAt(name), a.getAt(name), path + "." + name);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        // BigDecimal.equals compares value and scale: 1.50 is not 1.5
        return expected.equals(actual) ? null : path + ": " + actual + " instead of " + expected;
    }

    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof byte[] b) {
            return "byte[" + HexFormat.of().formatHex(b) + "]";
        }
        if (v instanceof Double d) {
            return d + " (bits " + Long.toHexString(Double.doubleToRawLongBits(d)) + ")";
        }
        if (v instanceof List<?> l) {
            return l.stream().map(ExactValues::describe).toList().toString();
        }
        return v + " (" + v.getClass().getName() + ")";
    }
}
