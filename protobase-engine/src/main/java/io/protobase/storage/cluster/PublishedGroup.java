package io.protobase.storage.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The configuration of a running group as its leader publishes it in Hazelcast: the voters, the
 * listeners, and the highest node id the group ever had, so that a node whose directory was lost never
 * takes an id back. Written as {@code voters=<peer>,...;listeners=<peer>,...;highest=<id>}.
 *
 * @param voters the voting members
 * @param listeners the learners not promoted yet
 * @param highestNodeId the highest node id of any member so far
 */
record PublishedGroup(List<ClusterPeer> voters, List<ClusterPeer> listeners, int highestNodeId) {

    PublishedGroup {
        voters = List.copyOf(voters);
        listeners = List.copyOf(listeners);
    }

    /** Whether {@code nodeId} is or was an id of this group. */
    boolean everHad(int nodeId) {
        return nodeId <= highestNodeId || Stream.concat(voters.stream(), listeners.stream())
                .anyMatch(p -> p.nodeId() == nodeId);
    }

    static PublishedGroup valueOf(String text) {
        List<ClusterPeer> voters = new ArrayList<>();
        List<ClusterPeer> listeners = new ArrayList<>();
        int highest = 0;
        for (String part : text.split(";")) {
            int eq = part.indexOf('=');
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            switch (key) {
                case "voters" -> voters.addAll(peers(value));
                case "listeners" -> listeners.addAll(peers(value));
                case "highest" -> highest = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown part '" + key + "' of a published group: "
                        + text);
            }
        }
        return new PublishedGroup(voters, listeners, highest);
    }

    private static List<ClusterPeer> peers(String value) {
        return value.isEmpty() ? List.of()
                : Arrays.stream(value.split(",")).map(ClusterPeer::valueOf).toList();
    }

    @Override
    public String toString() {
        return "voters=" + join(voters) + ";listeners=" + join(listeners) + ";highest=" + highestNodeId;
    }

    private static String join(List<ClusterPeer> peers) {
        return peers.stream().map(ClusterPeer::toString).collect(Collectors.joining(","));
    }
}
