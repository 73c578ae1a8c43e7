package io.protobase.spring.data.core;

import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;

/**
 * Makes up the id of an entity saved without one. The template calls it inside the saving
 * transaction, once per new entity; a generator that hands out numbers keeps its state in the
 * {@link IdSequence} it is given, which is stored with the entities and so commits, rolls back and
 * is retried with them. {@link SequenceIdentifierGenerator} is the default; an application replaces
 * it with a bean of this type.
 */
@FunctionalInterface
public interface ProtoBaseIdentifierGenerator {

    /**
     * Returns a new id for an entity of {@code entity}'s type, of its id property's type.
     *
     * @throws org.springframework.dao.InvalidDataAccessApiUsageException when no id of that type can be made up
     */
    Object generateIdentifier(ProtoBasePersistentEntity<?> entity, IdSequence sequence);

    /**
     * The id counter of one entity type within the saving transaction, and the ids already taken
     * in it. Changes are stored when the transaction commits, and discarded with it.
     */
    interface IdSequence {

        /** Returns the last number handed out for this type (0 before the first). */
        long last();

        /** Records {@code last} as the last number handed out. */
        void advance(long last);

        /** Tells whether an entity of this type with {@code id} is stored or being saved. */
        boolean isTaken(Object id);
    }
}
