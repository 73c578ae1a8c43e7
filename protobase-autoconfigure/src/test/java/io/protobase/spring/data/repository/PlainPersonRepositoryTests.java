package io.protobase.spring.data.repository;

import io.protobase.query.Explanation;
import io.protobase.spring.data.repository.PersonView.Status;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The repository contract without indexes: the same answers, from scans. */
class PlainPersonRepositoryTests extends PersonRepositoryContractTests<PlainPerson> {

    @Override
    Class<PlainPersonRepository> repositoryInterface() {
        return PlainPersonRepository.class;
    }

    @Override
    Class<PlainPerson> domainType() {
        return PlainPerson.class;
    }

    @Override
    PlainPerson person(String id, String firstname, String lastname, String city, Integer age, boolean active,
            List<String> tags, Status status, String addressCity) {
        return new PlainPerson(id, firstname, lastname, city, age, active, tags, status,
                addressCity == null ? null : new PlainPerson.Address("Main Street 1", addressCity));
    }

    @Override
    void assertIndexable(Explanation explanation) {
        assertThat(explanation.usesIndex()).as(explanation.toText()).isFalse();
        assertThat(explanation.usesScan()).as(explanation.toText()).isTrue();
    }
}
