package io.protobase.spring.data.core.mapping.event;

import java.io.Serial;

/**
 * An event published before an entity is removed from its root, inside the deleting transaction attempt.
 *
 * @param <T> the entity type
 */
public class BeforeDeleteEvent<T> extends AbstractDeleteEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about deleting what {@code source} names.
     *
     * @param source the id of the entity, or {@code type} when every entity of it is deleted
     * @param type   the entity type
     * @param root   the name of its root collection
     */
    public BeforeDeleteEvent(Object source, Class<T> type, String root) {
        super(source, type, root);
    }
}
