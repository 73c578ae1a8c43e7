package io.protobase.storage.cluster;

import org.apache.ratis.protocol.RaftPeerId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A server's answer to the first half of a linearizable read ({@link ClusterFileStorage#readRoot()}): whether
 * it led, in which term, the index of the last entry of this storage it had applied once it had applied its
 * commit index, read while it led and had committed an entry of that term, and the voters of its
 * configuration. The second half, that a majority of those voters was at no later term, is
 * {@link LeadershipCheck}'s.
 *
 * <p>Encoded as one byte (1 when {@code leader}), the term and the index (8 bytes each, big-endian), the
 * number of configurations (1 byte), and per configuration the number of voters (4) and each voter's id
 * (length in 2 bytes, then UTF-8) (docs/cluster.md, "Log entries").
 *
 * @param leader whether the answering server led (and was ready to: it had committed an entry of its term)
 * @param term   the answering server's current term
 * @param index  the last entry of this storage applied there, for the asking node to apply too; -1 when
 *               {@code leader} is false
 * @param voters the voters of the leader's configuration, and of the previous one during a change; empty
 *               when {@code leader} is false
 */
record ReadIndex(boolean leader, long term, long index, List<Set<RaftPeerId>> voters) {

    static ReadIndex notLeader(long term) {
        return new ReadIndex(false, term, -1, List.of());
    }

    byte[] encode() {
        List<byte[]> ids = new ArrayList<>();
        int size = 1 + 2 * Long.BYTES + 1;
        for (Set<RaftPeerId> configuration : voters) {
            size += Integer.BYTES;
            for (RaftPeerId id : configuration) {
                byte[] b = id.toString().getBytes(StandardCharsets.UTF_8);
                ids.add(b);
                size += Short.BYTES + b.length;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(size).put((byte) (leader ? 1 : 0)).putLong(term).putLong(index)
                .put((byte) voters.size());
        int next = 0;
        for (Set<RaftPeerId> configuration : voters) {
            out.putInt(configuration.size());
            for (int i = 0; i < configuration.size(); i++) {
                byte[] b = ids.get(next++);
                out.putShort((short) b.length).put(b);
            }
        }
        return out.array();
    }

    /**
     * Decodes an answer.
     *
     * @throws IllegalArgumentException when {@code b} does not hold one answer (a server of another version
     *                                  answered)
     */
    static ReadIndex decode(ByteBuffer b) {
        try {
            boolean leader = b.get() == 1;
            long term = b.getLong();
            long index = b.getLong();
            int configurations = b.get();
            List<Set<RaftPeerId>> voters = new ArrayList<>(configurations);
            for (int c = 0; c < configurations; c++) {
                int count = b.getInt();
                Set<RaftPeerId> configuration = new LinkedHashSet<>();
                for (int i = 0; i < count; i++) {
                    byte[] id = new byte[b.getShort()];
                    b.get(id);
                    configuration.add(RaftPeerId.valueOf(new String(id, StandardCharsets.UTF_8)));
                }
                voters.add(configuration);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes after the answer");
            }
            return new ReadIndex(leader, term, index, voters);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a read index answer (" + e.getMessage()
                    + "): does every node run the same ProtoBase version?", e);
        }
    }
}
