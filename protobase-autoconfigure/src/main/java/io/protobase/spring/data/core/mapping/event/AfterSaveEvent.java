package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;

import java.io.Serial;

/**
 * An event published once the transaction that saved an entity has committed
 *
 * @param <T> the entity type
 */
public class AfterSaveEvent<T> extends ProtoBaseMappingEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about {@code source}.
     *
     * @param source the entity
     * @param record its record, or {@code null} when it has none yet
     * @param root   the name of its root collection
     */
    public AfterSaveEvent(T source, DbObject record, String root) {
        super(source, record, root);
    }
}
