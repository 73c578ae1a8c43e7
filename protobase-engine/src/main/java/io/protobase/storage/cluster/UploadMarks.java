package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

/**
 * The part of the replicated state that tells how far a cloud cluster's history is in the bucket
 * (docs/cloud.md, "Cloud cluster"). Every node applies the same entries to it, so every node knows
 * the same marks: a <em>mark</em> is the state (root and segment lengths) at a log index, chosen by
 * the leader's upload loop through a {@link ClusterEntry#MARK} entry. The chunks of the bytes
 * between two consecutive marks have keys and bytes fixed by those marks, so whichever leader ships
 * them writes the same bytes under the same key. The <em>uploaded</em> mark is the newest one a root
 * object in the bucket names ({@link ClusterEntry#UPLOADED}); older marks are dropped.
 *
 * <p>Also keeps what only this node needs (not replicated): when the oldest commit not yet in the
 * bucket was applied here. Guarded by this object's monitor, on which committers of
 * {@code durability=sync} and of a full backlog wait.
 */
final class UploadMarks {

    /**
     * One mark: the state after the entries up to {@code index} (the mark entry itself): the root, every
     * segment's length (of the segments not gone), the root each node published last, and the state of
     * space reclamation (the condemned and gone segments, in {@link SegmentReplica}'s text form). With the
     * Raft term of the mark entry, it is all a node needs to start from the bucket at that index (a snapshot
     * installed from the bucket).
     */
    record Mark(long index, long term, AtomPointer root, NavigableMap<Long, Long> lengths,
                NavigableMap<Integer, AtomPointer> lastPublished, String reclaim) {

        Mark {
            lengths = new TreeMap<>(lengths);
            lastPublished = new TreeMap<>(lastPublished);
            reclaim = reclaim == null ? "" : reclaim;
        }

        long bytes() {
            return lengths.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private boolean initialized;
    private String clusterId = "";
    private String history = "";
    private long generation;
    private long sourceEpoch = -1;
    private long sourceSequence = -1;
    private final NavigableMap<Long, Mark> marks = new TreeMap<>();
    private long uploaded = -1;
    /**
     * The newest mark an {@link ClusterEntry#UPLOADED} entry of this history confirmed (or a snapshot
     * taken at one): a root object this history wrote names it, with its term. Marks the history
     * starts with (a restore) are uploaded without that; a snapshot is taken at confirmed marks only.
     */
    private long confirmed = -1;
    /** Index of the last data entry (pieces, commit, restore) applied: a mark after it covers it. */
    private long lastDataIndex = -1;
    /** {@link System#nanoTime()} when the oldest commit not in the bucket was applied here, 0 if none. */
    private long pendingSince;

    // ------------------------------------------------------------------ applied entries

    synchronized boolean initialized() {
        return initialized;
    }

    /** Starts the history (a {@link ClusterEntry#RESTORE} applied), with its first mark already in the bucket. */
    synchronized void start(ClusterEntry.Restore restore, long index, long term, AtomPointer root,
            Map<Long, Long> lengths, Map<Integer, AtomPointer> lastPublished, String reclaim) {
        initialized = true;
        clusterId = restore.clusterId();
        history = restore.history();
        generation = restore.generation();
        sourceEpoch = restore.sourceEpoch();
        sourceSequence = restore.sourceSequence();
        marks.clear();
        marks.put(index, new Mark(index, term, root, new TreeMap<>(lengths), new TreeMap<>(lastPublished),
                reclaim));
        uploaded = index;
        confirmed = -1;
        lastDataIndex = index;
        notifyAll();
    }

    synchronized void dataApplied(long index, boolean commit) {
        lastDataIndex = index;
        if (commit && pendingSince == 0) {
            pendingSince = System.nanoTime();
        }
        notifyAll();
    }

    /**
     * Records a mark once the history has started. Every mark entry makes one, so that every node knows the
     * same marks whatever it holds locally (a node restarted from a snapshot that no longer holds a segment gone
     * since); the leader appends one only when data was applied or a segment went since the last mark.
     */
    synchronized void mark(long index, long term, AtomPointer root, Map<Long, Long> lengths,
            Map<Integer, AtomPointer> lastPublished, String reclaim) {
        if (initialized) {
            marks.put(index, new Mark(index, term, root, new TreeMap<>(lengths), new TreeMap<>(lastPublished),
                    reclaim));
        }
    }

    /** A root object names mark {@code index}: older marks go. */
    synchronized void uploaded(long index, long appliedBytes) {
        if (!initialized || index <= uploaded || !marks.containsKey(index)) {
            return;
        }
        uploaded = index;
        confirmed = index;
        marks.headMap(index, false).clear();
        // applied bytes leave out segments gone since the mark
        pendingSince = marks.get(index).bytes() >= appliedBytes && lastDataIndex < index ? 0 : System.nanoTime();
        notifyAll();
    }

    private long latestIndex() {
        return marks.isEmpty() ? -1 : marks.lastKey();
    }

    // ------------------------------------------------------------------ readers

    synchronized String clusterId() {
        return clusterId;
    }

    /** The random id of this history, from its restore entry. */
    synchronized String history() {
        return history;
    }

    synchronized long generation() {
        return generation;
    }

    /** The epoch and sequence of the root object the history was restored from, or -1 for none. */
    synchronized long[] source() {
        return new long[] {sourceEpoch, sourceSequence};
    }

    synchronized long lastDataIndex() {
        return lastDataIndex;
    }

    synchronized long latestMarkIndex() {
        return latestIndex();
    }

    /** Whether the newest mark names a segment {@code gone} accepts: a new mark would leave it out. */
    synchronized boolean latestNamesAny(LongPredicate gone) {
        return !marks.isEmpty() && marks.lastEntry().getValue().lengths().keySet().stream()
                .anyMatch(gone::test);
    }

    synchronized long uploadedIndex() {
        return uploaded;
    }

    /**
     * The mark a snapshot is taken at: the uploaded one, when an uploaded entry of this history confirmed it
     * (a root object of this history names it with its term); otherwise null.
     */
    synchronized Mark snapshotMark() {
        return initialized && confirmed >= 0 && confirmed == uploaded ? marks.get(uploaded) : null;
    }

    /** The uploaded mark followed by every newer mark, in log order; empty before the history starts. */
    synchronized List<Mark> fromUploaded() {
        return uploaded < 0 ? List.of() : new ArrayList<>(marks.tailMap(uploaded, true).values());
    }

    /**
     * Whether the uploaded mark or a newer one names segment {@code id}: an upload round may still read it
     * (to ship its chunks, or because the root object names it). A segment gone is named by no newer mark,
     * so once a mark after it is uploaded, its local file may go.
     */
    synchronized boolean names(long id) {
        return uploaded >= 0 && marks.tailMap(uploaded, true).values().stream()
                .anyMatch(m -> m.lengths().containsKey(id));
    }

    /** Bytes of segments the uploaded mark does not cover, given the bytes applied now. */
    synchronized long backlogBytes(long appliedBytes) {
        Mark m = marks.get(uploaded);
        return m == null ? 0 : Math.max(0, appliedBytes - m.bytes());
    }

    synchronized long pendingSince() {
        return pendingSince;
    }

    /**
     * Waits until {@code done} holds or {@code deadlineNanos} ({@link System#nanoTime()}) passes, checking
     * it after every start of the history and every upload; returns whether it holds.
     */
    synchronized boolean await(BooleanSupplier done, long deadlineNanos) throws InterruptedException {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
        }
        return true;
    }

    /** Wakes every waiter, so it checks its condition again (the upload loop asked to run a round). */
    synchronized void wakeAll() {
        notifyAll();
    }

    // ------------------------------------------------------------------ snapshot

    /** Encodes the replicated part for a snapshot file (layout in docs/cluster.md). */
    synchronized byte[] encode() {
        return encode(initialized, clusterId, history, generation, sourceEpoch, sourceSequence, uploaded, confirmed,
                lastDataIndex, marks.values());
    }

    /**
     * Encodes the state this history has right after mark {@code m} was uploaded and confirmed, with {@code m}
     * its only mark: what a snapshot taken at {@code m} (on this node, or installed from the bucket) records.
     * The last data entry is taken as the one before the mark: every index between the mark before and this
     * one behaves the same from here on.
     */
    static byte[] encodeAt(Identity identity, Mark m) {
        return encode(true, identity.clusterId(), identity.history(), identity.generation(), identity.sourceEpoch(),
                identity.sourceSequence(), m.index(), m.index(), m.index() - 1, List.of(m));
    }

    private static byte[] encode(boolean initialized, String clusterId, String history, long generation,
            long sourceEpoch, long sourceSequence, long uploaded, long confirmed, long lastDataIndex,
            Iterable<Mark> marks) {
        byte[] id = clusterId.getBytes(StandardCharsets.UTF_8);
        byte[] historyId = history.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 4 + id.length + 4 + historyId.length + 8 * 6 + 4;
        int count = 0;
        for (Mark m : marks) {
            size += 8 + 8 + ClusterEntry.POINTER_BYTES + 4 + 16 * m.lengths().size() + 4
                    + (4 + ClusterEntry.POINTER_BYTES) * m.lastPublished().size()
                    + 4 + m.reclaim().getBytes(StandardCharsets.UTF_8).length;
            count++;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) (initialized ? 1 : 0)).putInt(id.length).put(id).putInt(historyId.length).put(historyId)
                .putLong(generation).putLong(sourceEpoch)
                .putLong(sourceSequence).putLong(uploaded).putLong(lastDataIndex).putLong(confirmed);
        b.putInt(count);
        for (Mark m : marks) {
            b.putLong(m.index()).putLong(m.term());
            ClusterEntry.putPointer(b, m.root());
            ClusterEntry.putLengths(b, m.lengths());
            b.putInt(m.lastPublished().size());
            m.lastPublished().forEach((node, pointer) -> {
                b.putInt(node);
                ClusterEntry.putPointer(b, pointer);
            });
            byte[] reclaim = m.reclaim().getBytes(StandardCharsets.UTF_8);
            b.putInt(reclaim.length).put(reclaim);
        }
        return b.array();
    }

