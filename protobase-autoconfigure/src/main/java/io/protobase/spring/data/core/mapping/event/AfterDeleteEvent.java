package io.protobase.spring.data.core.mapping.event;

import java.io.Serial;

/**
 * An event published once the transaction that deleted an entity has committed: as the delete returns
 * when it ran in a transaction of its own, else after the enclosing Spring-managed transaction commits
 * (not at all when it rolls back).
 *
 * @param <T> the entity type
 */
public class AfterDeleteEvent<T> extends AbstractDeleteEvent<T> {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * The event about deleting what {@code source} names.
     *
     * @param source the id of the entity, or {@code type} when every entity of it is deleted
     * @param type   the entity type
     * @param root   the name of its root collection
     */
    public AfterDeleteEvent(Object source, Class<T> type, String root) {
        super(source, type, root);
    }
}
