package io.protobase.spring.data.core;

import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import org.springframework.dao.InvalidDataAccessApiUsageException;

import java.util.UUID;

/**
 * The default {@link ProtoBaseIdentifierGenerator}: a random {@link UUID} for {@code UUID} and
 * {@code String} ids, and for {@code Long} and {@code Integer} ids the next number of a per-type
 * counter, stepping over numbers already used as ids (assigned by hand before the counter reached
 * them). The counters live in the database (root {@value ProtoBaseTemplate#SEQUENCES}), so numbers
 * are not reused after a restart, and two transactions that take numbers of one type conflict
 * instead of handing out the same number twice.
 */
public class SequenceIdentifierGenerator implements ProtoBaseIdentifierGenerator {

    @Override
    public Object generateIdentifier(ProtoBasePersistentEntity<?> entity, IdSequence sequence) {
        Class<?> t = entity.getRequiredIdProperty().getType();
        if (t == UUID.class) {
            return UUID.randomUUID();
        }
        if (t == String.class) {
            return UUID.randomUUID().toString();
        }
        if (t == Long.class || t == long.class || t == Integer.class || t == int.class) {
            boolean narrow = t == Integer.class || t == int.class;
            long next = sequence.last() + 1;
            while (sequence.isTaken(narrow ? (Object) (int) next : (Object) next)) {
                next++;
            }
            sequence.advance(next);
            return narrow ? (Object) (int) next : (Object) next;
        }
        throw new InvalidDataAccessApiUsageException("Cannot generate an id of type " + t.getName() + " for "
                + entity.getType().getName() + ": assign one before saving, use a String, UUID, Long or Integer id,"
                + " or define a ProtoBaseIdentifierGenerator bean that makes up ids of this type");
    }
}
