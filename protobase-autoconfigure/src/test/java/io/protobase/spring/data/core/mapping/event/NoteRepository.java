package io.protobase.spring.data.core.mapping.event;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

public interface NoteRepository extends ProtoBaseRepository<Note, String> {

    List<Note> findByTopic(String topic);

    long deleteByTopic(String topic);
}
