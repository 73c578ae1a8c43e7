package io.protobase.spring.aot;

import io.protobase.spring.data.annotation.Indexed;
import org.springframework.data.annotation.Id;

/** An entity of the application processed ahead of time. */
public record Book(@Id String isbn, @Indexed String author, int pages) {
}
