package io.protobase.codec;

import io.protobase.UnsupportedValueException;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The one total order over every orderable value, used for {@code Dictionary} keys, set elements
 * and index keys:
 *
 * <pre>
 * null &lt; Boolean &lt; numbers &lt; String &lt; byte[] &lt; UUID &lt; LocalDate &lt; LocalDateTime
 *      &lt; Instant &lt; Duration &lt; enum &lt; List &lt; record (DbObject) &lt; AtomPointer
 * </pre>
 *
 * Numbers of every type compare by exact numeric value ({@code 1}, {@code 1L}, {@code 1.0} and
 * {@code new BigDecimal("1.00")} are equal, so they are the same key); {@code -0.0} equals
 * {@code 0.0}; NaN is greater than every other number. Strings compare by UTF-16 code units
 * ({@link String#compareTo}), byte arrays and UUIDs as unsigned numbers, lists and records
 * lexicographically. Collections are not orderable and are refused as keys.
 */
public final class ValueOrder implements Comparator<Object> {

    /** The shared instance. */
    public static final ValueOrder INSTANCE = new ValueOrder();

    private ValueOrder() {
    }

    @Override
    public int compare(Object a, Object b) {
        if (a == b) {
            return 0;
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa.compareTo(sb);
        }
        // the common keys of one type (generated ids), without ranking and numeric widening
        if (a instanceof Long la && b instanceof Long lb) {
            return Long.compare(la, lb);
        }
        if (a instanceof Integer ia && b instanceof Integer ib) {
            return Integer.compare(ia, ib);
        }
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        if (a instanceof GroupBound || b instanceof GroupBound) {
            int ha = a instanceof GroupBound g ? (g.high ? 1 : -1) : 0;
            int hb = b instanceof GroupBound g ? (g.high ? 1 : -1) : 0;
            return Integer.compare(ha, hb);
        }
        return switch (ra) {
            case 0 -> 0;
            case 1 -> Boolean.compare((Boolean) a, (Boolean) b);
            case 2 -> compareNumbers((Number) a, (Number) b);
            case 3 -> ((String) a).compareTo((String) b);
            case 4 -> Arrays.compareUnsigned((byte[]) a, (byte[]) b);
            case 5 -> compareUuids((UUID) a, (UUID) b);
            case 6 -> ((LocalDate) a).compareTo((LocalDate) b);
            case 7 -> ((LocalDateTime) a).compareTo((LocalDateTime) b);
            case 8 -> ((Instant) a).compareTo((Instant) b);
            case 9 -> ((Duration) a).compareTo((Duration) b);
            case 10 -> compareEnums(a, b);
            case 11 -> compareLists((List<?>) a, (List<?>) b);
            case 12 -> ((StructuredValue) a).compareStructured((StructuredValue) b);
            case 13 -> comparePointers((io.protobase.storage.AtomPointer) a, (io.protobase.storage.AtomPointer) b);
            default -> throw new IllegalStateException("rank " + ra);
        };
    }

    /**
     * Whether two values belong to the same group of this order (both numbers, both strings, both
     * dates...): only such values are comparable in queries, where a comparison across groups is false.
     */
    public boolean comparable(Object a, Object b) {
        return rank(a) == rank(b);
    }

    /** Whether two values are the same key under this order. */
    public boolean same(Object a, Object b) {
        return compare(a, b) == 0;
    }

    /**
     * A bound that sorts below every value of {@code value}'s group (all numbers, all strings, ...),
     * for range scans that must stay within one group. Only for seeking; never stored.
     */
    public static Object groupStart(Object value) {
        return new GroupBound(rank(value), false);
    }

    /** A bound that sorts above every value of {@code value}'s group; see {@link #groupStart}. */
    public static Object groupEnd(Object value) {
        return new GroupBound(rank(value), true);
    }

    private record GroupBound(int rank, boolean high) {
    }

    /** Whether {@code value} can be ordered (used as a key); see {@link #requireOrderable}. */
    public static boolean isOrderable(Object value) {
        try {
            requireOrderable(value);
            return true;
        } catch (UnsupportedValueException e) {
            return false;
        }
    }

    /** Throws {@link UnsupportedValueException} unless {@code value} can be ordered (a key). */
    public static void requireOrderable(Object value) {
        rank(value);
        if (value instanceof List<?> list) {
            for (Object o : list) {
                requireOrderable(o);
            }
        }
    }

    static int rank(Object v) {
        if (v == null) {
            return 0;
        }
        if (v instanceof Boolean) {
            return 1;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof BigDecimal
                || v instanceof BigInteger) {
            return 2;
        }
        if (v instanceof String) {
            return 3;
        }
        if (v instanceof byte[]) {
            return 4;
        }
        if (v instanceof UUID) {
            return 5;
        }
        if (v instanceof LocalDate) {
            return 6;
        }
        if (v instanceof LocalDateTime) {
            return 7;
        }
        if (v instanceof Instant) {
            return 8;
        }
        if (v instanceof Duration) {
            return 9;
        }
        if (v instanceof Enum<?> || v instanceof EnumValue) {
            return 10;
        }
        if (v instanceof List<?>) {
            return 11;
        }
        if (v instanceof StructuredValue) {
            return 12;
        }
        if (v instanceof io.protobase.storage.AtomPointer) {
            return 13;
        }
        if (v instanceof GroupBound g) {
            return g.rank;
        }
        throw new UnsupportedValueException("A value of type " + v.getClass().getName()
                + " cannot be used as a key or set element: keys must be null, Boolean, Integer, Long, Double, "
                + "BigDecimal, BigInteger, String, byte[], UUID, LocalDate, LocalDateTime, Instant, Duration, "
                + "an enum, a List of those, or a DbObject");
    }

    /** Compares two numbers by exact numeric value. */
    public static int compareNumbers(Number a, Number b) {
        boolean ia = a instanceof Integer || a instanceof Long;
        boolean ib = b instanceof Integer || b instanceof Long;
        if (ia && ib) {
            return Long.compare(a.longValue(), b.longValue());
        }
        if (a instanceof Double da && b instanceof Double db) {
            return compareDoubles(da, db);
        }
        if (a instanceof Double da) {
            if (da.isNaN()) {
                return 1;
            }
            if (da.isInfinite()) {
                return da > 0 ? 1 : -1;
            }
        }
        if (b instanceof Double db) {
            if (db.isNaN()) {
                return -1;
            }
            if (db.isInfinite()) {
                return db > 0 ? -1 : 1;
            }
        }
        return toBigDecimal(a).compareTo(toBigDecimal(b));
    }

    private static int compareDoubles(double a, double b) {
        if (a < b) {
            return -1;
        }
        if (a > b) {
            return 1;
        }
        boolean na = Double.isNaN(a);
        boolean nb = Double.isNaN(b);
        return na == nb ? 0 : (na ? 1 : -1);
    }

    static BigDecimal toBigDecimal(Number n) {
        if (n instanceof BigDecimal bd) {
            return bd;
        }
        if (n instanceof BigInteger bi) {
            return new BigDecimal(bi);
        }
        if (n instanceof Double d) {
            return new BigDecimal(d);
        }
        return BigDecimal.valueOf(n.longValue());
    }

    private static int compareUuids(UUID a, UUID b) {
        int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return c != 0 ? c : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    private static int compareEnums(Object a, Object b) {
        String ta = a instanceof Enum<?> e ? e.getDeclaringClass().getName() : ((EnumValue) a).type();
        String tb = b instanceof Enum<?> e ? e.getDeclaringClass().getName() : ((EnumValue) b).type();
        int c = ta.compareTo(tb);
        if (c != 0) {
            return c;
        }
        String na = a instanceof Enum<?> e ? e.name() : ((EnumValue) a).name();
        String nb = b instanceof Enum<?> e ? e.name() : ((EnumValue) b).name();
        return na.compareTo(nb);
    }

    private int compareLists(List<?> a, List<?> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            int c = compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int comparePointers(io.protobase.storage.AtomPointer a, io.protobase.storage.AtomPointer b) {
        int c = Long.compare(a.segmentId(), b.segmentId());
        return c != 0 ? c : Long.compare(a.offset(), b.offset());
    }
}
