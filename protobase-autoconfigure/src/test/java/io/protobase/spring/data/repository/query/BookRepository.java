package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

public interface BookRepository extends ProtoBaseRepository<Book, String> {

    boolean existsByAuthor(String author);

    long countByGenre(String genre);

    int countByAuthor(String author);

    long deleteByGenre(String genre);

    int removeByAuthor(String author);

    List<Book> deleteByPagesLessThan(int pages);

    Optional<Book> deleteByTitle(String title);

    Optional<Book> removeBookByAuthor(String author);

    void deleteByPagesGreaterThan(int pages);

    Book findFirstByGenreOrderByPagesDesc(String genre);

    List<Book> findTop2ByGenreOrderByPagesDesc(String genre);

    Optional<Book> findTopByOrderByPagesAsc();

    List<Book> findFirst3ByOrderByTitleAsc();

    List<Book> findDistinctByGenre(String genre);

    List<AuthorOnly> findDistinctByPagesGreaterThan(int pages);

    List<AuthorOnly> findByPagesGreaterThanOrderByAuthorAsc(int pages);

    List<AuthorRecord> findDistinctAuthorsByGenre(String genre);

    List<AuthorOnly> findDistinctTop2ByPagesGreaterThanOrderByAuthorAsc(int pages);

    Stream<Book> streamByGenre(String genre);

    Stream<Book> findAllByOrderByTitleAsc();

    /** A closed projection: only the author. */
    interface AuthorOnly {
        String getAuthor();
    }

    /** A DTO projection with the author only. */
    record AuthorRecord(String author) {
    }
}
