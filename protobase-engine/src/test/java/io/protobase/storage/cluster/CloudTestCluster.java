package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
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

/**
 * Real Ratis servers on 127.0.0.1 in this JVM, each a {@link CloudClusterFileStorage} with its own cache
 * directory under {@code base} and a free port, all on one bucket prefix. Each node gets its own
 * {@link ObjectStore} from {@code stores} (the same bucket, or a wrapper that injects faults into one node's
 * requests). Timeouts are short so that a test cluster elects a leader quickly; nothing asserts how fast.
 */
final class CloudTestCluster implements AutoCloseable {

    private final Map<Integer, CloudClusterFileStorage> running = new LinkedHashMap<>();

    private CloudTestCluster() {
    }

    /**
     * Starts nodes 1..{@code size} of cluster {@code group} with empty (or existing) directories under {@code base}.
     */
    static CloudTestCluster start(int size, String group, Path base, String prefix, IntFunction<ObjectStore> stores,
            CloudFileStorage.Options cloud) {
        List<ClusterPeer> peers = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", TestCluster.freePort()));
        }
        CloudTestCluster cluster = new CloudTestCluster();
        try {
            for (ClusterPeer p : peers) {
                ClusterFileStorage.Options options = ClusterFileStorage.Options.of(p.nodeId(), peers)
                        .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(15))
                        .withGroupName(group);
                CloudBlockProvider provider = new CloudBlockProvider(stores.apply(p.nodeId()), prefix,
                        base.resolve("node-" + p.nodeId()), 8L << 20, 64 * 1024);
                cluster.running.put(p.nodeId(), new CloudClusterFileStorage(provider, options, cloud));
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
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
     * Commits {@code atom} as the new root on {@code node} on top of the current root, again on the newer root
     * when another node's commit won the compare-and-set. Returns the committed pointer.
     */
    static AtomPointer commit(CloudClusterFileStorage node, byte[] atom) {
        while (true) {
            AtomPointer root = node.readRoot();
            AtomPointer next = node.push(atom);
            try (CommitLock lock = node.acquireCommitLock(Duration.ofSeconds(60))) {
                if (node.compareAndSetRoot(lock, root, next)) {
                    return next;
                }
            }
        }
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
        nodes.parallelStream().forEach(node -> {
            try {
                node.close();
            } catch (RuntimeException ignored) {
                // closing the rest matters more
            }
        });
    }
}
