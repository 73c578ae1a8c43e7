package io.protobase.spring.data.repository;

import io.protobase.query.Explanation;
import io.protobase.spring.data.repository.PersonView.Status;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The repository contract over {@code @Indexed} properties: index-capable queries read the indexes. */
class IndexedPersonRepositoryTests extends PersonRepositoryContractTests<Person> {

    @Override
    Class<PersonRepository> repositoryInterface() {
        return PersonRepository.class;
    }

    @Override
    Class<Person> domainType() {
        return Person.class;
    }

    @Override
    Person person(String id, String firstname, String lastname, String city, Integer age, boolean active,
            List<String> tags, Status status, String addressCity) {
        return new Person(id, firstname, lastname, city, age, active, tags, status,
                addressCity == null ? null : new Person.Address("Main Street 1", addressCity));
    }

    @Test
    void aCoveringIndexAnswersQueriesOnItsPropertyFromTheIndexEntries() throws Exception {
        Explanation byCity = explain("findByCity", new Class<?>[] { String.class }, "Berlin");
        assertThat(byCity.usesCoveringIndex()).as(byCity.toText()).isTrue();
    }

    @Override
    void assertIndexable(Explanation explanation) {
        assertThat(explanation.usesIndex()).as(explanation.toText()).isTrue();
        assertThat(explanation.usesScan()).as(explanation.toText()).isFalse();
    }
}
