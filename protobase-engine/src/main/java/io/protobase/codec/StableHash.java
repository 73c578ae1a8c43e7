package io.protobase.codec;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A 64-bit hash of a value's canonical form that is the same in every JVM, release and run (never
 * {@link Object#hashCode}), consistent with {@link ValueOrder}: values that are the same key hash
 * the same (so {@code 1}, {@code 1L} and {@code 1.0} collide on purpose). Used by
 * {@code HashDictionary}, {@code ProtoSet} and {@code CountedSet}; the function is part of the
 * stored format and must never change.
 */
public final class StableHash {

    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private StableHash() {
    }

    /** Returns the stable hash of an orderable value. */
    public static long of(Object value) {
        Hasher h = new Hasher();
        h.value(value);
        return h.finish();
    }

    /** Accumulates canonical content; {@link #finish()} gives the hash. */
    public static final class Hasher {
        private long state = 0x27D4EB2F165667C5L;

        /** Mixes one 64-bit word. */
        public void word(long v) {
            state = Long.rotateLeft(state ^ (v * P1), 31) * P2 + P3;
        }

        /** Mixes a string, code unit by code unit, with its length. */
        public void string(String s) {
            int n = s.length();
            word(n);
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                word(((long) s.charAt(i) << 48) | ((long) s.charAt(i + 1) << 32) | ((long) s.charAt(i + 2) << 16)
                        | s.charAt(i + 3));
            }
            long tail = 0;
            for (; i < n; i++) {
                tail = (tail << 16) | s.charAt(i);
            }
            word(tail);
        }

        /** Mixes bytes with their length. */
        public void bytes(byte[] b) {
            word(b.length);
            long acc = 0;
            int k = 0;
            for (byte x : b) {
                acc = (acc << 8) | (x & 0xFF);
                if (++k == 8) {
                    word(acc);
                    acc = 0;
                    k = 0;
                }
            }
            word(acc);
        }

        /** Mixes any orderable value in its canonical form. */
        public void value(Object v) {
            int rank = ValueOrder.rank(v);
            word(rank);
            switch (rank) {
                case 0 -> { }
                case 1 -> word((Boolean) v ? 1 : 0);
                case 2 -> number((Number) v);
                case 3 -> string((String) v);
                case 4 -> bytes((byte[]) v);
                case 5 -> {
                    word(((UUID) v).getMostSignificantBits());
                    word(((UUID) v).getLeastSignificantBits());
                }
                case 6 -> word(((LocalDate) v).toEpochDay());
                case 7 -> {
                    LocalDateTime t = (LocalDateTime) v;
                    word(t.toLocalDate().toEpochDay());
                    word(t.toLocalTime().toNanoOfDay());
                }
                case 8 -> {
                    word(((Instant) v).getEpochSecond());
                    word(((Instant) v).getNano());
                }
                case 9 -> {
                    word(((Duration) v).getSeconds());
                    word(((Duration) v).getNano());
                }
                case 10 -> {
                    if (v instanceof Enum<?> e) {
                        string(e.getDeclaringClass().getName());
                        string(e.name());
                    } else {
                        string(((EnumValue) v).type());
                        string(((EnumValue) v).name());
                    }
                }
                case 11 -> {
                    List<?> list = (List<?>) v;
                    word(list.size());
                    for (Object o : list) {
                        value(o);
                    }
                }
                case 12 -> ((StructuredValue) v).hashInto(this);
                case 13 -> {
                    word(((io.protobase.storage.AtomPointer) v).segmentId());
                    word(((io.protobase.storage.AtomPointer) v).offset());
                }
                default -> throw new IllegalStateException("rank " + rank);
            }
        }

        private void number(Number n) {
            if (n instanceof Integer || n instanceof Long) {
                word(n.longValue());
                return;
            }
            if (n instanceof Double d) {
                double x = d;
                if (Double.isNaN(x)) {
                    word(0x7FF8000000000000L);
                    word(1);
                    return;
                }
                if (Double.isInfinite(x)) {
                    word(x > 0 ? 0x7FF0000000000000L : 0xFFF0000000000000L);
                    word(2);
                    return;
                }
                if (x == Math.rint(x) && x >= -0x1p63 && x < 0x1p63) {
                    word((long) x);
                    return;
                }
                decimal(new BigDecimal(x));
                return;
            }
            if (n instanceof BigInteger bi) {
                if (bi.bitLength() < 64) {
                    word(bi.longValue());
                    return;
                }
                decimal(new BigDecimal(bi));
                return;
            }
            BigDecimal bd = (BigDecimal) n;
            if (bd.signum() == 0) {
                word(0);
                return;
            }
            decimal(bd);
        }

        private void decimal(BigDecimal bd) {
            BigDecimal s = stripTrailingZeros(bd);
            if (s.scale() <= 0 && s.compareTo(LONG_MIN) >= 0 && s.compareTo(LONG_MAX) <= 0) {
                word(s.longValueExact());
                return;
            }
            word(0x5EED);
            word(s.scale());
            bytes(s.unscaledValue().toByteArray());
        }

        /**
         * The form with the fewest trailing zeros an int scale allows. {@link BigDecimal#stripTrailingZeros}
         * throws when that would take the scale below {@code Integer.MIN_VALUE}; every equal value can
         * then go no lower than that scale, so stopping there is canonical too (and exact).
         */
        private static BigDecimal stripTrailingZeros(BigDecimal bd) {
            try {
                return bd.stripTrailingZeros();
            } catch (ArithmeticException scaleOverflow) {
                return bd.setScale(Integer.MIN_VALUE, RoundingMode.UNNECESSARY);
            }
        }

        /** Returns the finished hash (murmur3's 64-bit finaliser over the state). */
        public long finish() {
            long h = state;
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 33;
            return h;
        }
    }
}
