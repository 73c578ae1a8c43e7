package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;
import org.springframework.data.mapping.callback.EntityCallback;

/**
 * Called after an entity was converted, with the record about to be stored, inside the saving
 * transaction. What the callback returns is what is stored: {@code entity} with the changes the
 * callback made to it, or another instance. Records are immutable, so the template converts the
 * returned entity again when the application has a {@code BeforeSaveCallback}; a change that does
 * not depend on the record is cheaper in a {@link BeforeConvertCallback}.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface BeforeSaveCallback<T> extends EntityCallback<T> {

    /**
     * Returns the entity to store.
     *
     * @param entity the entity about to be stored, with its id and version set
     * @param record the record converted from it
     * @param root   the name of the root collection the entity is stored in
     * @return the entity to store: {@code entity}, changed or not, or another instance
     */
    T onBeforeSave(T entity, DbObject record, String root);
}
