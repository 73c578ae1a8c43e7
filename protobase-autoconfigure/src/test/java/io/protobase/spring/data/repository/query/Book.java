package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.annotation.Indexed;
import io.protobase.spring.data.annotation.Root;
import org.springframework.data.annotation.Id;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A book, mapped as a plain class. The mapping creates instances through the no-argument constructor,
 * which counts them: the tests see how many entities a query converted.
 */
@Root("books")
public class Book {

    /** How many books the mapping has created (the tests' own instances are not counted). */
    static final AtomicInteger READ = new AtomicInteger();

    /** The lock of the test classes that read {@link #READ}: classes run in parallel, the counter is shared. */
    static final String READ_LOCK = "io.protobase.spring.data.repository.query.Book.READ";

    @Id
    private String id;
    private String title;
    private String author;
    @Indexed
    private String genre;
    private int pages;

    public Book() {
        READ.incrementAndGet();
    }

    Book(String id, String title, String author, String genre, int pages) {
        this.id = id;
        this.title = title;
        this.author = author;
        this.genre = genre;
        this.pages = pages;
    }

    public String getId() {
        return id;
    }

    public String getTitle() {
        return title;
    }

    public String getAuthor() {
        return author;
    }

    public String getGenre() {
        return genre;
    }

    public int getPages() {
        return pages;
    }

    public void setPages(int pages) {
        this.pages = pages;
    }

    @Override
    public String toString() {
        return id + ":" + title;
    }
}
