package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.DbObject;
import io.protobase.storage.AtomPointer;

import java.time.Instant;

/**
 * One published version of the object space, decoded from its space-root record: the catalog
 * (database name → database root dictionary), its sequence number and time, and the links to the
 * previous version and to a "jump" ancestor (sequence {@code s & (s - 1)}) that make history
 * lookups O(log² n) record reads.
 */
record SpaceState(AtomPointer pointer, long sequence, Instant createdAt, AtomPointer previous, AtomPointer jump,
        Dictionary catalog) {

    static final int FORMAT = 1;

    static SpaceState initial() {
        return new SpaceState(null, 0, Instant.EPOCH, null, null, Dictionary.empty());
    }

    DbObject toRecord() {
        return DbObject.of("format", FORMAT, "sequence", sequence, "createdAt", createdAt,
                "previous", previous, "jump", jump, "catalog", catalog);
    }

    static SpaceState fromRecord(AtomPointer pointer, Object record) {
        if (!(record instanceof DbObject o)) {
            throw new CorruptionException("Corrupt space root " + pointer + ": not a record");
        }
        Object format = o.getAt("format");
        if (!(format instanceof Integer f)) {
            throw new CorruptionException("Corrupt space root " + pointer + ": no format number");
        }
        if (f > FORMAT) {
            throw new CorruptionException("The space root " + pointer
                    + " was written by a newer ProtoBase (space format "
                    + f + ", this build reads " + FORMAT + "); upgrade ProtoBase to open this storage");
        }
        try {
            return new SpaceState(pointer, (Long) o.getAt("sequence"), (Instant) o.getAt("createdAt"),
                    (AtomPointer) o.getAt("previous"), (AtomPointer) o.getAt("jump"), (Dictionary) o.getAt("catalog"));
        } catch (ClassCastException | NullPointerException e) {
            throw new CorruptionException("Corrupt space root " + pointer + ": " + o, e);
        }
    }
}
