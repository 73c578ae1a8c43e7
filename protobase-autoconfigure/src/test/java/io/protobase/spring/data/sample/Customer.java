package io.protobase.spring.data.sample;

import io.protobase.spring.data.annotation.Root;
import org.springframework.data.annotation.Id;

/** An entity with an assigned id and no version (the last writer wins outside transactions). */
@Root("customers")
public record Customer(@Id String id, String name, Tier tier) {

    public enum Tier { BRONZE, SILVER, GOLD }
}
