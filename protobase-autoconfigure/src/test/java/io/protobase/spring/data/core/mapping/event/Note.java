package io.protobase.spring.data.core.mapping.event;

import org.springframework.data.annotation.Id;

/** A note: an immutable entity, changed by returning copies. */
public record Note(@Id String id, String text, String topic) {

    Note withText(String newText) {
        return new Note(id, newText, topic);
    }
}
