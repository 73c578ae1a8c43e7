package io.protobase.spring.test.autoconfigure.app;

import org.springframework.data.annotation.Id;

/** An entity of the sample application. */
public record Note(@Id String id, String text) {
}
