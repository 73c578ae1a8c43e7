package io.protobase.spring.data.repository;

import java.util.List;

/** What the contract tests read of a person, indexed or not. */
public interface PersonView {

    enum Status { ACTIVE, SUSPENDED, CLOSED }

    String id();

    String firstname();

    String lastname();

    String city();

    Integer age();

    boolean active();

    List<String> tags();

    Status status();

    String addressCity();
}
