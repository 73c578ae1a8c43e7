package io.protobase.spring.data.repository.query;

import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import io.protobase.spring.data.repository.query.BookRepository.AuthorOnly;
import io.protobase.spring.data.repository.query.BookRepository.Label;
import io.protobase.spring.data.repository.query.BookRepository.Shelved;
import io.protobase.spring.data.repository.query.BookRepository.Summary;
import io.protobase.spring.data.repository.query.BookRepository.TitleAndPages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.domain.Example;
import org.springframework.data.domain.ExampleMatcher;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Derived queries returning projections: closed and open interfaces, DTO records and classes, and
 * a {@code Class} parameter choosing the type per call. Closed projections and DTOs are read from the
 * stored attributes they name, without creating the entity.
 */
@ResourceLock(Book.READ_LOCK)
class ProjectionTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory")
            .withUserConfiguration(DerivedQueryResultsTests.Books.class);

    private void withShelf(Consumer<BookRepository> test) {
        runner.run(c -> {
            BookRepository books = c.getBean(BookRepository.class);
            books.saveAll(DerivedQueryResultsTests.SHELF);
            Book.READ.set(0);
            test.accept(books);
        });
    }

    @Test
    void aClosedInterfaceProjectionReturnsItsPropertiesWithoutCreatingTheEntity() {
        withShelf(books -> {
            assertThat(books.findByGenreOrderByTitleAsc("sf")).extracting(TitleAndPages::getTitle,
                    TitleAndPages::getPages).containsExactly(tuple("Dune", 600), tuple("Fiasco", 320),
                    tuple("Solaris", 200), tuple("Ubik", 210));
            assertThat(books.findByTitle("Emma")).get().extracting(TitleAndPages::getPages).isEqualTo(470);
            assertThat(books.findByTitle("Ulysses")).isEmpty();
            assertThat(Book.READ).hasValue(0);
        });
    }

    @Test
    void pagesAndStreamsOfProjectionsAreProjectedToo() {
        withShelf(books -> {
            Page<TitleAndPages> page = books.findByGenre("sf", PageRequest.of(1, 3, Sort.by("title")));
            assertThat(page.getContent()).extracting(TitleAndPages::getTitle).containsExactly("Ubik");
            assertThat(page.getTotalElements()).isEqualTo(4);
            try (Stream<TitleAndPages> stream = books.streamByAuthorOrderByPagesAsc("Lem")) {
                assertThat(stream.map(TitleAndPages::getTitle)).containsExactly("Solaris", "Fiasco");
            }
            assertThat(Book.READ).hasValue(0);
        });
    }

    @Test
    void anOpenInterfaceProjectionEvaluatesItsExpressionOnTheEntity() {
        withShelf(books -> assertThat(books.findByAuthorOrderByTitleAsc("Austen")).extracting(Label::getLabel)
                .containsExactly("Emma by Austen", "Persuasion by Austen"));
    }

    @Test
    void aDtoRecordIsCreatedFromTheStoredPropertiesItNames() {
        withShelf(books -> {
            assertThat(books.findByPagesBetweenOrderByPagesAsc(200, 250)).containsExactly(
                    new Summary("Solaris", 200), new Summary("Ubik", 210), new Summary("Persuasion", 250));
            assertThat(Book.READ).hasValue(0);
        });
    }

    @Test
    void aDtoClassGetsItsConstructorArgumentsAndSettersFromTheStoredProperties() {
        withShelf(books -> assertThat(books.findByGenreAndPagesGreaterThan("novel", 300))
                .extracting(Shelved::getTitle, Shelved::getGenre).containsExactly(tuple("Emma", "novel")));
    }

    @Test
    void queryByExampleReturnsTheProjectionItsFluentQueryAsksFor() {
        withShelf(books -> {
            Example<Book> byLem = Example.of(new Book(null, null, "Lem", null, 0),
                    ExampleMatcher.matching().withIgnorePaths("pages"));
            List<TitleAndPages> found = books.findBy(byLem, q -> q.as(TitleAndPages.class)
                    .sortBy(Sort.by("title")).all());
            assertThat(found).extracting(TitleAndPages::getTitle).containsExactly("Fiasco", "Solaris");
            try (Stream<Summary> stream = books.findBy(byLem, q -> q.as(Summary.class).sortBy(Sort.by("pages"))
                    .stream())) {
                assertThat(stream).containsExactly(new Summary("Solaris", 200), new Summary("Fiasco", 320));
            }
            assertThat(Book.READ).hasValue(0);
        });
    }

    @Test
    void aClassParameterChoosesTheResultTypePerCall() {
        withShelf(books -> {
            assertThat(books.findByAuthor("Herbert", Book.class)).extracting(Book::getTitle).containsExactly("Dune");
            assertThat(books.findByAuthor("Herbert", AuthorOnly.class)).extracting(AuthorOnly::getAuthor)
                    .containsExactly("Herbert");
            assertThat(books.findByAuthor("Herbert", Summary.class)).containsExactly(new Summary("Dune", 600));
            assertThat(books.findByAuthor("Herbert", Label.class)).extracting(Label::getLabel)
                    .containsExactly("Dune by Herbert");
        });
    }
}
