package io.protobase.spring.data.core.mapping.event;

import io.protobase.spring.data.repository.ProtoBaseRepository;

public interface DraftRepository extends ProtoBaseRepository<Draft, String> {
}
