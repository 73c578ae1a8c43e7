package io.protobase.spring.data.core.mapping;

import org.springframework.data.mapping.model.SimpleTypeHolder;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Set;
import java.util.UUID;

/**
 * The property types the engine's codec stores as they are (plus Spring Data's defaults: primitives,
 * their wrappers, {@code String}, enums). Every other non-collection type is a nested value object,
 * stored as a {@code DbObject}.
 */
public final class ProtoBaseSimpleTypes {

    /** The simple types of ProtoBase entities. */
    public static final SimpleTypeHolder HOLDER = new SimpleTypeHolder(Set.of(BigDecimal.class, BigInteger.class,
            UUID.class, Instant.class, LocalDate.class, LocalDateTime.class, Duration.class, byte[].class), true);

    private ProtoBaseSimpleTypes() {
    }
}
