package io.protobase.spring.data.core;

import io.protobase.collection.DbObject;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.data.mapping.PersistentPropertyAccessor;

/**
 * The {@code @Version} rules, checked against the stored record inside the writing transaction:
 * an entity without a version (null, or 0 for a primitive) is new and must not be stored yet; one
 * with a version must find the same version stored, and a save stores it one higher. A new
 * entity's first version is 0 for a wrapper and 1 for a primitive (where 0 means "new"). Because
 * the check reads the entity's key in the transaction, two concurrent saves of one entity also
 * conflict at commit, so the loser's retry fails here.
 */
final class OptimisticLocking {

    private OptimisticLocking() {
    }

    /**
     * Checks the version of {@code entity} (read through {@code accessor}) against {@code stored}
     * and sets the version it is saved with.
     *
     * @throws OptimisticLockingFailureException when the stored entity is not the version being saved
     */
    static void stampForSave(ProtoBasePersistentEntity<?> entity, PersistentPropertyAccessor<?> accessor, Object id,
            DbObject stored) {
        if (!entity.hasVersionProperty()) {
            return;
        }
        ProtoBasePersistentProperty versionProperty = entity.getRequiredVersionProperty();
        Number version = (Number) accessor.getProperty(versionProperty);
        boolean primitive = versionProperty.getType().isPrimitive();
        if (version == null || (primitive && version.longValue() == 0)) {
            if (stored != null) {
                throw new OptimisticLockingFailureException("Cannot insert " + entity.getType().getSimpleName()
                        + " with id " + id + ": one is already stored (version "
                        + stored.getAt(versionProperty.getName())
                        + "); load it and save the loaded instance to update it");
            }
            accessor.setProperty(versionProperty, convert(primitive ? 1 : 0, versionProperty));
        } else {
            Object storedVersion = stored == null ? null : stored.getAt(versionProperty.getName());
            if (!(storedVersion instanceof Number n) || n.longValue() != version.longValue()) {
                throw new OptimisticLockingFailureException("Cannot save " + entity.getType().getSimpleName()
                        + " with id "
                        + id + " at version " + version + ": " + (stored == null ? "it was deleted"
                        : "it was changed concurrently (stored version " + storedVersion + ")")
                        + "; reload it and apply the change again");
            }
            accessor.setProperty(versionProperty, convert(version.longValue() + 1, versionProperty));
        }
    }

    /**
     * Checks that deleting {@code entity} deletes the version it holds; an entity without a
     * version deletes whatever is stored.
     *
     * @throws OptimisticLockingFailureException when a different version is stored
     */
    static void checkForDelete(ProtoBasePersistentEntity<?> entity, PersistentPropertyAccessor<?> accessor, Object id,
            DbObject stored) {
        if (!entity.hasVersionProperty()) {
            return;
        }
        ProtoBasePersistentProperty vp = entity.getRequiredVersionProperty();
        Object version = accessor.getProperty(vp);
        Object storedVersion = stored.getAt(vp.getName());
        if (version instanceof Number v && storedVersion instanceof Number s && v.longValue() != s.longValue()) {
            throw new OptimisticLockingFailureException("Cannot delete " + entity.getType().getSimpleName()
                    + " with id " + id + " at version " + v + ": it was changed concurrently (stored version "
                    + s + "); reload it first");
        }
    }

    private static Object convert(long v, ProtoBasePersistentProperty p) {
        Class<?> t = p.getType();
        if (t == Integer.class || t == int.class) {
            return (int) v;
        }
        if (t == Short.class || t == short.class) {
            return (short) v;
        }
        return v;
    }
}
