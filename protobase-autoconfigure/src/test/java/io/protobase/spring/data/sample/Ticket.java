package io.protobase.spring.data.sample;

import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;

/** An immutable record with a generated UUID id and a primitive version. */
public record Ticket(@Id java.util.UUID id, String title, @Version int version) {
}
