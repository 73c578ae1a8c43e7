package io.protobase.spring.data.core.mapping.event;

import java.io.Serial;

/**
 * An event about the deletion of entities of one type. Its source is the id of the deleted entity;
 * for {@code deleteAll(type)}, which removes every entity of the type at once, it is the entity
 * type ({@code Class}) itself.
 *
 * @param <T> the entity type
 */
public abstract class AbstractDeleteEvent<T> extends ProtoBaseMappingEvent<Object> {

    @Serial
    private static final long serialVersionUID = 1L;

    private final Class<T> type;

    /**
     * The event about deleting what {@code source} names.
     *
     * @param source the id of the entity, or {@code type} when every entity of it is deleted
     * @param type   the entity type
     * @param root   the name of its root collection
     */
    protected AbstractDeleteEvent(Object source, Class<T> type, String root) {
        super(source, null, root);
        this.type = type;
    }

    /** The type of the deleted entities. */
    public Class<T> getType() {
        return type;
    }
}