    /**
     * Replaces the state with a snapshot's ({@code null}: the empty state of a new node).
     *
     * @param version the snapshot file's format: 2 has no confirmed mark, and marks without term and roots;
     *                before 5 marks have no state of space reclamation (nothing condemned or gone then)
     */
    synchronized void load(ByteBuffer b, int version) {
        marks.clear();
        pendingSince = 0;
        if (b == null) {
            initialized = false;
            clusterId = "";
            history = "";
            generation = 0;
            sourceEpoch = -1;
            sourceSequence = -1;
            uploaded = -1;
            confirmed = -1;
            lastDataIndex = -1;
            return;
        }
        initialized = b.get() != 0;
        byte[] id = new byte[b.getInt()];
        b.get(id);
        clusterId = new String(id, StandardCharsets.UTF_8);
        byte[] historyId = new byte[b.getInt()];
        b.get(historyId);
        history = new String(historyId, StandardCharsets.UTF_8);
        generation = b.getLong();
        sourceEpoch = b.getLong();
        sourceSequence = b.getLong();
        uploaded = b.getLong();
        lastDataIndex = b.getLong();
        confirmed = version >= 3 ? b.getLong() : -1;
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            long index = b.getLong();
            long term = version >= 3 ? b.getLong() : -1;
            AtomPointer root = ClusterEntry.getPointer(b);
            NavigableMap<Long, Long> lengths = ClusterEntry.getLengths(b);
            NavigableMap<Integer, AtomPointer> published = new TreeMap<>();
            if (version >= 3) {
                int nodes = b.getInt();
                for (int n = 0; n < nodes; n++) {
                    int node = b.getInt();
                    published.put(node, ClusterEntry.getPointer(b));
                }
            }
            String reclaim = "";
            if (version >= 5) {
                byte[] text = new byte[b.getInt()];
                b.get(text);
                reclaim = new String(text, StandardCharsets.UTF_8);
            }
            marks.put(index, new Mark(index, term, root, lengths, published, reclaim));
        }
        notifyAll();
    }

    /** Who this history is: what a node starting from the bucket takes over from the running cluster. */
    synchronized Identity identity() {
        return new Identity(initialized, clusterId, history, generation, sourceEpoch, sourceSequence);
    }

    /**
     * The identity of a history: its cluster id, random id, generation, and the root object it was restored
     * from (epoch and sequence, -1 for an empty bucket).
     */
    record Identity(boolean initialized, String clusterId, String history, long generation, long sourceEpoch,
                    long sourceSequence) {

        /** The {@code log=} of this history's root objects. */
        String log() {
            return clusterId + "/" + history;
        }

        byte[] encode() {
            byte[] id = clusterId.getBytes(StandardCharsets.UTF_8);
            byte[] h = history.getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(1 + 4 + id.length + 4 + h.length + 24).put((byte) (initialized ? 1 : 0))
                    .putInt(id.length).put(id).putInt(h.length).put(h).putLong(generation).putLong(sourceEpoch)
                    .putLong(sourceSequence).array();
        }

        static Identity decode(ByteBuffer b) {
            boolean initialized = b.get() != 0;
            byte[] id = new byte[b.getInt()];
            b.get(id);
            byte[] h = new byte[b.getInt()];
            b.get(h);
            return new Identity(initialized, new String(id, StandardCharsets.UTF_8), new String(h,
                    StandardCharsets.UTF_8), b.getLong(), b.getLong(), b.getLong());
        }
    }

    /** Sets the index of the last data entry when a snapshot of the format before marks is loaded. */
    synchronized void loadedWithoutMarks(long index) {
        load(null, 0);
        lastDataIndex = index;
    }
}
