package io.protobase.spring.aot;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

/** A repository with a derived query, of the application processed ahead of time. */
public interface BookRepository extends ProtoBaseRepository<Book, String> {

    List<Book> findByAuthor(String author);
}
