package io.protobase.spring.data.core.mapping.event;

import io.protobase.collection.DbObject;
import org.springframework.data.mapping.callback.EntityCallback;

/**
 * Called after an entity was converted, with the record about to be stored, inside the saving
 * transaction. Records are immutable: returning a different instance than {@code entity} makes the
 * template convert and store that instance instead; changes made to {@code entity} itself are not
 * stored (make them in a {@link BeforeConvertCallback}).
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
     * @return the entity to store: {@code entity} to store {@code record}
     */
    T onBeforeSave(T entity, DbObject record, String root);
}
