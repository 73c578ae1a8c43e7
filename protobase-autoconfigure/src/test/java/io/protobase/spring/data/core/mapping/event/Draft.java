package io.protobase.spring.data.core.mapping.event;

import org.springframework.data.annotation.Id;

/** A draft: a mutable entity, which a callback may change in place. */
public class Draft {

    @Id
    private String id;
    private String text;
    private int words;

    public Draft() {
    }

    public Draft(String id, String text) {
        this.id = id;
        this.text = text;
    }

    public String getId() {
        return id;
    }

    public String getText() {
        return text;
    }

    public int getWords() {
        return words;
    }

    public void setWords(int words) {
        this.words = words;
    }
}
