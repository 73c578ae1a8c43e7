package io.protobase.storage.cluster;

import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;

import org.apache.ratis.server.RaftServer;

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
        CloudBlockProvider provider = new CloudBlockProvider(stores.apply(nodeId), prefix,
                base.resolve("node-" + nodeId), 8L << 20, 64 * 1024);
        CloudClusterFileStorage node = new CloudClusterFileStorage(provider, options, cloud);
        running.put(nodeId, node);
        return node;
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
