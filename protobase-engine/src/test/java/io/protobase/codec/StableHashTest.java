package io.protobase.codec;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.CodecArbitraries.Color;
import io.protobase.collection.DbObject;
import io.protobase.collection.ProtoList;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StableHashTest {

    /**
     * The hash is part of the stored format (hashed collections are laid out by it), so it must give
     * the same number in every JVM, release and run. These literals were computed once with this
     * implementation and pinned: if this test fails, stored hash dictionaries and sets no longer read.
     */
    @Test
    void hashOfKnownValuesNeverChanges() {
        assertThat(StableHash.of(null)).isEqualTo(0x7B563F8F27ADE6D3L);
        assertThat(StableHash.of(true)).isEqualTo(0xB697EE3BF1068BD2L);
        assertThat(StableHash.of(false)).isEqualTo(0x98B1559746667E17L);
        assertThat(StableHash.of(1)).isEqualTo(0xAE1C8D7B97A22E56L);
        assertThat(StableHash.of(0)).isEqualTo(0x2291B15A5AB6388EL);
        assertThat(StableHash.of(-1)).isEqualTo(0xD17A6B21AD1A3072L);
        assertThat(StableHash.of(Long.MAX_VALUE)).isEqualTo(0xD3F420913108A28EL);
        assertThat(StableHash.of(0.5)).isEqualTo(0x4CF15F4E78BF7C6DL);
        assertThat(StableHash.of(Double.NaN)).isEqualTo(0x5887B9659B2D33EAL);
        assertThat(StableHash.of(Double.POSITIVE_INFINITY)).isEqualTo(0x719F6EE20828E2DL);
        assertThat(StableHash.of(new BigDecimal("0.1"))).isEqualTo(0x60748F55C9444C29L);
        assertThat(StableHash.of(BigInteger.ONE.shiftLeft(100))).isEqualTo(0xA79BA3D902E91CA9L);
        assertThat(StableHash.of("")).isEqualTo(0x9293751B8FFC99DFL);
        assertThat(StableHash.of("protobase")).isEqualTo(0xAA7208A7DD9E5EE9L);
        assertThat(StableHash.of("\uD83D\uDE00")).isEqualTo(0xD109095FD23C7D50L);
        assertThat(StableHash.of(new byte[] {1, 2, 3})).isEqualTo(0xEC5AE4BE7FD058F2L);
        assertThat(StableHash.of(new UUID(1, 2))).isEqualTo(0xC6A1E9C444CFFECBL);
        assertThat(StableHash.of(LocalDate.of(2024, 2, 29))).isEqualTo(0x601E33FEEA921A7DL);
        assertThat(StableHash.of(LocalDateTime.of(2024, 2, 29, 12, 30))).isEqualTo(0x1FA4C3CF3EC5E2CBL);
        assertThat(StableHash.of(Instant.ofEpochSecond(1_700_000_000L, 5))).isEqualTo(0xB7C4E3A8D2DDA5B7L);
        assertThat(StableHash.of(Duration.ofMillis(-1500))).isEqualTo(0xD43D76F386E8E4BEL);
        assertThat(StableHash.of(new EnumValue("com.example.Color", "RED"))).isEqualTo(0x46FADD9EF5F6BBF5L);
        assertThat(StableHash.of(List.of(1, "a", List.of()))).isEqualTo(0xB9A53C1258CD1BFAL);
        assertThat(StableHash.of(DbObject.of("id", 1, "name", "x"))).isEqualTo(0x9256ABDF2D924567L);
    }

    @Test
    void sameKeysUnderValueOrderHashAlike() {
        assertAllHashAlike(1, 1L, 1.0, BigInteger.ONE, new BigDecimal("1.00"), new BigDecimal("0.1E+1"));
        assertAllHashAlike(-0.0, 0.0, 0, 0L, BigInteger.ZERO, new BigDecimal("0.000"), new BigDecimal("0E+7"));
        assertAllHashAlike(Double.NaN, Double.longBitsToDouble(0x7FF0000000000001L),
                Double.longBitsToDouble(0xFFF8000000000123L));
        assertAllHashAlike(1e300, new BigDecimal(1e300), new BigDecimal(1e300).toBigIntegerExact());
        assertAllHashAlike(0x1p63, BigInteger.ONE.shiftLeft(63), new BigDecimal(BigInteger.ONE.shiftLeft(63), 0));
        assertAllHashAlike(-0x1p63, Long.MIN_VALUE, BigInteger.valueOf(Long.MIN_VALUE));
        assertAllHashAlike(0.375, new BigDecimal("0.3750"));
        assertAllHashAlike(Color.GREEN, new EnumValue(Color.class.getName(), "GREEN"));
        assertAllHashAlike(List.of(1, List.of(2L)), List.of(1.0, List.of(new BigDecimal("2.0"))));
        assertAllHashAlike(DbObject.of("a", 1, "b", List.of(0)), DbObject.of("a", 1.0, "b", List.of(0L)));
    }

    @Test
    void bigDecimalAtTheScaleLimitHashesLikeItsEqualForms() {
        // 10 x 10^(2^31) and 100 x 10^(2^31 - 1): equal, but stripping the zeros would need a scale below int's range
        BigDecimal a = new BigDecimal(BigInteger.TEN, Integer.MIN_VALUE);
        BigDecimal b = new BigDecimal(BigInteger.valueOf(100), Integer.MIN_VALUE + 1);
        assertThat(ValueOrder.INSTANCE.compare(a, b)).isZero();
        assertAllHashAlike(a, b);
        assertThat(StableHash.of(a)).isNotEqualTo(StableHash.of(new BigDecimal(BigInteger.ONE, Integer.MIN_VALUE)));
    }

    @Test
    void distinctSmallValuesHashApart() {
        assertThat(List.of(StableHash.of(0), StableHash.of(1), StableHash.of(-1), StableHash.of("0"),
                StableHash.of(false), StableHash.of((Object) null), StableHash.of(new byte[] {0}),
                StableHash.of(List.of(0)), StableHash.of(DbObject.empty()), StableHash.of(List.of())))
                .doesNotHaveDuplicates();
    }

    @Test
    void unorderableValuesCannotBeHashed() {
        assertThatThrownBy(() -> StableHash.of(ProtoList.of(1)))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining(ProtoList.class.getName());
        assertThatThrownBy(() -> StableHash.of(1.5f))
                .isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("java.lang.Float");
    }

    private static void assertAllHashAlike(Object... values) {
        long first = StableHash.of(values[0]);
        for (Object v : values) {
            assertThat(ValueOrder.INSTANCE.compare(values[0], v)).as("%s is the same key", v).isZero();
            assertThat(StableHash.of(v)).as("hash of %s", ExactValues.describe(v)).isEqualTo(first);
        }
    }
}
