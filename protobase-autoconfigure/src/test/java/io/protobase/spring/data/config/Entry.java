package io.protobase.spring.data.config;

import org.springframework.data.annotation.CreatedBy;
import org.springframework.data.annotation.CreatedDate;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;

import java.time.Instant;

/** An immutable audited entity: auditing sets its properties through the {@code with…} methods. */
public record Entry(@Id String id, @Version Long version, String text, @CreatedDate Instant created,
        @CreatedBy String author) {

    Entry withCreated(Instant when) {
        return new Entry(id, version, text, when, author);
    }

    Entry withAuthor(String who) {
        return new Entry(id, version, text, created, who);
    }

    Entry withVersion(Long newVersion) {
        return new Entry(id, newVersion, text, created, author);
    }
}
