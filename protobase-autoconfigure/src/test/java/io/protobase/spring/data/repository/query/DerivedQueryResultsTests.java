package io.protobase.spring.data.repository.query;

import io.protobase.ObjectSpace;
import io.protobase.StorageUnavailableException;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import io.protobase.spring.data.repository.query.BookRepository.AuthorOnly;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.query.BookRepository.AuthorRecord;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactory;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a derived query returns, by its subject ({@code exists}, {@code count}, {@code delete},
 * {@code Top}/{@code First}, {@code Distinct}) and result type (entities, streams), through the
 * repositories of an application context.
 */
@ResourceLock(Book.READ_LOCK)
class DerivedQueryResultsTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory")
            .withUserConfiguration(Books.class);

    static final List<Book> SHELF = List.of(
            new Book("b1", "Dune", "Herbert", "sf", 600),
            new Book("b2", "Emma", "Austen", "novel", 470),
            new Book("b3", "Persuasion", "Austen", "novel", 250),
            new Book("b4", "Solaris", "Lem", "sf", 200),
            new Book("b5", "Fiasco", "Lem", "sf", 320),
            new Book("b6", "Ubik", "Dick", "sf", 210));

    private void withShelf(Consumer<BookRepository> test) {
        runner.run(c -> {
            BookRepository books = c.getBean(BookRepository.class);
            books.saveAll(SHELF);
            test.accept(books);
        });
    }

    private static List<String> ids(Iterable<Book> books) {
        return Stream.of(books).flatMap(i -> java.util.stream.StreamSupport.stream(i.spliterator(), false))
                .map(Book::getId).toList();
    }

    // ------------------------------------------------------------------ exists, count

    @Test
    void existsTellsWhetherAnyEntityMatches() {
        withShelf(books -> {
            assertThat(books.existsByAuthor("Lem")).isTrue();
            assertThat(books.existsByAuthor("Tolstoy")).isFalse();
        });
    }

    @Test
    void countReturnsTheNumberOfMatchesAsTheDeclaredNumberType() {
        withShelf(books -> {
            assertThat(books.countByGenre("sf")).isEqualTo(4L);
            assertThat(books.countByAuthor("Austen")).isEqualTo(2);
            assertThat(books.countByGenre("poetry")).isZero();
        });
    }

    // ------------------------------------------------------------------ delete, remove

    @Test
    void deleteReturnsHowManyEntitiesItDeletedAsTheDeclaredNumberType() {
        withShelf(books -> {
            assertThat(books.deleteByGenre("novel")).isEqualTo(2L);
            assertThat(books.removeByAuthor("Lem")).isEqualTo(2);
            assertThat(books.findAll()).extracting(Book::getId).containsExactlyInAnyOrder("b1", "b6");
        });
    }

    @Test
    void deleteReturnsTheDeletedEntitiesAsAList() {
        withShelf(books -> {
            assertThat(books.deleteByPagesLessThan(250)).extracting(Book::getId)
                    .containsExactlyInAnyOrder("b4", "b6");
            assertThat(books.count()).isEqualTo(4);
        });
    }

    @Test
    void deleteReturnsTheOneDeletedEntityForASingleResultType() {
        withShelf(books -> {
            assertThat(books.deleteByTitle("Ubik")).get().extracting(Book::getId).isEqualTo("b6");
            assertThat(books.deleteByTitle("Ubik")).isEmpty();
            assertThat(books.count()).isEqualTo(5);
        });
    }

    @Test
    void deleteForASingleResultTypeFailsAndDeletesNothingWhenSeveralMatch() {
        withShelf(books -> {
            assertThatThrownBy(() -> books.removeBookByAuthor("Lem"))
                    .isInstanceOf(IncorrectResultSizeDataAccessException.class)
                    .hasMessageContaining("removeBookByAuthor").hasMessageContaining("more than one");
            assertThat(books.count()).isEqualTo(6);
        });
    }

    @Test
    void deleteWithoutResultDeletesTheMatches() {
        withShelf(books -> {
            books.deleteByPagesGreaterThan(400);
            assertThat(books.findAll()).extracting(Book::getId).containsExactlyInAnyOrder("b3", "b4", "b5", "b6");
        });
    }

    // ------------------------------------------------------------------ Top, First

    @Test
    void topAndFirstReturnTheFirstMatchesInTheGivenOrder() {
        withShelf(books -> {
            assertThat(books.findFirstByGenreOrderByPagesDesc("sf").getId()).isEqualTo("b1");
            assertThat(books.findTop2ByGenreOrderByPagesDesc("sf")).extracting(Book::getId)
                    .containsExactly("b1", "b5");
            assertThat(books.findTopByOrderByPagesAsc()).get().extracting(Book::getId).isEqualTo("b4");
            assertThat(books.findFirst3ByOrderByTitleAsc()).extracting(Book::getTitle)
                    .containsExactly("Dune", "Emma", "Fiasco");
            assertThat(books.findFirstByGenreOrderByPagesDesc("poetry")).isNull();
        });
    }

    // ------------------------------------------------------------------ Distinct

    @Test
    void distinctEntitiesAreEachEntityOnce() {
        withShelf(books -> assertThat(books.findDistinctByGenre("sf")).extracting(Book::getId)
                .containsExactlyInAnyOrder("b1", "b4", "b5", "b6"));
    }

    @Test
    void distinctProjectionsAreDistinctByTheProjectedProperties() {
        withShelf(books -> {
            assertThat(books.findByPagesGreaterThanOrderByAuthorAsc(0)).extracting(AuthorOnly::getAuthor)
                    .containsExactly("Austen", "Austen", "Dick", "Herbert", "Lem", "Lem");
            assertThat(books.findDistinctByPagesGreaterThan(0)).extracting(AuthorOnly::getAuthor)
                    .containsExactlyInAnyOrder("Austen", "Dick", "Herbert", "Lem");
            assertThat(books.findDistinctAuthorsByGenre("sf")).containsExactlyInAnyOrder(
                    new AuthorRecord("Herbert"), new AuthorRecord("Lem"), new AuthorRecord("Dick"));
        });
    }

    @Test
    void distinctAppliesBeforeTheLimit() {
        withShelf(books -> assertThat(books.findDistinctTop2ByPagesGreaterThanOrderByAuthorAsc(0))
                .extracting(AuthorOnly::getAuthor).containsExactly("Austen", "Dick"));
    }

    // ------------------------------------------------------------------ Stream

    @Test
    void aStreamConvertsTheEntitiesAsTheyAreConsumed() {
        withShelf(books -> {
            Book.READ.set(0);
            try (Stream<Book> stream = books.findAllByOrderByTitleAsc()) {
                Iterator<Book> it = stream.iterator();
                assertThat(it.next().getTitle()).isEqualTo("Dune");
                assertThat(Book.READ).hasValue(1);
                assertThat(it.next().getTitle()).isEqualTo("Emma");
                assertThat(Book.READ).hasValue(2);
            }
        });
    }

    @Test
    void aStreamReadsTheSnapshotOfWhenItWasOpened() {
        withShelf(books -> {
            try (Stream<Book> stream = books.streamByGenre("sf")) {
                books.save(new Book("b7", "Neuromancer", "Gibson", "sf", 270));
                books.deleteById("b1");
                assertThat(ids(stream.toList())).containsExactlyInAnyOrder("b1", "b4", "b5", "b6");
            }
            try (Stream<Book> stream = books.streamByGenre("sf")) {
                assertThat(ids(stream.toList())).containsExactlyInAnyOrder("b4", "b5", "b6", "b7");
            }
        });
    }

    @Test
    void aStreamInsideATransactionSeesItsEarlierWrites() {
        runner.run(c -> {
            BookRepository books = c.getBean(BookRepository.class);
            books.saveAll(SHELF);
            List<String> seen = new TransactionTemplate(c.getBean(PlatformTransactionManager.class)).execute(s -> {
                books.deleteById("b1");
                try (Stream<Book> stream = books.streamByGenre("sf")) {
                    return ids(stream.toList());
                }
            });
            assertThat(seen).containsExactlyInAnyOrder("b4", "b5", "b6");
        });
    }

    @Test
    void aStorageFailureWhileAStreamIsConsumedIsADataAccessException() {
        ReadFailingStorage storage = new ReadFailingStorage();
        // A cache of one byte keeps no node: reading on goes to the storage.
        try (ObjectSpace space = ObjectSpace.builder(storage).cacheBytes(1).build()) {
            BookRepository books = new ProtoBaseRepositoryFactory(new ProtoBaseTemplate(space.getDatabase("shelf"),
                    new ProtoBaseMappingContext())).getRepository(BookRepository.class);
            books.saveAll(IntStream.range(0, 2_000).mapToObj(i -> new Book("b" + i, "Title " + i, "Author", "sf", i))
                    .toList());
            try (Stream<Book> stream = books.streamByGenre("sf")) {
                Iterator<Book> it = stream.iterator();
                assertThat(it.next().getGenre()).isEqualTo("sf");
                storage.failing = true;

                assertThatThrownBy(() -> it.forEachRemaining(book -> { }))
                        .isInstanceOf(TransientDataAccessResourceException.class)
                        .hasCauseInstanceOf(StorageUnavailableException.class)
                        .hasMessageContaining("unreachable");
            } finally {
                storage.failing = false;
            }
        }
    }

    /** A memory storage whose reads fail, while {@link #failing}, as an unreachable backend's do. */
    private static final class ReadFailingStorage extends ForwardingStorage {

        volatile boolean failing;

        ReadFailingStorage() {
            super(new MemoryStorage());
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            if (failing) {
                throw new StorageUnavailableException("backend unreachable reading " + pointer);
            }
            return super.read(pointer);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage
    static class Books {
    }
}
