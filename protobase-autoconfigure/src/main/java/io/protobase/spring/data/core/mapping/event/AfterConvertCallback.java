package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;
import org.springframework.data.mapping.callback.EntityCallback;

/**
 * Called after an entity was read from its stored record, before it is returned (for a stream, as
 * the stream is consumed). Not called for closed projections and DTOs, which create no entity, nor
 * for entities loaded through a {@code @Reference}.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface AfterConvertCallback<T> extends EntityCallback<T> {

    /**
     * Returns the entity the read returns.
     *
     * @param entity the entity read
     * @param record the record it was read from
     * @param root   the name of the root collection the entity is stored in
     * @return the entity to return to the caller
     */
    T onAfterConvert(T entity, DbObject record, String root);
}
