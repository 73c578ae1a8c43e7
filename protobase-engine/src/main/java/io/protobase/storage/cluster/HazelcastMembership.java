package io.protobase.storage.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.file.FileBlockProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
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
 * as Hazelcast's own {@code cp-member-count}. After that it grows ({@link #awaitGroup}, {@link #grow}):
 * the leader publishes the group's configuration in the replicated map
 * {@code protobase.raft-group.<group name>}; a node started later with an empty directory finds it there
 * and starts as a learner ({@link ClusterFileStorage#learner}); the leader adds it, and Raft makes it a
 * voter once it caught up, in place of a <em>lost</em> voter if there is one (see {@link #grow}). A node
 * restarted on its directory starts at once with its persisted configuration. Nothing is removed
 * automatically: a departed node is removed by {@link #removeDeparted} only.
 */
public final class HazelcastMembership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);
    private static final String MAP_PREFIX = "protobase.raft.";

    /** Key of the group's configuration in the {@code protobase.raft-group.<group name>} map. */
    private static final String CONFIGURATION = "configuration";
    /**
     * File in the node directory that records the node id this node took in place of the configured one
     * (a node whose directory was lost): {@code configured=<id>} and {@code node=<id>}.
     */
    static final String ASSIGNED_FILE = "protobase.assigned";

    private final HazelcastInstance hazelcast;
    /** This node as published: its id changes once, when a node whose directory was lost takes a new one. */
    private volatile ClusterPeer self;
    private final String groupName;
    private final ReplicatedMap<String, String> published;
    private final ReplicatedMap<String, String> groups;
    private GroupGrowth growth;
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
        this.groups = hazelcast.getReplicatedMap(GROUP_PREFIX + groupName);
        publish(self);
    }

    private static final String GROUP_PREFIX = "protobase.raft-group.";

    /** Publishes {@code self} under this Hazelcast member, refused when another live member has its id. */
    private void publish(ClusterPeer self) {
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
        this.self = self;
    }

    /**
     * How a node takes part in its group, as {@link #awaitGroup} found: its node id, the peers its Raft
     * server starts with, and whether it starts as a learner of a running group.
     *
     * @param nodeId the id this node runs under (the configured one, or the one it took in place of it)
     * @param peers the members to start with, this node included
     * @param learner whether the node joins a running group as a learner; open it with
     *                {@link ClusterFileStorage#learner}
     */
    public record Start(int nodeId, List<ClusterPeer> peers, boolean learner) {

        public Start {
            peers = List.copyOf(peers);
        }

        /**
         * Opens this node on {@code provider}'s directory, as a learner when {@link #learner()}.
         *
         * @param provider the node's own directory
         * @param settings adjusts the options (timeouts, group name) of {@code Options.of(nodeId, peers)}
         * @return the open node
         */
        public ClusterFileStorage open(FileBlockProvider provider, UnaryOperator<ClusterFileStorage.Options> settings) {
            ClusterFileStorage.Options options = settings.apply(ClusterFileStorage.Options.of(nodeId, peers));
            return learner ? ClusterFileStorage.learner(provider, options) : new ClusterFileStorage(provider, options);
        }
    }

    /**
     * Decides how this node starts, from its directory and what is published:
     * <ul>
     * <li>a directory this node ran in before: at once, with the published nodes as peers; its Raft
     *     server then takes the configuration persisted in the directory, so it needs no other node to
     *     be published;</li>
     * <li>an empty directory and a running group (its leader published the configuration): as a learner,
     *     with the group's voters as peers. When its configured id is, or ever was, a member of the group
     *     (a node whose directory was lost, restarted with the same settings), it takes the next free id
     *     instead (one above every id the group and Hazelcast know of) and records it in the directory, so
     *     it keeps that id when it restarts;</li>
     * <li>an empty directory and no running group: as {@link #awaitInitialMembers}.</li>
     * </ul>
     *
     * @param directory this node's directory
     * @param initialMembers how many nodes form a new group ({@code initial-members})
     * @param timeout how long to wait for a running group or the initial members
     * @return how to start
     * @throws StorageUnavailableException as {@link #awaitInitialMembers}
     * @throws StorageException when the directory cannot be read, or the new id was published by another
     *                          live member meanwhile
     */
    public Start awaitGroup(Path directory, int initialMembers, Duration timeout) {
        if (initialMembers < 1) {
            throw new IllegalArgumentException("initial members must be at least 1, got " + initialMembers);
        }
        int configured = self.nodeId();
        OptionalInt recorded = NodeDirectory.recordedNodeId(directory);
        if (recorded.isPresent()) {
            int id = NodeDirectory.assignedInPlaceOf(directory, configured).orElse(configured);
            if (id != configured && recorded.getAsInt() == id) {
                publish(new ClusterPeer(id, self.host(), self.port()));
                LOG.info("Cluster node {} restarts under the id {} it took in place of {}", self, id, configured);
            }
            return new Start(self.nodeId(), members(), false);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            PublishedGroup running = publishedGroup();
            if (running != null) {
                return joinAsLearner(directory, running);
            }
            List<ClusterPeer> found = members();
            if (found.size() >= initialMembers) {
                return new Start(self.nodeId(), found, false);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw missing(initialMembers, timeout, found);
            }
            LockSupport.parkNanos(Math.min(left, POLL_NANOS));
            if (Thread.currentThread().isInterrupted()) {
                throw new StorageUnavailableException("Interrupted while cluster node " + self + " waited for the"
                        + " Raft group '" + groupName + "' or " + initialMembers + " initial members");
            }
        }
    }

    private Start joinAsLearner(Path directory, PublishedGroup running) {
        int configured = self.nodeId();
        if (running.everHad(configured)) {
            int id = Math.max(running.highestNodeId(), members().stream().mapToInt(ClusterPeer::nodeId).max()
                    .orElse(0)) + 1;
            NodeDirectory.recordAssigned(directory, configured, id);
            publish(new ClusterPeer(id, self.host(), self.port()));
            LOG.info("Cluster node {} joins the running group '{}' under the new id {}: its directory is empty and"
                    + " node {} is or was a member", self, groupName, id, configured);
        }
        List<ClusterPeer> peers = new ArrayList<>(running.voters());
        peers.removeIf(p -> p.nodeId() == self.nodeId());
        peers.add(self);
        return new Start(self.nodeId(), peers, true);
    }

    /** The configuration the group's leader published, or {@code null} while no group runs. */
    PublishedGroup publishedGroup() {
        String text = groups.get(CONFIGURATION);
        return text == null ? null : PublishedGroup.valueOf(text);
    }

    /** Publishes the group's configuration (by its leader), when it changed. */
    void publishGroup(PublishedGroup group) {
        String text = group.toString();
        if (!text.equals(groups.get(CONFIGURATION))) {
            groups.put(CONFIGURATION, text);
        }
    }

    /**
     * Starts growing the group through {@code storage}, this node: whenever it leads, it publishes the
     * group's configuration and adds the nodes published in Hazelcast that are not members, one
     * configuration change per node. Raft catches a new node up before the change takes effect, so it
     * becomes a voter only within {@value ClusterFileStorage#CATCH_UP_GAP} log entries of the leader. It
     * acts on Hazelcast membership and map events and every {@code checkInterval} (so a missed event or a
     * change of leader loses nothing).
     *
     * <p>A new node <em>replaces</em> a voter, in the same configuration change, when that voter is
     * <em>lost</em>: the new node publishes the voter's Raft address (host and port), and no live
     * Hazelcast member publishes the voter's node id. A node cannot hold the address of a running
     * server, so this is a node whose directory was lost that came back under a new id; the group keeps
     * its size and majority. Every other voter stays, also when it is gone from Hazelcast: a departed
     * node is removed by {@link #removeDeparted} only.
     *
     * @param storage this node, open
     * @param checkInterval how often to check without an event
     */
    public synchronized void grow(ClusterFileStorage storage, Duration checkInterval) {
        if (growth != null) {
            throw new IllegalStateException("cluster node " + self + " already grows its group");
        }
        growth = new GroupGrowth(this, storage, checkInterval);
    }

    HazelcastInstance hazelcast() {
        return hazelcast;
    }

    ReplicatedMap<String, String> publishedNodes() {
        return published;
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

    /** Stops growing the group and withdraws this node's address; the Hazelcast instance keeps running. */
    @Override
    public void close() {
        synchronized (this) {
            if (growth != null) {
                growth.close();
                growth = null;
            }
        }
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
