package io.protobase.codec;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.CodecArbitraries.Color;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.PropertyDefaults;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.protobase.codec.ExactValues.assertExactlyEqual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every supported value survives {@link AtomStore#encodeValue} / {@link AtomStore#decodeValue}
 * exactly, type included, and every unsupported one is refused by name.
 */
@PropertyDefaults(tries = 500)
class AtomCodecProperties {

    private final AtomStore store = AtomStore.create(new MemoryStorage(), 1 << 20);

    private Object roundTrip(Object value) {
        return store.decodeValue(store.encodeValue(value));
    }

    private void assertRoundTripsExactly(Object value) {
        assertExactlyEqual(roundTrip(value), value);
    }

    // ------------------------------------------------------------------ every type

    @Property(tries = 1000)
    void everyValueRoundTripsExactlyWithItsType(@ForAll("values") Object value) {
        assertRoundTripsExactly(value);
    }

    @Property(tries = 300)
    void recordsWithAttributesOfEveryTypeRoundTripExactly(@ForAll("recordsOfEveryType") DbObject record) {
        assertRoundTripsExactly(record);
        assertRoundTripsExactly(List.of(record, DbObject.of("inner", record)));
    }

    @Property
    void integersStayIntegers(@ForAll("integers") Integer value) {
        assertThat(roundTrip(value)).isInstanceOf(Integer.class).isEqualTo(value);
    }

    @Property
    void longsStayLongsEvenWhenTheyFitAnInt(@ForAll("longs") Long value) {
        assertThat(roundTrip(value)).isInstanceOf(Long.class).isEqualTo(value);
    }

    @Property(tries = 2000)
    void doublesKeepTheirExactBits(@ForAll("doubles") Double value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void bigDecimalsKeepTheirScale(@ForAll("bigDecimals") BigDecimal value) {
        Object back = roundTrip(value);
        assertThat(back).isInstanceOf(BigDecimal.class);
        assertThat(((BigDecimal) back).scale()).isEqualTo(value.scale());
        assertThat(((BigDecimal) back).unscaledValue()).isEqualTo(value.unscaledValue());
    }

    @Property
    void bigIntegersRoundTrip(@ForAll("bigIntegers") BigInteger value) {
        assertRoundTripsExactly(value);
    }

    @Property(tries = 2000)
    void stringsRoundTripIncludingNonAsciiAndSurrogatePairs(@ForAll("strings") String value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void byteArraysRoundTrip(@ForAll("byteArrays") byte[] value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void uuidsRoundTrip(@ForAll("uuids") UUID value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void instantsRoundTripOverTheirWholeRange(@ForAll("instants") Instant value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void localDatesRoundTripOverTheirWholeRange(@ForAll("localDates") LocalDate value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void localDateTimesRoundTripOverTheirWholeRange(@ForAll("localDateTimes") LocalDateTime value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void durationsRoundTripIncludingNegativeAndHuge(@ForAll("durations") Duration value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void enumValuesOfUnregisteredTypesRoundTripAsEnumValues(@ForAll("enumValues") EnumValue value) {
        assertRoundTripsExactly(value);
    }

    @Property
    void pointersRoundTrip(@ForAll("pointers") AtomPointer value) {
        assertRoundTripsExactly(value);
    }

    @Property(tries = 300)
    void nestedListsRoundTripAsLists(@ForAll("values") Object a, @ForAll("values") Object b) {
        List<Object> nested = new ArrayList<>();
        nested.add(a);
        nested.add(List.of());
        nested.add(Arrays.asList(b, null, List.of(List.of(List.of()))));
        assertRoundTripsExactly(nested);
    }

    // ------------------------------------------------------------------ edge cases by example

    @Example
    void bigDecimalTrailingZerosArePreserved() {
        assertThat(roundTrip(new BigDecimal("1.50"))).hasToString("1.50");
        assertThat(roundTrip(new BigDecimal("0.000"))).hasToString("0.000");
        assertThat(roundTrip(new BigDecimal("1E+5"))).hasToString("1E+5");
    }

    @Example
    void negativeZeroNanAndInfinitiesKeepTheirBits() {
        for (double d : new double[] {-0.0, 0.0, Double.NaN, Double.longBitsToDouble(0x7FF0000000000001L),
                Double.longBitsToDouble(0xFFF8000000000123L), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE}) {
            assertRoundTripsExactly(d);
        }
    }

    @Example
    void numbersOfEqualValueKeepTheirDistinctTypes() {
        assertThat(roundTrip(1)).isExactlyInstanceOf(Integer.class);
        assertThat(roundTrip(1L)).isExactlyInstanceOf(Long.class);
        assertThat(roundTrip(1.0)).isExactlyInstanceOf(Double.class);
        assertThat(roundTrip(BigInteger.ONE)).isExactlyInstanceOf(BigInteger.class);
        assertThat(roundTrip(BigDecimal.ONE)).isExactlyInstanceOf(BigDecimal.class);
        assertThat(store.encodeValue(1)).isNotEqualTo(store.encodeValue(1L));
    }

    @Example
    void emptyAndBoundaryValuesRoundTrip() {
        for (Object v : Arrays.asList(null, "", new byte[0], List.of(), DbObject.empty(), true, false,
                Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, "\uD83D\uDE00",
                new UUID(0, 0), new UUID(-1, -1), Instant.MIN, Instant.MAX, LocalDate.MIN, LocalDate.MAX,
                LocalDateTime.MIN, LocalDateTime.MAX, Duration.ofSeconds(Long.MIN_VALUE),
                Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofNanos(-1))) {
            assertRoundTripsExactly(v);
        }
    }

    @Example
    void stringWithAnUnpairedSurrogateIsNeverSilentlyAltered() {
        for (String s : List.of("\uD800", "a\uDC00b", "\uDBFF", "x\uD83D", "\uDE00\uD83D", "é\uD800")) {
            Object back;
            try {
                back = roundTrip(s);
            } catch (UnsupportedValueException refused) {
                continue; // refusing is fine; storing something else is not
            }
            assertThat(back).as("round trip of %s", Arrays.toString(s.chars().toArray())).isEqualTo(s);
        }
    }

    // ------------------------------------------------------------------ enums

    @Property(tries = 50)
    void enumConstantWrittenByThisStoreComesBackAsTheConstant(@ForAll("colors") Color color) {
        Object back = roundTrip(color);
        assertThat(back).isSameAs(color);
        assertThat(roundTrip(List.of(color, DbObject.of("c", color))))
                .isEqualTo(List.of(color, DbObject.of("c", color)));
    }

    @Example
    void enumConstantOfARegisteredTypeComesBackAsTheConstantInAnotherStore() {
        byte[] written = store.encodeValue(Color.GREEN);
        AtomStore reader = AtomStore.create(new MemoryStorage(), 1 << 20);
        reader.registerEnum(Color.class);
        assertThat(reader.decodeValue(written)).isSameAs(Color.GREEN);
    }

    @Example
    void enumConstantOfAnUnregisteredTypeComesBackAsEnumValueNamingItsBinaryName() {
        byte[] written = store.encodeValue(Color.GREEN);
        AtomStore reader = AtomStore.create(new MemoryStorage(), 1 << 20);
        assertThat(reader.decodeValue(written))
                .isEqualTo(new EnumValue("io.protobase.codec.CodecArbitraries$Color", "GREEN"));
    }

    @Example
    void unknownConstantOfARegisteredEnumComesBackAsEnumValue() {
        store.registerEnum(Color.class);
        EnumValue removedConstant = new EnumValue(Color.class.getName(), "PURPLE");
        assertThat(roundTrip(removedConstant)).isEqualTo(removedConstant);
        assertThat(roundTrip(new EnumValue(Color.class.getName(), "RED"))).isSameAs(Color.RED);
    }

    // ------------------------------------------------------------------ nesting and collections

    @Example
    void nestingUpToTheDepthLimitRoundTripsAndDeeperIsRefused() {
        Object atLimit = 7;
        for (int i = 0; i < Tags.MAX_DEPTH; i++) {
            atLimit = i % 2 == 0 ? List.of(atLimit) : DbObject.of("n", atLimit);
        }
        assertRoundTripsExactly(atLimit);
        Object tooDeep = List.of(atLimit);
        assertThatThrownBy(() -> store.encodeValue(tooDeep))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining(String.valueOf(Tags.MAX_DEPTH));
    }

    @Example
    void selfContainingListIsRefusedInsteadOfOverflowingTheStack() {
        List<Object> loop = new ArrayList<>();
        loop.add(loop);
        assertThatThrownBy(() -> store.encodeValue(loop)).isInstanceOf(UnsupportedValueException.class);
    }

    @Example
    void recordHoldingCollectionsComesBackWithTheSameContent() {
        Dictionary dict = Dictionary.empty();
        for (int i = 0; i < 500; i++) {
            dict = dict.setAt(i, "v" + i);
        }
        ProtoList list = ProtoList.of(1, "two", 3.0);
        DbObject record = DbObject.of("dict", dict, "list", list, "n", 1);
        DbObject back = (DbObject) roundTrip(record);
        assertThat(back.getAt("n")).isEqualTo(1);
        assertThat(back.getAt("list", ProtoList.class).asList()).containsExactly(1, "two", 3.0);
        Dictionary backDict = back.getAt("dict", Dictionary.class);
        assertThat(backDict.count()).isEqualTo(500);
        assertThat(backDict.getAt(499)).isEqualTo("v499");
        assertThat(back).isEqualTo(record);
    }

    // ------------------------------------------------------------------ unsupported types

    @Example
    void unsupportedTypesAreRefusedNamingTheType() {
        class Unrelated {
        }
        Map<String, Object> map = new HashMap<>();
        map.put("a", 1);
        for (Object v : List.of(1.5f, (short) 3, (byte) 4, 'c', map, new HashSet<>(List.of(1)), new Object(),
                new Unrelated(), new StringBuilder("x"), new int[] {1}, Optional.of(1), LocalTime.NOON,
                ZonedDateTime.now(), new AtomicInteger())) {
            assertThatThrownBy(() -> store.encodeValue(v))
                    .as("encoding a %s", v.getClass().getName())
                    .isInstanceOf(UnsupportedValueException.class)
                    .hasMessageContaining(v.getClass().getName());
        }
    }

    @Example
    void unsupportedValueNestedInAListOrRecordIsRefusedNamingItsType() {
        assertThatThrownBy(() -> store.encodeValue(List.of(1, List.of(2.5f))))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("java.lang.Float");
        assertThatThrownBy(() -> DbObject.of("c", 'x'))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("java.lang.Character");
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Object> values() {
        return CodecArbitraries.values();
    }

    @Provide
    Arbitrary<DbObject> recordsOfEveryType() {
        return CodecArbitraries.recordsOfEveryType();
    }

    @Provide
    Arbitrary<Integer> integers() {
        return CodecArbitraries.integers();
    }

    @Provide
    Arbitrary<Long> longs() {
        return CodecArbitraries.longs();
    }

    @Provide
    Arbitrary<Double> doubles() {
        return CodecArbitraries.doubles();
    }

    @Provide
    Arbitrary<BigDecimal> bigDecimals() {
        return CodecArbitraries.bigDecimals();
    }

    @Provide
    Arbitrary<BigInteger> bigIntegers() {
        return CodecArbitraries.bigIntegers();
    }

    @Provide
    Arbitrary<String> strings() {
        return CodecArbitraries.strings();
    }

    @Provide
    Arbitrary<byte[]> byteArrays() {
        return CodecArbitraries.byteArrays();
    }

    @Provide
    Arbitrary<UUID> uuids() {
        return CodecArbitraries.uuids();
    }

    @Provide
    Arbitrary<Instant> instants() {
        return CodecArbitraries.instants();
    }

    @Provide
    Arbitrary<LocalDate> localDates() {
        return CodecArbitraries.localDates();
    }

    @Provide
    Arbitrary<LocalDateTime> localDateTimes() {
        return CodecArbitraries.localDateTimes();
    }

    @Provide
    Arbitrary<Duration> durations() {
        return CodecArbitraries.durations();
    }

    @Provide
    Arbitrary<Color> colors() {
        return CodecArbitraries.colors();
    }

    @Provide
    Arbitrary<EnumValue> enumValues() {
        return CodecArbitraries.enumValues();
    }

    @Provide
    Arbitrary<AtomPointer> pointers() {
        return CodecArbitraries.pointers();
    }
}
