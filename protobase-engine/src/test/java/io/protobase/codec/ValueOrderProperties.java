package io.protobase.codec;

import io.protobase.codec.CodecArbitraries.Color;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ValueOrder} is a total order over every orderable value, and {@link StableHash} agrees with
 * it: values that are the same key hash the same.
 */
class ValueOrderProperties {

    private static final ValueOrder ORDER = ValueOrder.INSTANCE;

    private static int sign(int c) {
        return Integer.signum(c);
    }

    /** The rank of each type in the order documented on {@link ValueOrder}. */
    static int documentedRank(Object v) {
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
        List<Class<?>> later = List.of(String.class, byte[].class, UUID.class, LocalDate.class, LocalDateTime.class,
                Instant.class, Duration.class);
        for (int i = 0; i < later.size(); i++) {
            if (later.get(i).isInstance(v)) {
                return 3 + i;
            }
        }
        if (v instanceof Enum<?> || v instanceof EnumValue) {
            return 10;
        }
        if (v instanceof List<?>) {
            return 11;
        }
        if (v instanceof DbObject) {
            return 12;
        }
        if (v instanceof AtomPointer) {
            return 13;
        }
        throw new IllegalArgumentException("not orderable: " + v);
    }

    // ------------------------------------------------------------------ total order

    @Property(tries = 1000)
    void compareIsAntisymmetric(@ForAll("mixed") Object a, @ForAll("mixed") Object b) {
        assertThat(sign(ORDER.compare(a, b))).isEqualTo(-sign(ORDER.compare(b, a)));
    }

    @Property(tries = 500)
    void compareIsReflexiveAcrossCopies(@ForAll("mixed") Object a) {
        AtomStore store = AtomStore.create(new MemoryStorage(), 1 << 16);
        Object copy = store.decodeValue(store.encodeValue(a));
        assertThat(ORDER.compare(a, a)).isZero();
        assertThat(ORDER.compare(a, copy)).isZero();
        assertThat(StableHash.of(copy)).isEqualTo(StableHash.of(a));
    }

    @Property(tries = 2000)
    void compareIsTransitive(@ForAll("collisionRich") Object a, @ForAll("collisionRich") Object b,
                             @ForAll("collisionRich") Object c) {
        if (ORDER.compare(a, b) <= 0 && ORDER.compare(b, c) <= 0) {
            assertThat(ORDER.compare(a, c)).isLessThanOrEqualTo(0);
        }
        if (ORDER.compare(a, b) == 0 && ORDER.compare(b, c) == 0) {
            assertThat(ORDER.compare(a, c)).isZero();
        }
    }

    @Property(tries = 1000)
    void equalValuesAreInterchangeableAndHashAlike(@ForAll("equivalentPairs") Tuple.Tuple2<Object, Object> pair,
                                                   @ForAll("collisionRich") Object x) {
        Object a = pair.get1();
        Object b = pair.get2();
        assertThat(ORDER.compare(a, b)).as("compare(%s, %s)", describe(a), describe(b)).isZero();
        assertThat(StableHash.of(a)).as("hash of %s and %s", describe(a), describe(b)).isEqualTo(StableHash.of(b));
        assertThat(sign(ORDER.compare(a, x))).isEqualTo(sign(ORDER.compare(b, x)));
        assertThat(sign(ORDER.compare(x, a))).isEqualTo(sign(ORDER.compare(x, b)));
    }

    @Property(tries = 100)
    void sortedSampleIsOrderedPairwise(@ForAll("mixedLists") List<Object> sample) {
        List<Object> sorted = new ArrayList<>(sample);
        sorted.sort(ORDER); // TimSort would throw on many contract violations
        for (int i = 0; i < sorted.size(); i++) {
            for (int j = i + 1; j < sorted.size(); j++) {
                assertThat(ORDER.compare(sorted.get(i), sorted.get(j))).isLessThanOrEqualTo(0);
            }
        }
    }

    @Property(tries = 1000)
    void typesCompareByTheirDocumentedRank(@ForAll("mixed") Object a, @ForAll("mixed") Object b) {
        int ra = documentedRank(a);
        int rb = documentedRank(b);
        Assume.that(ra != rb);
        assertThat(sign(ORDER.compare(a, b))).isEqualTo(Integer.compare(ra, rb));
    }

    // ------------------------------------------------------------------ numbers

    @Property(tries = 3000)
    void finiteNumbersCompareByExactValue(@ForAll("numbers") Number a, @ForAll("numbers") Number b) {
        Assume.that(isFinite(a) && isFinite(b));
        assertThat(sign(ORDER.compare(a, b))).isEqualTo(exact(a).compareTo(exact(b)));
    }

