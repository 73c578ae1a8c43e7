package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;
import org.springframework.context.ApplicationEvent;

import java.io.Serial;

/**
 * An event the template publishes about an entity: its source is the entity, with the record it is
 * stored as (when there is one) and the name of its root collection.
 *
 * @param <T> the entity type
 */
public class ProtoBaseMappingEvent<T> extends ApplicationEvent {

    @Serial
    private static final long serialVersionUID = 1L;

    private final transient DbObject record;
    private final String root;

    /**
     * An event about {@code source}.
     *
     * @param source the entity
     * @param record the record it is stored as, or {@code null} when there is none yet
     * @param root   the name of its root collection
     */
    public ProtoBaseMappingEvent(T source, DbObject record, String root) {
        super(source);
        this.record = record;
        this.root = root;
    }

    /** The entity. */
    @Override
    @SuppressWarnings("unchecked")
    public T getSource() {
        return (T) super.getSource();
    }

    /** The record the entity is stored as, or {@code null} (before it is converted). */
    public DbObject getRecord() {
        return record;
    }

    /** The name of the entity's root collection. */
    public String getRoot() {
        return root;
    }
}
