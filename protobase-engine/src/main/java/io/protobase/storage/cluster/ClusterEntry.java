package io.protobase.storage.cluster;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One Raft log entry of the cluster storage (byte layout in docs/cluster.md, "Log entries"): the
 * pieces of segment bytes a node pushed since its last entry and, for a commit, the root
 * compare-and-set. The cloud cluster storage adds three kinds (docs/cloud.md, "Cloud cluster"): the
 * {@link Restore start} of its history (empty, or from the bucket), an upload {@link #MARK mark}
 * (the state at that log index, which the leader ships as chunks), and the news that a mark is in
 * the bucket ({@link #UPLOADED}). Space reclamation adds three more (docs/cluster.md, "Space
 * reclamation"): the leader {@link #CONDEMN condemns} segments its compaction found unreached, each
 * node {@link #ACK acknowledges} them once its own compaction found them unreached too, or
 * {@link #RETRACT retracts} an acknowledgement, and the leader {@link #PARDON pardons} segments it
 * finds reached again. Every node applies the same entries in the same order,
 * so the outcome of an entry depends only on the state before it.
 *
 * @param kind {@link #PIECES}, {@link #COMMIT}, {@link #RESTORE}, {@link #MARK} or {@link #UPLOADED}
 * @param pieces bytes to place at (segment, offset), in offset order per segment
 * @param expected the root the commit expects ({@code null}: no root yet)
 * @param newRoot the root the commit publishes; {@code null} unless a commit
 * @param restore the start of a cloud cluster's history; {@code null} unless {@link #RESTORE}
 * @param markIndex the log index of the mark that is in the bucket ({@link #UPLOADED}), else 0
 * @param reclaim the segments a {@link #CONDEMN}, {@link #ACK} or {@link #RETRACT} names; {@code null} else
 */
record ClusterEntry(byte kind, List<Piece> pieces, AtomPointer expected, AtomPointer newRoot, Restore restore,
                    long markIndex, Reclaim reclaim) {

    /** First byte of an entry carrying pieces only. */
    static final byte PIECES = 1;
    /** First byte of an entry carrying pieces and a root compare-and-set. */
    static final byte COMMIT = 2;
    /** First byte of the entry that starts a cloud cluster's history. */
    static final byte RESTORE = 3;
    /** First byte of an upload mark: the state at this index is what the leader ships next. */
    static final byte MARK = 4;
    /** First byte of the entry telling that the root object in the bucket names a mark. */
    static final byte UPLOADED = 5;
    /** First byte of the leader's decision to reclaim segments no node may reference any more once all agree. */
    static final byte CONDEMN = 6;
    /** First byte of a node's acknowledgement that its compaction found condemned segments unreached. */
    static final byte ACK = 7;
    /** First byte of a node's withdrawal of its acknowledgement (its compaction found them reached again). */
    static final byte RETRACT = 8;
    /** First byte of the leader's withdrawal of a condemnation (its compaction found the segments reached). */
    static final byte PARDON = 9;

    /** Outcome of an applied entry: the pieces are in place and the root was replaced. */
    static final byte APPLIED = 1;
    /** Outcome: the pieces are in place, but the root was not the expected one, so it was kept. */
    static final byte ROOT_MISMATCH = 0;
    /** Outcome: a piece would have left a gap in its segment, so nothing of the entry was applied. */
    static final byte GAP = 2;
    /** Outcome of a restore that found the state not empty (nothing applied). */
    static final byte REFUSED = 3;

    /**
     * Where a cloud cluster's history starts: an empty bucket, or the root object found there.
     *
     * @param clusterId the cluster's id (its group name), written into every root object
     * @param history a random id of this history (the {@code log=} of its root objects): two clusters with
     *                the same id that started from the same bucket at once tell each other apart by it
     * @param generation the generation the cluster's epochs carry from now on: one more than the
     *                   bucket's, so a new cluster fences whatever wrote the prefix before it
     * @param sourceEpoch the epoch of the root object restored, or -1 for an empty bucket
     * @param sourceSequence the sequence of that root object, or -1
     * @param root the root pointer it names
     * @param lengths the segments it reaches and their lengths in the bucket
     * @param released the segments its {@code released=} names: gone, their chunks deleted after the grace
     */
    record Restore(String clusterId, String history, long generation, long sourceEpoch, long sourceSequence,
                   AtomPointer root, Map<Long, Long> lengths, Set<Long> released) {

        Restore {
            lengths = Map.copyOf(lengths);
            released = Set.copyOf(released);
        }

        /** A start that names no released segments. */
        Restore(String clusterId, String history, long generation, long sourceEpoch, long sourceSequence,
                AtomPointer root, Map<Long, Long> lengths) {
            this(clusterId, history, generation, sourceEpoch, sourceSequence, root, lengths, Set.of());
        }

        boolean fromBucket() {
            return sourceEpoch >= 0;
        }
    }

    /**
     * The segments a reclamation entry names.
     *
     * @param node the node that sends it (the leader for a {@link #CONDEMN})
     * @param seenIndex for an {@link #ACK}: the log index whose root the acknowledging compaction had read
     *                  (every root up to it was retained, pinned or gone for it); else 0
     * @param required for a {@link #CONDEMN}: the nodes that must acknowledge; else empty
     * @param segments the segments
     */
    record Reclaim(int node, long seenIndex, List<Integer> required, List<Long> segments) {

        Reclaim {
            required = List.copyOf(required);
            segments = List.copyOf(segments);
        }
    }

    /**
     * Consecutive records of one segment, starting at {@code offset}.
     *
     * @param segmentId the segment (its top bits name the node that wrote it)
     * @param offset where the first byte goes
     * @param bytes the records
     */
    record Piece(long segmentId, long offset, byte[] bytes) {

        long end() {
            return offset + bytes.length;
        }
    }

    static ClusterEntry pieces(List<Piece> pieces) {
        return new ClusterEntry(PIECES, List.copyOf(pieces), null, null, null, 0, null);
    }

    static ClusterEntry commit(List<Piece> pieces, AtomPointer expected, AtomPointer newRoot) {
        return new ClusterEntry(COMMIT, List.copyOf(pieces), expected, newRoot, null, 0, null);
    }

    static ClusterEntry restore(Restore restore) {
        return new ClusterEntry(RESTORE, List.of(), null, null, restore, 0, null);
    }

    static ClusterEntry mark() {
        return new ClusterEntry(MARK, List.of(), null, null, null, 0, null);
    }

    static ClusterEntry uploaded(long markIndex) {
        return new ClusterEntry(UPLOADED, List.of(), null, null, null, markIndex, null);
    }

    /** A reclamation entry: {@link #CONDEMN}, {@link #ACK} or {@link #RETRACT}. */
    static ClusterEntry reclaim(byte kind, Reclaim reclaim) {
        if (kind != CONDEMN && kind != ACK && kind != RETRACT && kind != PARDON) {
            throw new IllegalArgumentException("not a reclamation entry: " + kind);
        }
        return new ClusterEntry(kind, List.of(), null, null, null, 0, reclaim);
    }

    /** Whether the entry carries a root compare-and-set. */
    boolean commit() {
        return kind == COMMIT;
    }

    /** Whether the entry carries segment bytes (and maybe a commit): the data of the storage. */
    boolean data() {
        return kind == PIECES || kind == COMMIT;
    }

    byte[] encode() {
        if (kind == RESTORE) {
            byte[] id = restore.clusterId().getBytes(StandardCharsets.UTF_8);
            byte[] history = restore.history().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(1 + 4 + id.length + 4 + history.length + 8 + 8 + 8 + POINTER_BYTES + 4
                    + 16 * restore.lengths().size() + 4 + 8 * restore.released().size());
            b.put(RESTORE).putInt(id.length).put(id).putInt(history.length).put(history)
                    .putLong(restore.generation()).putLong(restore.sourceEpoch())
                    .putLong(restore.sourceSequence());
            putPointer(b, restore.root());
            putLengths(b, restore.lengths());
            b.putInt(restore.released().size());
            new TreeSet<>(restore.released()).forEach(b::putLong);
            return b.array();
        }
        if (kind == MARK) {
            return new byte[] {MARK};
        }
        if (kind == UPLOADED) {
            return ByteBuffer.allocate(1 + 8).put(UPLOADED).putLong(markIndex).array();
        }
        if (kind == CONDEMN || kind == ACK || kind == RETRACT || kind == PARDON) {
            ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 4 + 4 * reclaim.required().size() + 4
                    + 8 * reclaim.segments().size());
            b.put(kind).putInt(reclaim.node()).putLong(reclaim.seenIndex()).putInt(reclaim.required().size());
            reclaim.required().forEach(b::putInt);
            b.putInt(reclaim.segments().size());
            reclaim.segments().forEach(b::putLong);
            return b.array();
        }
        int size = 1 + 4 + (commit() ? 2 * POINTER_BYTES : 0);
        for (Piece p : pieces) {
            size += 8 + 8 + 4 + p.bytes.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(kind);
        b.putInt(pieces.size());
        for (Piece p : pieces) {
            b.putLong(p.segmentId).putLong(p.offset).putInt(p.bytes.length).put(p.bytes);
        }
        if (commit()) {
            putPointer(b, expected);
            putPointer(b, newRoot);
        }
        return b.array();
    }

    /** Encodes segment lengths: a count, then (segment id, length) pairs in id order. */
    static void putLengths(ByteBuffer b, Map<Long, Long> lengths) {
        b.putInt(lengths.size());
        new TreeMap<>(lengths).forEach((id, length) -> b.putLong(id).putLong(length));
    }

    static NavigableMap<Long, Long> getLengths(ByteBuffer b) {
        int count = b.getInt();
        if (count < 0) {
            throw new CorruptionException("Cluster storage record claims " + count + " segments");
        }
        NavigableMap<Long, Long> lengths = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            lengths.put(b.getLong(), b.getLong());
        }
        return lengths;
    }

    static ClusterEntry decode(ByteBuffer b) {
        try {
            byte kind = b.get();
            if (kind == RESTORE) {
                byte[] id = new byte[b.getInt()];
                b.get(id);
                byte[] history = new byte[b.getInt()];
                b.get(history);
                long generation = b.getLong();
                long sourceEpoch = b.getLong();
                long sourceSequence = b.getLong();
                AtomPointer root = getPointer(b);
                Map<Long, Long> lengths = getLengths(b);
                // the released segments came later: an entry without them names none
                Set<Long> released = new HashSet<>();
                for (int n = b.remaining() >= 4 ? b.getInt() : 0; n > 0; n--) {
                    released.add(b.getLong());
                }
                return restore(new Restore(new String(id, StandardCharsets.UTF_8),
                        new String(history, StandardCharsets.UTF_8), generation, sourceEpoch, sourceSequence, root,
                        lengths, released));
            }
            if (kind == MARK) {
                return mark();
            }
            if (kind == UPLOADED) {
                return uploaded(b.getLong());
            }
            if (kind == CONDEMN || kind == ACK || kind == RETRACT || kind == PARDON) {
                int node = b.getInt();
                long seen = b.getLong();
                int count = b.getInt();
                if (count < 0) {
                    throw new CorruptionException("Raft log entry of the cluster storage claims " + count + " nodes");
                }
                List<Integer> required = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    required.add(b.getInt());
                }
                count = b.getInt();
                if (count < 0) {
                    throw new CorruptionException("Raft log entry of the cluster storage claims " + count
                            + " segments");
                }
                List<Long> segments = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    segments.add(b.getLong());
                }
                return reclaim(kind, new Reclaim(node, seen, required, segments));
            }
            if (kind != PIECES && kind != COMMIT) {
                throw new CorruptionException("Raft log entry of the cluster storage has unknown kind " + kind
                        + "; it was written by a newer version or the log is corrupt");
            }
            int count = b.getInt();
            if (count < 0) {
                throw new CorruptionException("Raft log entry of the cluster storage claims " + count + " pieces");
            }
            List<Piece> pieces = new ArrayList<>(Math.min(count, 1024));
            for (int i = 0; i < count; i++) {
                long segment = b.getLong();
                long offset = b.getLong();
                byte[] bytes = new byte[b.getInt()];
                b.get(bytes);
                pieces.add(new Piece(segment, offset, bytes));
            }
            if (kind == PIECES) {
                return pieces(pieces);
            }
            AtomPointer expected = getPointer(b);
            return commit(pieces, expected, getPointer(b));
        } catch (RuntimeException e) {
            if (e instanceof CorruptionException c) {
                throw c;
            }
            throw new CorruptionException("Raft log entry of the cluster storage is truncated or malformed: " + e, e);
        }
    }

    /** Bytes of an encoded root pointer. */
    static final int POINTER_BYTES = 1 + 8 + 8;

    /** Encodes a root pointer: a presence byte, then segment and offset. */
    static void putPointer(ByteBuffer b, AtomPointer p) {
        if (p == null) {
            b.put((byte) 0).putLong(0).putLong(0);
        } else {
            b.put((byte) 1).putLong(p.segmentId()).putLong(p.offset());
        }
    }

    static AtomPointer getPointer(ByteBuffer b) {
        boolean present = b.get() != 0;
        long segment = b.getLong();
        long offset = b.getLong();
        return present ? new AtomPointer(segment, offset) : null;
    }
}
