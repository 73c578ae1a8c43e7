package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;

import java.io.Serial;

/**
 * An event published when an entity was read from its record (before the AfterConvertCallbacks run), as
 * it is read.
 *
 * @param <T> the entity type
 */
public class AfterConvertEvent<T> extends ProtoBaseMappingEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about {@code source}.
     *
     * @param source the entity
     * @param record its record, or {@code null} when it has none yet
     * @param root   the name of its root collection
     */
    public AfterConvertEvent(T source, DbObject record, String root) {
        super(source, record, root);
    }
}
