package io.protobase.storage.cluster;

import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogIOException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Real Ratis servers on 127.0.0.1 in this JVM, each a {@link CloudClusterFileStorage} with its own cache
 * directory under {@code base} and a free port, all on one bucket prefix. Each node gets its own
 * {@link ObjectStore} from {@code stores} (the same bucket, or a wrapper that injects faults into one node's
 * requests). Timeouts are short so that a test cluster elects a leader quickly; nothing asserts how fast.
 */
final class CloudTestCluster implements AutoCloseable {

    private final Map<Integer, CloudClusterFileStorage> running = new LinkedHashMap<>();
    private final Map<Integer, CloudBlockProvider> providers = new LinkedHashMap<>();
    private final List<ClusterPeer> peers = new ArrayList<>();
    private final String group;
    private final Path base;
    private final String prefix;
    private final IntFunction<ObjectStore> stores;
    private final CloudFileStorage.Options cloud;
    private final UnaryOperator<ClusterFileStorage.Options> tweak;

    private CloudTestCluster(String group, Path base, String prefix, IntFunction<ObjectStore> stores,
            CloudFileStorage.Options cloud, UnaryOperator<ClusterFileStorage.Options> tweak) {
        this.group = group;
        this.base = base;
        this.prefix = prefix;
        this.stores = stores;
        this.cloud = cloud;
        this.tweak = tweak;
    }

    /**
     * Starts nodes 1..{@code size} of cluster {@code group} with empty (or existing) directories under {@code base}.
     */
    static CloudTestCluster start(int size, String group, Path base, String prefix, IntFunction<ObjectStore> stores,
            CloudFileStorage.Options cloud) {
        return start(size, group, base, prefix, stores, cloud, UnaryOperator.identity());
    }

    /**
     * Starts nodes as {@link #start(int, String, Path, String, IntFunction, CloudFileStorage.Options)}, {@code tweak}
     * adjusting every node's cluster options.
     */
    static CloudTestCluster start(int size, String group, Path base, String prefix, IntFunction<ObjectStore> stores,
            CloudFileStorage.Options cloud, UnaryOperator<ClusterFileStorage.Options> tweak) {
        CloudTestCluster cluster = new CloudTestCluster(group, base, prefix, stores, cloud, tweak);
        for (int id = 1; id <= size; id++) {
            cluster.peers.add(new ClusterPeer(id, "127.0.0.1", TestCluster.freePort()));
        }
        try {
            for (ClusterPeer p : cluster.peers) {
                cluster.open(p.nodeId());
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private CloudClusterFileStorage open(int nodeId) {
        ClusterFileStorage.Options options = tweak.apply(ClusterFileStorage.Options.of(nodeId, peers)
                .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(15))
                .withGroupName(group));
        CloudBlockProvider provider = new CloudBlockProvider(stores.apply(nodeId), prefix, directory(nodeId),
                8L << 20, 64 * 1024);
        CloudClusterFileStorage node = new CloudClusterFileStorage(provider, options, cloud);
        running.put(nodeId, node);
        providers.put(nodeId, provider);
        return node;
    }

    /** The cache directory of node {@code nodeId} (its Raft directory is {@code cluster} in it). */
    Path directory(int nodeId) {
        return base.resolve("node-" + nodeId);
    }

    /** The block provider node {@code nodeId} was last opened with: what it fetched from the bucket. */
    CloudBlockProvider provider(int nodeId) {
        return providers.get(nodeId);
    }

    /**
     * Starts node {@code nodeId} with an empty directory and a free port, listing every peer known so far and
     * itself; the group takes it in through {@link #reconfigure}.
     */
    CloudClusterFileStorage add(int nodeId) {
        if (peers.stream().anyMatch(p -> p.nodeId() == nodeId)) {
            throw new IllegalStateException("node " + nodeId + " was started before");
        }
        peers.add(new ClusterPeer(nodeId, "127.0.0.1", TestCluster.freePort()));
        return open(nodeId);
    }

    /**
     * The Raft log of running node {@code nodeId}, reached by reflection: a storage does not expose its log, and
     * the tests of its purge look at what it holds.
     */
    RaftLog raftLog(int nodeId) {
        return TestCluster.raftLog(running.get(nodeId).node());
    }

    /** Serialized bytes of the entries in node {@code nodeId}'s Raft log: what it holds of the log. */
    long raftLogBytes(int nodeId) {
        RaftLog log = raftLog(nodeId);
        long bytes = 0;
        for (long i = Math.max(0, log.getStartIndex()); i <= log.getLastEntryTermIndex().getIndex(); i++) {
            try {
                LogEntryProto entry = log.get(i);
                bytes += entry == null ? 0 : entry.getSerializedSize();
            } catch (RaftLogIOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bytes;
    }

    /** Makes nodes {@code ids} the members of the group, through running node {@code via}. */
    void reconfigure(int via, int... ids) {
        List<ClusterPeer> members = new ArrayList<>();
        for (int id : ids) {
            members.add(peers.stream().filter(p -> p.nodeId() == id).findFirst().orElseThrow());
        }
        running.get(via).node().reconfigure(members);
    }

    /** Opens a stopped node again on its directory and port. */
    CloudClusterFileStorage restart(int nodeId) {
        if (running.containsKey(nodeId)) {
            throw new IllegalStateException("node " + nodeId + " is still running");
        }
        return open(nodeId);
    }

    CloudClusterFileStorage node(int nodeId) {
        return running.get(nodeId);
    }

    List<CloudClusterFileStorage> nodes() {
        return List.copyOf(running.values());
    }

    /** The node that leads now, or {@code null}. */
    CloudClusterFileStorage leader() {
        return running.values().stream().filter(CloudClusterFileStorage::isLeader).findFirst().orElse(null);
    }

    /** The id of {@code node}. */
    int idOf(CloudClusterFileStorage node) {
        return running.entrySet().stream().filter(e -> e.getValue() == node).findFirst().orElseThrow().getKey();
    }

    /**
     * Stops node {@code nodeId} as a crash does for the others: its Raft server closes at once, without the
     * leadership hand-over or the last upload round of a close (see {@link TestCluster#crash}); then the storage
     * closes.
     */
    void crash(int nodeId) {
        CloudClusterFileStorage node = running.remove(nodeId);
        try {
            Field server = ClusterFileStorage.class.getDeclaredField("server");
            server.setAccessible(true);
            ((RaftServer) server.get(node.node())).close();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the Raft server of node " + nodeId, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        node.close();
    }

    /** Closes every node, in parallel. */
    @Override
    public void close() {
        List<CloudClusterFileStorage> nodes = List.copyOf(running.values());
        running.clear();
        TestCluster.closeInParallel(nodes);
    }
}
