package io.protobase.codec;

import io.protobase.collection.DbObject;
import io.protobase.storage.AtomPointer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/** jqwik generators for every value type of the atom codec. */
final class CodecArbitraries {

    /** An application enum; {@code GREEN} has a body, so its runtime class is not the enum type. */
    enum Color {
        RED,
        GREEN {
            @Override
            public String toString() {
                return "green";
            }
        },
        BLUE
    }

    private static final long NANOS_PER_DAY = 86_400_000_000_000L;

    private CodecArbitraries() {
    }

    static Arbitrary<Integer> integers() {
        return Arbitraries.integers();
    }

    static Arbitrary<Long> longs() {
        return Arbitraries.longs();
    }

    /** Ordinary doubles, every bit pattern (NaN payloads, subnormals) and the special values. */
    static Arbitrary<Double> doubles() {
        return Arbitraries.oneOf(
                Arbitraries.doubles(),
                Arbitraries.longs().map(Double::longBitsToDouble),
                Arbitraries.of(Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE,
                        Double.MIN_NORMAL, 0.1, 1.0, -1.0));
    }

    static Arbitrary<BigInteger> bigIntegers() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40).map(BigInteger::new),
                Arbitraries.longs().map(BigInteger::valueOf),
                Arbitraries.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE.negate(),
                        BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(64).negate()));
    }

    /** BigDecimals with ordinary and extreme scales (scale is part of the value and must survive). */
    static Arbitrary<BigDecimal> bigDecimals() {
        Arbitrary<Integer> scales = Arbitraries.oneOf(
                Arbitraries.integers().between(-40, 40),
                Arbitraries.integers(),
                Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE));
        return Arbitraries.oneOf(
                Combinators.combine(bigIntegers(), scales).as(BigDecimal::new),
                Arbitraries.of(new BigDecimal("1.50"), new BigDecimal("0.000"), new BigDecimal("1E+5"),
                        new BigDecimal("-0.1"), BigDecimal.ZERO, BigDecimal.ONE));
    }

    /** Strings of valid UTF-16: ASCII, any code point of any plane (surrogate pairs), and edge cases. */
    static Arbitrary<String> strings() {
        Arbitrary<String> codePoints = Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                .list().ofMaxSize(16)
                .map(cps -> {
                    StringBuilder sb = new StringBuilder();
                    cps.forEach(sb::appendCodePoint);
                    return sb.toString();
                });
        return Arbitraries.oneOf(
                Arbitraries.strings().ascii().ofMaxLength(24),
                codePoints,
                Arbitraries.strings().withCharRange('\u0080', '\u07FF').ofMaxLength(8),
                Arbitraries.of("", "\u0000", "é", "日本語", "\uD83D\uDE00", "a\uD83D\uDE00b", "\uDBFF\uDFFF", "\uFFFF"));
    }

    static Arbitrary<byte[]> byteArrays() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
    }

    static Arbitrary<UUID> uuids() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(UUID::new);
    }

    static Arbitrary<Instant> instants() {
        return Arbitraries.oneOf(
                Combinators.combine(
                        Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
                        Arbitraries.integers().between(0, 999_999_999))
                        .as((s, n) -> Instant.ofEpochSecond(s, n)),
                Arbitraries.of(Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.ofEpochSecond(-1, 1)));
    }

    static Arbitrary<LocalDate> localDates() {
        return Arbitraries.longs().between(LocalDate.MIN.toEpochDay(), LocalDate.MAX.toEpochDay())
                .map(LocalDate::ofEpochDay)
                .edgeCases(c -> c.add(LocalDate.MIN, LocalDate.MAX, LocalDate.EPOCH));
    }

    static Arbitrary<LocalDateTime> localDateTimes() {
        return Arbitraries.oneOf(
                Combinators.combine(localDates(), Arbitraries.longs().between(0, NANOS_PER_DAY - 1))
                        .as((d, n) -> LocalDateTime.of(d, java.time.LocalTime.ofNanoOfDay(n))),
                Arbitraries.of(LocalDateTime.MIN, LocalDateTime.MAX));
    }

    /** Durations of the whole range: negative, zero, sub-second and beyond a billion years. */
    static Arbitrary<Duration> durations() {
        return Arbitraries.oneOf(
                Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, 999_999_999))
                        .as((s, n) -> Duration.ofSeconds(s, n)),
                Arbitraries.longs().map(Duration::ofNanos),
                Arbitraries.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(Long.MIN_VALUE),
                        Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
    }

    static Arbitrary<Color> colors() {
        return Arbitraries.of(Color.class);
    }

    /** Enum constants whose type no process registered (names never collide with a real class). */
    static Arbitrary<EnumValue> enumValues() {
        return Combinators.combine(
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12).map(s -> "com.example.Unknown" + s),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8))
                .as(EnumValue::new);
    }

    static Arbitrary<AtomPointer> pointers() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(AtomPointer::new);
    }

    /** One value of any scalar type, or {@code null}. */
    static Arbitrary<Object> scalars() {
        return Arbitraries.oneOf(
                Arbitraries.of(Boolean.TRUE, Boolean.FALSE),
                integers(), longs(), doubles(), bigDecimals(), bigIntegers(), strings(), byteArrays(), uuids(),
                instants(), localDates(), localDateTimes(), durations(), colors(), enumValues(), pointers())
                .injectNull(0.05);
    }

    /** Scalars, lists and records nested up to three levels. */
    static Arbitrary<Object> values() {
        return Arbitraries.recursive(CodecArbitraries::scalars, CodecArbitraries::nestedIn, 0, 3);
    }

    private static Arbitrary<Object> nestedIn(Arbitrary<Object> inner) {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, inner),
                net.jqwik.api.Tuple.of(1, inner.list().ofMaxSize(5).map(l -> (Object) l)),
                net.jqwik.api.Tuple.of(1, dbObjects(inner).map(o -> (Object) o)));
    }

    /** Records whose attribute values come from {@code values} (null attributes are absent by design). */
    static Arbitrary<DbObject> dbObjects(Arbitrary<Object> values) {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.strings().alpha().ofMaxLength(6), strings());
        return Combinators.combine(names, values.filter(Objects::nonNull)).as(List::<Object>of)
                .list().ofMaxSize(6)
                .map(pairs -> {
                    TreeMap<String, Object> map = new TreeMap<>();
                    for (List<Object> p : pairs) {
                        map.put((String) p.get(0), p.get(1));
                    }
                    return DbObject.from(map);
                });
    }

    /** A record with one attribute of every scalar type. */
    static Arbitrary<DbObject> recordsOfEveryType() {
        List<Arbitrary<Object>> parts = List.<Arbitrary<?>>of(integers(), longs(), doubles(), bigDecimals(),
                bigIntegers(), strings(), byteArrays(), uuids(), instants(), localDates(), localDateTimes(),
                durations(), colors(), enumValues(), pointers(), Arbitraries.of(true, false))
                .stream().map(a -> a.map(v -> (Object) v)).toList();
        return Combinators.combine(parts).as(vals -> {
            TreeMap<String, Object> map = new TreeMap<>();
            List<Object> list = new ArrayList<>(vals);
            for (int i = 0; i < list.size(); i++) {
                map.put("a" + (char) ('a' + i), list.get(i));
            }
            map.put("list", List.copyOf(list));
            map.put("nested", DbObject.from(new TreeMap<>(map)));
            return DbObject.from(map);
        });
    }
}
