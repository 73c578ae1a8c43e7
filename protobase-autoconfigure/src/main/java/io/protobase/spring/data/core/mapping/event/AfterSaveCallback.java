package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;
import org.springframework.data.mapping.callback.EntityCallback;

/**
 * Called after an entity was written to its root, inside the saving transaction (so before the
 * commit); what it returns is what {@code save} returns.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface AfterSaveCallback<T> extends EntityCallback<T> {

    /**
     * Returns the entity {@code save} returns.
     *
     * @param entity the saved entity
     * @param record the record stored for it
     * @param root   the name of the root collection the entity is stored in
     * @return the entity to return to the caller
     */
    T onAfterSave(T entity, DbObject record, String root);
}
