package io.protobase.collection;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The families of keys and elements the collection properties use, each built from an int so a
 * generated operation stays small and shrinks well, and the two things the models need: a readable
 * rendering (so {@code 5} and {@code 5L} look different in a counterexample) and the canonical form
 * under which ProtoBase treats two values as the same key ({@code 5} and {@code 5L} are one key).
 */
enum KeyKind {
    INT,
    LONG,
    /** {@code "s" + n}, some with non-ASCII characters (2-, 3- and 4-byte UTF-8). */
    STRING,
    /** {@code n + 0.5}: a Double that never equals an integer key. */
    HALF,
    /** {@code (double) n}: a Double that IS the same key as {@code n} and {@code (long) n}. */
    WHOLE_DOUBLE,
    /** {@code n / 4} with scale 2 ({@code 1.25}, {@code 2.00}): every fourth is the same key as an integer. */
    DECIMAL,
    /** A BigInteger, the same key as {@code n}. */
    BIG_INTEGER,
    TUPLE,
    UUID,
    /** Extreme numbers of every type: the ends of int and long, ±0.0, NaN, infinities, beyond long. */
    EXTREME;

    private static final Object[] EXTREMES = {Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE,
        -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300, -1e-300, 0x1p63, -0x1p63,
        BigInteger.ONE.shiftLeft(64), BigInteger.ONE.shiftLeft(63), new BigDecimal("1E+30"),
        new BigDecimal("9223372036854775807.5"), new BigDecimal("-9223372036854775808"), (long) Integer.MAX_VALUE + 1};

    private static final String[] SUFFIXES = {"", "", "", "é", "日本", "\uD83D\uDE00", "ß-x"};

    Object of(int n) {
        return switch (this) {
            case INT -> n;
            case LONG -> (long) n;
            case STRING -> "s" + n + SUFFIXES[Math.floorMod(n, SUFFIXES.length)];
            case HALF -> n + 0.5;
            case WHOLE_DOUBLE -> (double) n;
            case DECIMAL -> BigDecimal.valueOf(n * 25L, 2);
            case BIG_INTEGER -> BigInteger.valueOf(n);
            case TUPLE -> List.of(n % 7, "t" + n);
            case UUID -> new java.util.UUID(n, ~n);
            case EXTREME -> EXTREMES[Math.floorMod(n, EXTREMES.length)];
        };
    }

    /** Renders a value with its type visible: {@code 5}, {@code 5L}, {@code 5.0d}, {@code "s5"}. */
    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Long l) {
            return l + "L";
        }
        if (v instanceof Double d) {
            return d + "d";
        }
        if (v instanceof BigDecimal d) {
            return d + "bd";
        }
        if (v instanceof BigInteger i) {
            return i + "bi";
        }
        if (v instanceof String s) {
            return s.length() <= 40 ? '"' + s + '"' : '"' + s.substring(0, 12) + "...\"(" + s.length() + " chars)";
        }
        if (v instanceof UUID u) {
            return "uuid(" + u.getMostSignificantBits() + ")";
        }
        if (v instanceof List<?> list) {
            return list.stream().map(KeyKind::show).collect(Collectors.joining(", ", "[", "]"));
        }
        return String.valueOf(v);
    }

    /** An object whose {@code toString()} is {@link #show}: for assertion descriptions, formatted only on failure. */
    static Object shown(Object v) {
        return new Object() {
            @Override
            public String toString() {
                return show(v);
            }
        };
    }

    /**
     * The form under which ProtoBase identifies a key: numbers by exact value (as a BigDecimal
     * without trailing zeros; NaN and the infinities as themselves), lists element-wise.
     */
    static Object canonical(Object v) {
        if (v instanceof Integer || v instanceof Long) {
            return BigDecimal.valueOf(((Number) v).longValue()).stripTrailingZeros();
        }
        if (v instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? d : new BigDecimal(d).stripTrailingZeros();
        }
        if (v instanceof BigInteger i) {
            return new BigDecimal(i).stripTrailingZeros();
        }
        if (v instanceof BigDecimal d) {
            return d.stripTrailingZeros();
        }
        if (v instanceof List<?> list) {
            List<Object> c = new ArrayList<>(list.size());
            for (Object o : list) {
                c.add(canonical(o));
            }
            return c;
        }
        return v;
    }

    /**
     * The same key under another numeric type ({@code 5 -> 5L -> 5.0d -> 5.00bd -> 5bi -> 5}), or
     * the key itself when it has no other form.
     */
    static Object sameKeyOtherType(Object v) {
        if (v instanceof Integer i) {
            return (long) i;
        }
        if (v instanceof Long l && l == l.intValue()) {
            return (double) l;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e9) {
            return BigDecimal.valueOf((long) (double) d).setScale(2);
        }
        if (v instanceof BigDecimal d && d.stripTrailingZeros().scale() <= 0) {
            return d.toBigInteger();
        }
        if (v instanceof BigInteger i && i.bitLength() < 31) {
            return i.intValue();
        }
        return v;
    }
}
