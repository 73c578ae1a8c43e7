package io.protobase.storage.cluster;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One Raft log entry of the cluster storage (byte layout in docs/cluster.md, "Log entries"): the
 * pieces of segment bytes a node pushed since its last entry and, for a commit, the root
 * compare-and-set. Every node applies the same entries in the same order, so the outcome of an
 * entry depends only on the state before it.
 *
 * @param pieces bytes to place at (segment, offset), in offset order per segment
 * @param commit whether the entry carries a root compare-and-set
 * @param expected the root the commit expects ({@code null}: no root yet)
 * @param newRoot the root the commit publishes; {@code null} when {@code commit} is false
 */
record ClusterEntry(List<Piece> pieces, boolean commit, AtomPointer expected, AtomPointer newRoot) {

    /** First byte of an entry carrying pieces only. */
    static final byte PIECES = 1;
    /** First byte of an entry carrying pieces and a root compare-and-set. */
    static final byte COMMIT = 2;

    /** Outcome of an applied entry: the pieces are in place and the root was replaced. */
    static final byte APPLIED = 1;
    /** Outcome: the pieces are in place, but the root was not the expected one, so it was kept. */
    static final byte ROOT_MISMATCH = 0;
    /** Outcome: a piece would have left a gap in its segment, so nothing of the entry was applied. */
    static final byte GAP = 2;

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
        return new ClusterEntry(List.copyOf(pieces), false, null, null);
    }

    static ClusterEntry commit(List<Piece> pieces, AtomPointer expected, AtomPointer newRoot) {
        return new ClusterEntry(List.copyOf(pieces), true, expected, newRoot);
    }

    byte[] encode() {
        int size = 1 + 4 + (commit ? 2 * POINTER_BYTES : 0);
        for (Piece p : pieces) {
            size += 8 + 8 + 4 + p.bytes.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(commit ? COMMIT : PIECES);
        b.putInt(pieces.size());
        for (Piece p : pieces) {
            b.putLong(p.segmentId).putLong(p.offset).putInt(p.bytes.length).put(p.bytes);
        }
        if (commit) {
            putPointer(b, expected);
            putPointer(b, newRoot);
        }
        return b.array();
    }

    static ClusterEntry decode(ByteBuffer b) {
        try {
            byte kind = b.get();
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
