package io.protobase.spring.data.repository;

public interface PersonRepository extends PersonQueries<Person> {
}