    @Property(tries = 1000)
    void nanIsGreatestAndInfinitiesBoundEveryFiniteNumber(@ForAll("numbers") Number n) {
        if (n instanceof Double d && d.isNaN()) {
            assertThat(ORDER.compare(Double.NaN, n)).isZero();
            return;
        }
        assertThat(ORDER.compare(Double.NaN, n)).isPositive();
        assertThat(ORDER.compare(n, Double.NaN)).isNegative();
        if (isFinite(n)) {
            assertThat(ORDER.compare(Double.NEGATIVE_INFINITY, n)).isNegative();
            assertThat(ORDER.compare(Double.POSITIVE_INFINITY, n)).isPositive();
        }
    }

    @Property(tries = 500)
    void sameNumberInEveryRepresentationIsOneKeyWithOneHash(@ForAll("numberSeeds") BigDecimal value) {
        List<Object> reps = representations(value);
        for (Object a : reps) {
            for (Object b : reps) {
                assertThat(ORDER.compare(a, b)).as("compare(%s, %s)", describe(a), describe(b)).isZero();
                assertThat(StableHash.of(a)).as("hash of %s and %s", describe(a), describe(b))
                        .isEqualTo(StableHash.of(b));
                // and inside lists and records
                assertThat(StableHash.of(List.of("k", a))).isEqualTo(StableHash.of(List.of("k", b)));
                assertThat(StableHash.of(DbObject.of("n", a))).isEqualTo(StableHash.of(DbObject.of("n", b)));
                assertThat(ORDER.compare(DbObject.of("n", a), DbObject.of("n", b))).isZero();
            }
        }
    }

    /**
     * Every exact representation of {@code v}: BigDecimals with more and fewer zeros, and the integer and double forms
     * that exist.
     */
    static List<Object> representations(BigDecimal v) {
        List<Object> reps = new ArrayList<>();
        reps.add(v);
        if (v.scale() <= Integer.MAX_VALUE - 3) {
            reps.add(v.setScale(v.scale() + 3));
        }
        if (Math.abs((long) v.scale()) > 10_000) {
            return reps; // no integer or double forms worth building at such magnitudes
        }
        BigDecimal stripped = v.signum() == 0 ? BigDecimal.ZERO : v.stripTrailingZeros();
        reps.add(stripped);
        if (stripped.scale() <= 0) {
            BigInteger bi = stripped.toBigIntegerExact();
            reps.add(bi);
            reps.add(new BigDecimal(bi)); // scale 0
            if (bi.bitLength() < 64) {
                reps.add(bi.longValue());
            }
            if (bi.bitLength() < 32) {
                reps.add(bi.intValue());
            }
        }
        double d = v.doubleValue();
        if (!Double.isInfinite(d) && new BigDecimal(d).compareTo(v) == 0) {
            reps.add(d);
            if (d == 0) {
                reps.add(-0.0);
            }
        }
        return reps;
    }

    private static boolean isFinite(Number n) {
        return !(n instanceof Double d) || Double.isFinite(d);
    }

