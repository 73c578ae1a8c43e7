package io.protobase.spring.data.config;

import org.springframework.data.annotation.CreatedBy;
import org.springframework.data.annotation.CreatedDate;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.LastModifiedBy;
import org.springframework.data.annotation.LastModifiedDate;
import org.springframework.data.annotation.Version;

import java.time.Instant;

/** An audited entity with an assigned id: its {@code @Version} tells whether it is new. */
public class Memo {

    @Id
    private String id;
    @Version
    private Long version;
    private String text;
    @CreatedDate
    private Instant created;
    @LastModifiedDate
    private Instant modified;
    @CreatedBy
    private String author;
    @LastModifiedBy
    private String editor;

    public Memo() {
    }

    public Memo(String id, String text) {
        this.id = id;
        this.text = text;
    }

    public String getId() {
        return id;
    }

    public String getText() {
        return text;
    }

    public void setText(String text) {
        this.text = text;
    }

    public Instant getCreated() {
        return created;
    }

    public Instant getModified() {
        return modified;
    }

    public String getAuthor() {
        return author;
    }

    public String getEditor() {
        return editor;
    }
}
