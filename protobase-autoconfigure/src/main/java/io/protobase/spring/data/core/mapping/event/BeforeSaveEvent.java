package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;

import java.io.Serial;

/**
 * An event published when an entity was converted and is about to be stored (before the
 * BeforeSaveCallbacks run), inside the saving transaction attempt.
 *
 * @param <T> the entity type
 */
public class BeforeSaveEvent<T> extends ProtoBaseMappingEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about {@code source}.
     *
     * @param source the entity
     * @param record its record, or {@code null} when it has none yet
     * @param root   the name of its root collection
     */
    public BeforeSaveEvent(T source, DbObject record, String root) {
        super(source, record, root);
    }
}
