package io.protobase.spring.data.repository;

public interface PlainPersonRepository extends PersonQueries<PlainPerson> {
}
