package io.protobase.storage.cluster;

import java.nio.ByteBuffer;

/**
 * A server's answer to the first half of a linearizable read ({@link ClusterFileStorage#readRoot()}): whether
 * it led, in which term, and the index of the last entry of this storage it had applied once it had applied
 * its commit index, read while it led and had committed an entry of that term. The second half, that no later
 * term had elected a leader before, is {@link LeadershipCheck}'s.
 *
 * <p>Encoded as one byte (1 when {@code leader}), the term, the index and the log index of the server's
 * configuration, 8 bytes each, big-endian (docs/cluster.md, "Messages").
 *
 * @param leader      whether the answering server led (and was ready to: it had committed an entry of its term)
 * @param term        the answering server's current term
 * @param index       the last entry of this storage applied there, for the asking node to apply too; -1 when
 *                    {@code leader} is false
 * @param configIndex the log index of the configuration the leader used; -1 when {@code leader} is false
 */
record ReadIndex(boolean leader, long term, long index, long configIndex) {

    static final int BYTES = 1 + 3 * Long.BYTES;

    static ReadIndex notLeader(long term) {
        return new ReadIndex(false, term, -1, -1);
    }

    byte[] encode() {
        return ByteBuffer.allocate(BYTES).put((byte) (leader ? 1 : 0)).putLong(term).putLong(index)
                .putLong(configIndex).array();
    }

    /**
     * Decodes an answer.
     *
     * @throws IllegalArgumentException when {@code b} does not hold exactly one answer (a server of another
     *                                  version answered)
     */
    static ReadIndex decode(ByteBuffer b) {
        if (b.remaining() != BYTES) {
            throw new IllegalArgumentException("a read index answer has " + BYTES + " bytes, this one "
                    + b.remaining() + ": does every node run the same ProtoBase version?");
        }
        return new ReadIndex(b.get() == 1, b.getLong(), b.getLong(), b.getLong());
    }
}
