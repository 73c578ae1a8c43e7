package io.protobase.spring.test.autoconfigure.app;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

/** The sample application's repository. */
public interface NoteRepository extends ProtoBaseRepository<Note, String> {

    List<Note> findByText(String text);
}
