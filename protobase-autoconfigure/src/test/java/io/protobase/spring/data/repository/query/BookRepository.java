package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;

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

    List<TitleAndPages> findByGenreOrderByTitleAsc(String genre);

    Optional<TitleAndPages> findByTitle(String title);

    Page<TitleAndPages> findByGenre(String genre, Pageable pageable);

    Stream<TitleAndPages> streamByAuthorOrderByPagesAsc(String author);

    List<Label> findByAuthorOrderByTitleAsc(String author);

    List<Summary> findByPagesBetweenOrderByPagesAsc(int from, int to);

    List<Shelved> findByGenreAndPagesGreaterThan(String genre, int pages);

    <T> List<T> findByAuthor(String author, Class<T> type);

    /** A closed projection: only the author. */
    interface AuthorOnly {
        String getAuthor();
    }

    /** A closed projection of two properties. */
    interface TitleAndPages {
        String getTitle();

        int getPages();
    }

    /** An open projection: an expression on the whole entity. */
    interface Label {
        @Value("#{target.title + ' by ' + target.author}")
        String getLabel();
    }

    /** A DTO projection as a record. */
    record Summary(String title, int pages) {
    }

    /** A DTO projection as a class with a constructor and a setter. */
    class Shelved {
        private final String title;
        private String genre;

        public Shelved(String title) {
            this.title = title;
        }

        public String getTitle() {
            return title;
        }

        public String getGenre() {
            return genre;
        }

        public void setGenre(String genre) {
            this.genre = genre;
        }
    }

    /** A DTO projection with the author only. */
    record AuthorRecord(String author) {
    }
}