    private static BigDecimal exact(Number n) {
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

    private static String describe(Object v) {
        return ExactValues.describe(v);
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Object> mixed() {
        return Arbitraries.oneOf(CodecArbitraries.values(), collisionRich());
    }

    @Provide
    Arbitrary<List<Object>> mixedLists() {
        return mixed().list().ofMaxSize(30);
    }

    @Provide
    Arbitrary<Number> numbers() {
        return Arbitraries.oneOf(
                CodecArbitraries.integers(), CodecArbitraries.longs(), CodecArbitraries.doubles(),
                CodecArbitraries.bigIntegers(), CodecArbitraries.bigDecimals(),
                smallNumbers());
    }

    /** Values that often seed several exact representations: integers, dyadic fractions, decimals. */
    @Provide
    Arbitrary<BigDecimal> numberSeeds() {
        return Arbitraries.oneOf(
                Arbitraries.longs().map(BigDecimal::valueOf),
                Arbitraries.doubles().filter(Double::isFinite).map(BigDecimal::new),
                Arbitraries.longs().between(-1L << 53, 1L << 53).map(l -> new BigDecimal(l).scaleByPowerOfTen(
                        (int) (l & 7) - 3)),
                CodecArbitraries.bigIntegers().map(BigDecimal::new),
                Arbitraries.integers().between(-64, 64).map(e -> new BigDecimal(Math.scalb(3.0, e))),
                Arbitraries.of(BigDecimal.ZERO, new BigDecimal("0.000"), new BigDecimal("-0.5"),
                        new BigDecimal(BigInteger.ONE.shiftLeft(63)), BigDecimal.valueOf(Long.MIN_VALUE),
                        new BigDecimal(Double.MAX_VALUE), new BigDecimal(Double.MIN_VALUE)));
    }

    /** A value and another representation of the same key (numbers of other types, an enum's EnumValue...). */
    @Provide
    Arbitrary<Tuple.Tuple2<Object, Object>> equivalentPairs() {
        return Arbitraries.oneOf(collisionRich(), CodecArbitraries.values())
                .flatMap(a -> equivalentOf(a).map(b -> Tuple.of(a, b)));
    }

    private static Arbitrary<Object> equivalentOf(Object v) {
        if (v instanceof Number n && isFinite(n)) {
            return Arbitraries.of(representations(exact(n)));
        }
        if (v instanceof Double d && d.isNaN()) {
            return Arbitraries.of(Double.NaN, Double.longBitsToDouble(0xFFF8000000000001L), d);
        }
        if (v instanceof Enum<?> e) {
            return Arbitraries.of(v, new EnumValue(e.getDeclaringClass().getName(), e.name()));
        }
        if (v instanceof byte[] b) {
            return Arbitraries.just(b.clone());
        }
        if (v instanceof List<?> list) {
            List<Arbitrary<Object>> parts = list.stream().map(ValueOrderProperties::equivalentOf).toList();
            return parts.isEmpty() ? Arbitraries.just(List.of())
                    : net.jqwik.api.Combinators.combine(parts).as(l -> (Object) new ArrayList<>(l));
        }
        if (v instanceof DbObject o && o.count() > 0) {
            List<String> names = o.names();
            List<Arbitrary<Object>> parts = names.stream().map(n -> equivalentOf(o.getAt(n))).toList();
            return net.jqwik.api.Combinators.combine(parts).as(vals -> {
                java.util.TreeMap<String, Object> map = new java.util.TreeMap<>();
                for (int i = 0; i < names.size(); i++) {
                    map.put(names.get(i), vals.get(i));
                }
                return (Object) DbObject.from(map);
            });
        }
        return Arbitraries.just(v);
    }

    /** A small pool of values in several representations, so that equal keys meet often. */
    @Provide
    Arbitrary<Object> collisionRich() {
        return Arbitraries.recursive(ValueOrderProperties::smallScalars, inner -> Arbitraries.frequencyOf(
                Tuple.of(3, inner),
                Tuple.of(1, inner.list().ofMaxSize(2).map(l -> (Object) l)),
                Tuple.of(1, Arbitraries.of("a", "b").flatMap(name -> inner.filter(v -> v != null)
                        .map(v -> (Object) DbObject.of(name, v))))), 0, 2);
    }

    private static Arbitrary<Number> smallNumbers() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(-2, 2).map(i -> (Number) i),
                Arbitraries.longs().between(-2, 2).map(l -> (Number) l),
                Arbitraries.of(-2.0, -1.5, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, Double.NaN, Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY, Double.longBitsToDouble(0x7FF0000000000001L)).map(d -> (Number) d),
                Arbitraries.of("-2", "-1.50", "0", "0.00", "0E+2", "0.5", "1", "1.0", "1E+0", "2.000")
                        .map(s -> (Number) new BigDecimal(s)),
                Arbitraries.integers().between(-2, 2).map(i -> (Number) BigInteger.valueOf(i)));
    }

    private static Arbitrary<Object> smallScalars() {
        return Arbitraries.oneOf(
                smallNumbers().map(n -> (Object) n),
                Arbitraries.of("", "a", "b", "\uD83D\uDE00", "\uFFFF").map(s -> (Object) s),
                Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.of(new byte[0], new byte[] {0}, new byte[] {(byte) 0x80}).map(b -> (Object) b.clone()),
                Arbitraries.of(new UUID(0, 0), new UUID(-1, 1)).map(u -> (Object) u),
                Arbitraries.of(LocalDate.EPOCH, LocalDate.MAX).map(d -> (Object) d),
                Arbitraries.of(Duration.ZERO, Duration.ofNanos(-1)).map(d -> (Object) d),
                Arbitraries.<Object>of(Color.RED, Color.GREEN, new EnumValue(Color.class.getName(), "RED"),
                        new EnumValue(Color.class.getName(), "GREEN"), new EnumValue("a.B", "RED")),
                Arbitraries.of(new AtomPointer(1, 2), new AtomPointer(1, 3)).map(p -> (Object) p))
                .injectNull(0.05);
    }
}
