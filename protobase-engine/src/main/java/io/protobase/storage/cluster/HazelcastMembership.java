package io.protobase.storage.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * Discovery of the Raft group's members through Hazelcast: each node publishes its Raft address
 * (node id, host, port) and reads the addresses of the others, so no node needs a fixed peers list.
 *
 * <p>Hazelcast does membership only (its CP subsystem is not in the open-source edition); consensus
 * stays with Raft. A node's address lives in the replicated map {@code protobase.raft.<group name>},
 * keyed by the node's Hazelcast member UUID. A replicated map rather than member attributes, because
 * attributes are fixed when a Hazelcast member starts and this class also works with an application's
 * own, already running, {@code HazelcastInstance}. An entry counts only while its Hazelcast member is
 * live, so a node that left (or crashed) disappears from {@link #members()} without any clean-up.
 *
 * <p>The group forms once {@code initial-members} nodes are published ({@link #awaitInitialMembers}),
 * as Hazelcast's own {@code cp-member-count}. Later changes of the Raft configuration are explicit:
 * a departed node is removed by {@link #removeDeparted}, never automatically.
 */
public final class HazelcastMembership implements AutoCloseable {

    private static final String MAP_PREFIX = "protobase.raft.";

    private final HazelcastInstance hazelcast;
    private final ClusterPeer self;
    private final String groupName;
    private final ReplicatedMap<String, String> published;
    /** How often {@link #awaitInitialMembers} looks again: a wait at startup only, so polling is cheap. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Publishes {@code self} as a node of the Raft group {@code groupName} on {@code hazelcast}.
     *
     * @param hazelcast a running Hazelcast member (the application's or an embedded one); this class
     *                  does not shut it down
     * @param groupName the Raft group's name ({@link ClusterFileStorage.Options#groupName()})
     * @param self this node's id and Raft address
     * @throws StorageException when another live Hazelcast member already published the same node id
     */
    public HazelcastMembership(HazelcastInstance hazelcast, String groupName, ClusterPeer self) {
        this.hazelcast = Objects.requireNonNull(hazelcast, "hazelcast");
        this.groupName = Objects.requireNonNull(groupName, "groupName");
        this.self = Objects.requireNonNull(self, "self");
        this.published = hazelcast.getReplicatedMap(MAP_PREFIX + groupName);
        String localUuid = localUuid();
        Set<String> live = liveUuids();
        published.entrySet().stream()
                .filter(e -> !e.getKey().equals(localUuid) && live.contains(e.getKey()))
                .map(e -> ClusterPeer.valueOf(e.getValue()))
                .filter(p -> p.nodeId() == self.nodeId()).findFirst().ifPresent(other -> {
            throw new StorageException("Cannot publish cluster node " + self + " through Hazelcast cluster '"
                    + hazelcast.getConfig().getClusterName() + "': another live member already published node "
                    + self.nodeId() + " as " + other + " in group '" + groupName + "'; give every node its own"
                    + " node id");
        });
        published.put(localUuid, self.toString());
    }

    /**
     * The nodes published by live Hazelcast members, this one included, by node id.
     *
     * @return the published nodes
     */
    public List<ClusterPeer> members() {
        Set<String> live = liveUuids();
        return published.entrySet().stream().filter(e -> live.contains(e.getKey()))
                .map(e -> ClusterPeer.valueOf(e.getValue())).distinct()
                .sorted(Comparator.comparingInt(ClusterPeer::nodeId)).toList();
    }

    /**
     * Waits until at least {@code count} nodes are published and returns them: the peers a new Raft
     * group forms from. Every node started together sees the same list once all are up, so start
     * exactly {@code count} nodes to form a group.
     *
     * @param count how many nodes form the group ({@code initial-members})
     * @param timeout how long to wait for them
     * @return the published nodes, by node id; at least {@code count}, this node among them
     * @throws StorageUnavailableException when fewer than {@code count} are published within {@code timeout};
     *                                     the message names the nodes found and the Hazelcast members that
     *                                     published none
     */
    public List<ClusterPeer> awaitInitialMembers(int count, Duration timeout) {
        if (count < 1) {
            throw new IllegalArgumentException("initial members must be at least 1, got " + count);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ClusterPeer> found = members();
            if (found.size() >= count) {
                return found;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw missing(count, timeout, found);
            }
            LockSupport.parkNanos(Math.min(left, POLL_NANOS));
            if (Thread.currentThread().isInterrupted()) {
                throw new StorageUnavailableException("Interrupted while cluster node " + self + " waited for "
                        + count + " initial members of group '" + groupName + "'");
            }
        }
    }

    private StorageUnavailableException missing(int count, Duration timeout, List<ClusterPeer> found) {
        Map<String, String> snapshot = Map.copyOf(published);
        List<String> silent = hazelcast.getCluster().getMembers().stream()
                .filter(m -> !snapshot.containsKey(m.getUuid().toString()))
                .map(m -> m.getAddress().toString()).toList();
        return new StorageUnavailableException("Cluster node " + self + " waited " + timeout + " for " + count
                + " initial members of Raft group '" + groupName + "' through Hazelcast cluster '"
                + hazelcast.getConfig().getClusterName() + "' but found " + found.size() + ": " + found + "; "
                + (count - found.size()) + " missing"
                + (silent.isEmpty() ? "" : " (Hazelcast members that published no node of this group: " + silent + ")")
                + ". Start the missing nodes with the same Hazelcast cluster and group name, check that the"
                + " Hazelcast members find each other (join configuration, ports), or lower initial-members");
    }

    /**
     * Removes a node that left for good from the Raft group, through {@code storage} (a running member
     * of the group), and only when it is no longer published by a live Hazelcast member. Never called
     * automatically: a node that is only down for a while must stay a member, or the group would shrink
     * below the majority that holds its commits. See {@link ClusterFileStorage#removeMember(int)}.
     *
     * @param storage a running node of the group
     * @param nodeId the node to remove
     * @throws StorageException when the node is still live in Hazelcast, or as
     *                          {@link ClusterFileStorage#removeMember(int)}
     */
    public void removeDeparted(ClusterFileStorage storage, int nodeId) {
        members().stream().filter(p -> p.nodeId() == nodeId).findFirst().ifPresent(live -> {
            throw new StorageException("Cannot remove cluster node " + live + " from group '" + groupName
                    + "': it is still a live member of Hazelcast cluster '" + hazelcast.getConfig().getClusterName()
                    + "'; stop it first, then remove it");
        });
        storage.removeMember(nodeId);
    }

    /** Withdraws this node's address; the Hazelcast instance keeps running. */
    @Override
    public void close() {
        if (hazelcast.getLifecycleService().isRunning()) {
            published.remove(localUuid());
        }
    }

    private Set<String> liveUuids() {
        return hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString())
                .collect(Collectors.toSet());
    }

    private String localUuid() {
        Member local = hazelcast.getCluster().getLocalMember();
        return local.getUuid().toString();
    }
}
