package io.protobase.spring.data.repository;

import io.protobase.spring.data.annotation.Indexed;
import org.springframework.data.annotation.Id;

import java.util.List;

/** A person whose city, age and address city are indexed. */
public record Person(@Id String id, String firstname, String lastname, @Indexed(covering = true) String city,
        @Indexed Integer age, boolean active, List<String> tags, Status status, Address address) implements PersonView {

    /** An address whose city is indexed ({@code address.city}). */
    public record Address(String street, @Indexed String city) {
    }

    @Override
    public String addressCity() {
        return address == null ? null : address.city();
    }
}
