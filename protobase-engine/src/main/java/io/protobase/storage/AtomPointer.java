package io.protobase.storage;

/**
 * The identity of a stored atom: the segment the storage put it in and its offset there. A storage
 * hands out each pointer once; equal pointers denote the same immutable bytes forever.
 *
 * @param segmentId the storage-chosen segment (a WAL segment, an S3 object, a memory generation)
 * @param offset the position of the atom inside the segment
 */
public record AtomPointer(long segmentId, long offset) {

    @Override
    public String toString() {
        return "atom " + segmentId + ":" + offset;
    }
}
