package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;

import java.io.Serial;

/**
 * An event published before an entity is converted to its record (before the BeforeConvertCallbacks run),
 * inside the saving transaction attempt; it has no record yet.
 *
 * @param <T> the entity type
 */
public class BeforeConvertEvent<T> extends ProtoBaseMappingEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about {@code source}.
     *
     * @param source the entity
     * @param record its record, or {@code null} when it has none yet
     * @param root   the name of its root collection
     */
    public BeforeConvertEvent(T source, DbObject record, String root) {
        super(source, record, root);
    }
}
