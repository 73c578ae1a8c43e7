package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.DbObject;
import io.protobase.storage.AtomPointer;

import java.time.Instant;

/**
 * One published version of the object space, decoded from its space-root record: the catalog
 * (database name → database root dictionary), its sequence number and time, and the links to the
 * previous version and to a "jump" ancestor (sequence {@code s & (s - 1)}) that make history
 * lookups O(log² n) record reads; and the history floor, below which no version is kept for history
 * any more because history reached its space bound (the highest floor any version carried so far), so
 * that a reopened space does not offer versions whose atoms were given back.
 */
record SpaceState(AtomPointer pointer, long sequence, Instant createdAt, AtomPointer previous, AtomPointer jump,
        Dictionary catalog, long historyFloor) {

    static final int FORMAT = 1;

    static SpaceState initial() {
        return new SpaceState(null, 0, Instant.EPOCH, null, null, Dictionary.empty(), 0);
    }

    /**
     * The record of this version. {@code historyFloor} is written only once history was bounded in space
     * (a record without it reads as floor 0, and earlier versions of ProtoBase ignore it).
     */
    DbObject toRecord() {
        DbObject record = DbObject.of("format", FORMAT, "sequence", sequence, "createdAt", createdAt,
                "previous", previous, "jump", jump, "catalog", catalog);
        return historyFloor > 0 ? record.with("historyFloor", historyFloor) : record;
    }

    /** This version with other history links, for a copy that holds fewer versions. */
    SpaceState withLinks(AtomPointer previous, AtomPointer jump) {
        return new SpaceState(pointer, sequence, createdAt, previous, jump, catalog, historyFloor);
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
            Object floor = o.getAt("historyFloor");
            return new SpaceState(pointer, (Long) o.getAt("sequence"), (Instant) o.getAt("createdAt"),
                    (AtomPointer) o.getAt("previous"), (AtomPointer) o.getAt("jump"), (Dictionary) o.getAt("catalog"),
                    floor == null ? 0 : (Long) floor);
        } catch (ClassCastException | NullPointerException e) {
            throw new CorruptionException("Corrupt space root " + pointer + ": " + o, e);
        }
    }
}
