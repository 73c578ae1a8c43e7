package io.protobase.storage;

import java.util.Collection;
import java.util.List;

/**
 * The optional capability of a storage to give back space ({@link SharedStorage#reclaimer()}): it
 * groups atoms into segments, lists them, and releases whole segments the engine has proven
 * unreferenced. The storage never decides what is garbage; only the engine knows which atoms the
 * retained versions reach.
 *
 * <p>Contract every implementation honours:
 * <ul>
 *   <li>Segment ids increase in the order segments are created, and an atom is only ever pushed into
 *       the segment {@link #writingSegment()} names at the time of the push, or a later one. A sealed
 *       segment never receives another atom.</li>
 *   <li>The engine calls {@link #release} only after a durable root that does not reach the segments
 *       exists, and only for segments no retained root, open transaction, history view, running
 *       backup or commit in flight can read.</li>
 *   <li>Reading a pointer into a released segment fails with a {@link io.protobase.SegmentReleasedException}
 *       (a {@link io.protobase.CorruptionException}) that names the segment; it never returns other
 *       bytes. The engine relies on the distinct type where a history link may lead past the
 *       retention.</li>
 *   <li>{@link #release} is idempotent (releasing a released or unknown segment does nothing), refuses
 *       the segment still being written, and is crash-safe: a persistent storage that crashes between
 *       the root update and the deletion keeps only garbage, never a hole (the segments are released
 *       again by a later compaction, or never, which wastes space but loses nothing).</li>
 * </ul>
 * <p>A storage several writers share (a cluster, where each node pushes into segments of its own and
 * every node holds every node's segments) differs in two ways, which it declares through
 * {@link #sameWriter} and {@link #retiring}: segment ids only order the segments of one writer, and a
 * release gives up this node's claim on a segment rather than freeing it at once. The segment is freed
 * once every writer gave it up; meanwhile it stays readable. The engine asks {@link #retiring} about
 * the atoms a commit references: a segment every writer
 * gave up is refused, and the storage may take note of a reference into one it is giving up (this
 * node's release no longer holds). Reads of a freed segment fail with
 * {@link io.protobase.SegmentReleasedException} as above.
 *
 * Implementations are thread-safe.
 */
public interface SegmentReclaimer {

    /**
     * One segment of the storage.
     *
     * @param id the segment id, as in {@link AtomPointer#segmentId()}
     * @param bytes the atom bytes the segment holds
     * @param sealed {@code false} for the segment still being written (never released)
     */
    record Segment(long id, long bytes, boolean sealed) {
    }

    /** Lists the segments not released yet, oldest first. */
    List<Segment> segments();

    /** Returns the id of the segment the next push goes to; pushes after this call go there or later. */
    long writingSegment();

    /** Releases the sealed segments {@code ids} and frees their space; see the class contract. */
    void release(Collection<Long> ids);

    /**
     * Releases the sealed segments {@code ids} as {@link #release} does, in two steps, so that a caller
     * holding a lock other threads wait for (the engine's, which transactions take to start) does only
     * the quick one under it: when this call returns, reads of the segments fail as released; the
     * returned step records the release durably (a storage on disk fsyncs here) and frees the space.
     * Until the caller runs that step the space is not freed, and a crash before it leaves the segments
     * as garbage, never as a hole. The default does everything in this call.
     *
     * @param ids the segments to release
     * @return the step that makes the release durable and frees the space; run it once
     */
    default Runnable releaseDeferred(Collection<Long> ids) {
        release(ids);
        return () -> { };
    }

    /**
     * Seals segments from now on once they hold about {@code bytes} (never later than the storage's own
     * segment size), the segment being written included: it is sealed by the next push that would take
     * it past that size. The engine sizes segments to the live data: a small store written to often
     * would otherwise keep a whole large segment of superseded atoms in the one segment nothing may
     * release, and large segments are given back late, since a segment goes only once no retained
     * version needs any atom of it. Safe to call concurrently with pushes.
     *
     * @param bytes the size at which to seal a segment, positive
     */
    void limitSegmentSize(long bytes);

    /**
     * Whether segments {@code a} and {@code b} were created by the same writer, so that their ids tell which
     * one was created first and atoms in the later one were pushed after those in the earlier one. A storage
     * with a single writer (the default) answers {@code true}; a cluster storage answers {@code true} only for
     * segments of the same node. The engine orders only segments of the same writer: a commit in flight
     * writes into this node's segments only, and an atom of another writer is never taken as newer than a
     * release pass because of its id.
     *
     * @param a a segment id
     * @param b another segment id
     * @return whether both segments are written by the same writer
     */
    default boolean sameWriter(long a, long b) {
        return true;
    }

    /**
     * Asked by the engine about each atom a commit references (and each its check of an unvouched reference
     * reads), before the commit is published: whether segment {@code segmentId} is given up (released by every
     * writer of a shared storage, though perhaps still readable here for readers that reached it before), so
     * that the commit must be refused as stale. A shared storage that is giving the segment up but not yet there
     * answers {@code false} and may take note that this node references it again (it withdraws its release
     * before the commit). The default, for a storage whose {@link #release} takes effect at once, is
     * {@code false}: reads of a released segment fail there.
     *
     * @param segmentId a segment id
     * @return whether new references into the segment must be refused
     */
    default boolean retiring(long segmentId) {
        return false;
    }

    /**
     * Whether {@link #retiring} may answer {@code true}, or take note of a reference, for some segment: the
     * engine then asks it about every reference a commit makes, before any release pass of its own. The
     * default, for a storage that never overrides {@link #retiring}, is {@code false}.
     *
     * @return whether the engine must ask {@link #retiring} about each reference
     */
    default boolean refusesReferences() {
        return false;
    }
}
