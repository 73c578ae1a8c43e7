package io.protobase.spring.autoconfigure;

import io.protobase.ObjectSpace;

/**
 * Adjusts the auto-configured {@link ObjectSpace} before it opens (commit-lock timeout, clock).
 * Declare beans of this type; they run in {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface ObjectSpaceCustomizer {

    /** Customizes the builder. */
    void customize(ObjectSpace.Builder builder);
}
