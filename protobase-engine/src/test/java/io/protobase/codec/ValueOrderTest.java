package io.protobase.codec;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.CodecArbitraries.Color;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValueOrderTest {

    private static final ValueOrder ORDER = ValueOrder.INSTANCE;

    private static void assertAscending(Object... values) {
        for (int i = 0; i < values.length; i++) {
            for (int j = 0; j < values.length; j++) {
                int expected = Integer.compare(i, j);
                assertThat(Integer.signum(ORDER.compare(values[i], values[j])))
                        .as("compare(%s, %s)", ExactValues.describe(values[i]), ExactValues.describe(values[j]))
                        .isEqualTo(expected);
            }
        }
    }

    private static void assertAllEqual(Object... values) {
        for (Object a : values) {
            for (Object b : values) {
                assertThat(ORDER.compare(a, b))
                        .as("compare(%s, %s)", ExactValues.describe(a), ExactValues.describe(b))
                        .isZero();
            }
        }
    }

    @Test
    void typesRankInTheDocumentedOrder() {
        List<Object> documented = Arrays.asList(null, false, -5, "", new byte[0], new UUID(0, 0), LocalDate.MIN,
                LocalDateTime.MIN, Instant.MIN, Duration.ofSeconds(Long.MIN_VALUE), Color.RED, List.of(),
                DbObject.empty(), new AtomPointer(0, 0));
        assertAscending(documented.toArray());

        List<Object> shuffled = new ArrayList<>(documented);
        Collections.shuffle(shuffled, new Random(42));
        shuffled.sort(ORDER);
        assertThat(shuffled).containsExactlyElementsOf(documented);
    }

    @Test
    void greatestValueOfATypeRanksBelowTheLeastOfTheNext() {
        assertAscending(null, true, Double.NaN, "\uFFFF\uFFFF", new byte[] {-1, -1}, new UUID(-1, -1),
                LocalDate.MAX, LocalDateTime.MAX, Instant.MAX, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999),
                new EnumValue("\uFFFF", "\uFFFF"), List.of(DbObject.of("z", 1)), DbObject.of("\uFFFF", List.of(1)),
                new AtomPointer(Long.MIN_VALUE, Long.MIN_VALUE));
    }

    @Test
    void numbersOfEveryTypeWithTheSameValueAreEqual() {
        assertAllEqual(1, 1L, 1.0, BigInteger.ONE, BigDecimal.ONE, new BigDecimal("1.00"), new BigDecimal("0.1E+1"));
        assertAllEqual(-1_000_000, -1_000_000L, -1e6, new BigDecimal("-1E+6"), BigInteger.valueOf(-1_000_000));
        assertAllEqual(0.5, new BigDecimal("0.500"));
    }

    @Test
    void negativeZeroEqualsZero() {
        assertAllEqual(-0.0, 0.0, 0, 0L, BigInteger.ZERO, new BigDecimal("0.000"), new BigDecimal("0E+3"));
    }

    @Test
    void nanIsGreaterThanEveryNumberAndEqualToEveryNan() {
        double otherNan = Double.longBitsToDouble(0xFFF8000000000123L);
        assertAllEqual(Double.NaN, otherNan);
        assertAscending(Double.NEGATIVE_INFINITY, new BigDecimal("-1E+400"), Long.MIN_VALUE, 0,
                Long.MAX_VALUE, new BigDecimal("1E+400"), Double.POSITIVE_INFINITY, Double.NaN);
        assertThat(ORDER.compare(otherNan, BigInteger.ONE.shiftLeft(2000))).isPositive();
        assertThat(ORDER.compare(Double.MAX_VALUE, otherNan)).isNegative();
    }

    @Test
    void numbersCompareByExactValueNotThroughDouble() {
        long twoTo53 = 1L << 53;
        assertAscending((double) twoTo53, twoTo53 + 1);
        assertAscending(Long.MAX_VALUE, (double) Long.MAX_VALUE); // the double is 2^63
        assertAscending(new BigDecimal("0.1"), 0.1); // 0.1d is 0.1000000000000000055...
        assertAscending(Long.MAX_VALUE, BigInteger.ONE.shiftLeft(63), new BigDecimal("9223372036854775808.5"));
        assertAscending(Integer.MIN_VALUE, -2147483647L, Integer.MAX_VALUE, 2147483648L);
        assertAscending(Double.MIN_VALUE, new BigDecimal("1E-300"));
    }

    @Test
    void stringsCompareByUtf16CodeUnits() {
        // U+1F600 is stored as surrogates D83D DE00, below U+FFFF in code-unit order
        assertAscending("", "A", "Z", "a", "\u00E9", "\uD83D\uDE00", "\uFFFF");
        assertAscending("ab", "abc", "b");
    }

    @Test
    void byteArraysCompareAsUnsignedBytesShorterPrefixFirst() {
        assertAscending(new byte[0], new byte[] {0}, new byte[] {0, 0}, new byte[] {0x7F}, new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xFF});
    }

    @Test
    void uuidsCompareAsUnsignedNumbers() {
        assertAscending(new UUID(0, 0), new UUID(0, -1), new UUID(1, 0), new UUID(Long.MAX_VALUE, 0),
                new UUID(Long.MIN_VALUE, 0), new UUID(-1, -1));
    }

    @Test
    void temporalValuesCompareChronologically() {
        assertAscending(LocalDate.of(-5, 1, 1), LocalDate.of(2024, 2, 28), LocalDate.of(2024, 2, 29));
        assertAscending(LocalDateTime.of(2024, 1, 1, 0, 0), LocalDateTime.of(2024, 1, 1, 0, 0, 0, 1));
        assertAscending(Instant.ofEpochSecond(-1, 999_999_999), Instant.EPOCH, Instant.ofEpochSecond(0, 1));
        assertAscending(Duration.ofNanos(-1), Duration.ZERO, Duration.ofNanos(1), Duration.ofDays(1));
    }

    @Test
    void enumsCompareByTypeNameThenConstantNameAndMatchTheirEnumValue() {
        String type = Color.class.getName();
        assertAllEqual(Color.GREEN, new EnumValue(type, "GREEN"));
        // by name, not by ordinal: BLUE < GREEN < RED
        assertAscending(new EnumValue("a.B", "Z"), Color.BLUE, Color.GREEN, new EnumValue(type, "PURPLE"), Color.RED,
                new EnumValue(type + "X", "A"));
    }

    @Test
    void listsCompareLexicographicallyShorterPrefixFirst() {
        assertAscending(List.of(), List.of(1), List.of(1, "a"), List.of(1, "b"), List.of(2), List.of(List.of()));
        assertAllEqual(List.of(1, List.of(2L)), List.of(1.0, List.of(new BigDecimal("2.0"))));
    }

    @Test
    void recordsCompareAttributeByAttributeInNameOrder() {
        assertAscending(DbObject.empty(), DbObject.of("a", 1), DbObject.of("a", 1, "b", 0), DbObject.of("a", 2),
                DbObject.of("b", 0));
        assertAllEqual(DbObject.of("a", 1, "b", List.of(0)), DbObject.of("a", 1.0, "b", List.of(0L)));
    }

    @Test
    void collectionsAndUnsupportedTypesAreRefusedAsKeys() {
        assertThatThrownBy(() -> ValueOrder.requireOrderable(Dictionary.empty()))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining(Dictionary.class.getName());
        assertThatThrownBy(() -> ValueOrder.requireOrderable(List.of(1, 2.5f)))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("java.lang.Float");
        assertThatThrownBy(() -> ORDER.compare(1, 'c'))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("java.lang.Character");
    }
}
