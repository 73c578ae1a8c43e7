package io.protobase.spring.data.core.mapping.event;

import org.springframework.data.mapping.callback.EntityCallback;

/**
 * Called before an entity is converted to its stored record, before its id is generated and its
 * version stamped: the place to change what is stored (auditing sets its dates here). Runs inside
 * the saving transaction; a save outside one that conflicts is retried, and calls it again.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface BeforeConvertCallback<T> extends EntityCallback<T> {

    /**
     * Returns the entity to convert and store: {@code entity}, changed or not, or another instance.
     *
     * @param entity the entity about to be saved
     * @param root   the name of the root collection the entity is stored in
     * @return the entity to store
     */
    T onBeforeConvert(T entity, String root);
}
