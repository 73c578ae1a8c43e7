package io.protobase.spring.data.repository;

import io.protobase.spring.data.annotation.Root;
import org.springframework.data.annotation.Id;

import java.util.List;

/** The same person without any index: every query scans. */
@Root("plainPeople")
public record PlainPerson(@Id String id, String firstname, String lastname, String city, Integer age,
        boolean active, List<String> tags, Status status, Address address) implements PersonView {

    /** An address without index. */
    public record Address(String street, String city) {
    }

    @Override
    public String addressCity() {
        return address == null ? null : address.city();
    }
}
