package io.protobase.spring.data.config;

import io.protobase.spring.data.repository.ProtoBaseRepository;

public interface EntryRepository extends ProtoBaseRepository<Entry, String> {
}
