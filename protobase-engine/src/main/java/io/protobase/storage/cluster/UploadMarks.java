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

    /** One mark: the root and every segment's length after the entries before {@code index}. */
    record Mark(long index, AtomPointer root, NavigableMap<Long, Long> lengths) {

        Mark {
            lengths = new TreeMap<>(lengths);
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
    /** Index of the last data entry (pieces, commit, restore) applied: a mark after it covers it. */
    private long lastDataIndex = -1;
    /** {@link System#nanoTime()} when the oldest commit not in the bucket was applied here, 0 if none. */
    private long pendingSince;

    // ------------------------------------------------------------------ applied entries

    synchronized boolean initialized() {
        return initialized;
    }

    /** Starts the history (a {@link ClusterEntry#RESTORE} applied), with its first mark already in the bucket. */
    synchronized void start(ClusterEntry.Restore restore, long index, AtomPointer root, Map<Long, Long> lengths) {
        initialized = true;
        clusterId = restore.clusterId();
        history = restore.history();
        generation = restore.generation();
        sourceEpoch = restore.sourceEpoch();
        sourceSequence = restore.sourceSequence();
        marks.clear();
        marks.put(index, new Mark(index, root, new TreeMap<>(lengths)));
        uploaded = index;
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

    /** Records a mark unless the history has not started or nothing changed since the last mark. */
    synchronized void mark(long index, AtomPointer root, Map<Long, Long> lengths) {
        if (initialized && lastDataIndex > latestIndex()) {
            marks.put(index, new Mark(index, root, new TreeMap<>(lengths)));
        }
    }

    /** A root object names mark {@code index}: older marks go. */
    synchronized void uploaded(long index, long appliedBytes) {
        if (!initialized || index <= uploaded || !marks.containsKey(index)) {
            return;
        }
        uploaded = index;
        marks.headMap(index, false).clear();
        pendingSince = marks.get(index).bytes() == appliedBytes && lastDataIndex < index ? 0 : System.nanoTime();
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

    synchronized long uploadedIndex() {
        return uploaded;
    }

    /** The uploaded mark followed by every newer mark, in log order; empty before the history starts. */
    synchronized List<Mark> fromUploaded() {
        return uploaded < 0 ? List.of() : new ArrayList<>(marks.tailMap(uploaded, true).values());
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
        byte[] id = clusterId.getBytes(StandardCharsets.UTF_8);
        byte[] historyId = history.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 4 + id.length + 4 + historyId.length + 8 * 5 + 4;
        for (Mark m : marks.values()) {
            size += 8 + ClusterEntry.POINTER_BYTES + 4 + 16 * m.lengths().size();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) (initialized ? 1 : 0)).putInt(id.length).put(id).putInt(historyId.length).put(historyId)
                .putLong(generation).putLong(sourceEpoch)
                .putLong(sourceSequence).putLong(uploaded).putLong(lastDataIndex);
        b.putInt(marks.size());
        for (Mark m : marks.values()) {
            b.putLong(m.index());
            ClusterEntry.putPointer(b, m.root());
            ClusterEntry.putLengths(b, m.lengths());
        }
        return b.array();
    }

    /** Replaces the state with a snapshot's ({@code null}: the empty state of a new node). */
    synchronized void load(ByteBuffer b) {
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
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            long index = b.getLong();
            AtomPointer root = ClusterEntry.getPointer(b);
            marks.put(index, new Mark(index, root, ClusterEntry.getLengths(b)));
        }
        notifyAll();
    }

    /** Sets the index of the last data entry when a snapshot of the format before marks is loaded. */
    synchronized void loadedWithoutMarks(long index) {
        load(null);
        lastDataIndex = index;
    }
}
