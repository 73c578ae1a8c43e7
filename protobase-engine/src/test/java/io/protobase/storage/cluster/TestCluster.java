package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Real Ratis servers on 127.0.0.1 in this JVM, each a {@link ClusterFileStorage} with its own
 * directory under {@code target/test-storage} and a free port. Timeouts are short so that a test
 * cluster elects a leader quickly; nothing asserts how fast.
 */
public final class TestCluster implements AutoCloseable {

    /** Election timeout of test clusters: short, so a group forms (and fails over) quickly. */
    static final Duration ELECTION = Duration.ofMillis(300);
    /**
     * The product's default election timeout, for tests that need a leader to last through a loaded build more
     * than a quick failover. With {@link #ELECTION}, at load 15-20 on two cores (test classes in parallel), a
     * leader heard from its followers later than the longest timeout (450 ms; answers 0.6 to 2.8 s old were
     * logged), so Ratis made it step down for lost majority heartbeats; leaders followed one another every few
     * seconds (14 terms in 45 s) and a commit found none that confirmed its read within its 15 s request timeout.
     */
    static final Duration STEADY_ELECTION = Duration.ofSeconds(1);

    /** Every port {@link #freePort()} handed out in this JVM. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final Path base;
    private final UnaryOperator<ClusterFileStorage.Options> tweak;
    private final String group = "test-" + UUID.randomUUID();
    private final List<ClusterPeer> peers = new ArrayList<>();
    private final Map<Integer, ClusterFileStorage> running = new LinkedHashMap<>();

    private TestCluster(Path base, UnaryOperator<ClusterFileStorage.Options> tweak) {
        this.base = base;
        this.tweak = tweak;
    }

    /** Starts nodes 1..{@code size}; {@code tweak} adjusts every node's options. */
    static TestCluster start(int size, UnaryOperator<ClusterFileStorage.Options> tweak) {
        TestCluster cluster = new TestCluster(Path.of("target", "test-storage", "cluster-" + UUID.randomUUID()),
                tweak);
        for (int id = 1; id <= size; id++) {
            cluster.peers.add(new ClusterPeer(id, "127.0.0.1", freePort()));
        }
        for (ClusterPeer p : List.copyOf(cluster.peers)) {
            cluster.open(p.nodeId(), cluster.peers);
        }
        return cluster;
    }

    public static TestCluster start(int size) {
        return start(size, UnaryOperator.identity());
    }

    private ClusterFileStorage open(int nodeId, List<ClusterPeer> groupPeers) {
        ClusterFileStorage.Options options = tweak.apply(ClusterFileStorage.Options.of(nodeId, groupPeers)
                .withElectionTimeout(ELECTION).withRequestTimeout(Duration.ofSeconds(15)).withGroupName(group));
        ClusterFileStorage node = new ClusterFileStorage(new FileBlockProvider(directory(nodeId)), options);
        running.put(nodeId, node);
        return node;
    }

    Path directory(int nodeId) {
        return base.resolve("node-" + nodeId);
    }

    public ClusterFileStorage node(int nodeId) {
        ClusterFileStorage node = running.get(nodeId);
        if (node == null) {
            throw new IllegalStateException("node " + nodeId + " is not running");
        }
        return node;
    }

    List<ClusterPeer> peers() {
        return List.copyOf(peers);
    }

    ClusterPeer peer(int nodeId) {
        return peers.stream().filter(p -> p.nodeId() == nodeId).findFirst().orElseThrow();
    }

    /** Closes a node (its server stops; its directory stays). */
    void stop(int nodeId) {
        ClusterFileStorage node = running.remove(nodeId);
        if (node != null) {
            node.close();
        }
    }

    /**
     * Stops a node as a crash does, as far as the others can tell: its Raft server closes at once,
     * without the leadership hand-over {@link ClusterFileStorage#close()} starts with, so the others
     * have to notice the silence and elect a leader; then the storage closes. The server is reached by
     * reflection: a storage offers no way to die abruptly, and a child JVM killed with {@code kill -9}
     * (see {@code ClusterFaultTest}) would leave this test without in-process access to the others.
     */
    void crash(int nodeId) {
        ClusterFileStorage node = running.remove(nodeId);
        if (node == null) {
            throw new IllegalStateException("node " + nodeId + " is not running");
        }
        try {
            Field server = ClusterFileStorage.class.getDeclaredField("server");
            server.setAccessible(true);
            ((RaftServer) server.get(node)).close();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the Raft server of node " + nodeId, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        node.close();
    }

    /** Opens a stopped node again on its directory and port. */
    ClusterFileStorage restart(int nodeId) {
        if (running.containsKey(nodeId)) {
            throw new IllegalStateException("node " + nodeId + " is still running");
        }
        return open(nodeId, peers);
    }

    /**
     * Starts a new node with an empty directory under {@code nodeId} in place of {@code replaced}
     * (stopped) and makes the group {@code survivors + new node} through the leader.
     */
    ClusterFileStorage replace(int replaced, int nodeId) {
        if (running.containsKey(replaced)) {
            throw new IllegalStateException("node " + replaced + " is still running");
        }
        peers.removeIf(p -> p.nodeId() == replaced);
        peers.add(new ClusterPeer(nodeId, "127.0.0.1", freePort()));
        ClusterFileStorage added = open(nodeId, peers);
        running.values().stream().filter(n -> n != added).findFirst().orElseThrow().reconfigure(peers);
        return added;
    }

    /**
     * The Raft log of a running node, reached by reflection: a storage does not expose its log, and the tests of
     * its purge look at what it holds.
     */
    static RaftLog raftLog(ClusterFileStorage node) {
        try {
            Field server = ClusterFileStorage.class.getDeclaredField("server");
            server.setAccessible(true);
            Field groupId = ClusterFileStorage.class.getDeclaredField("groupId");
            groupId.setAccessible(true);
            return ((RaftServer) server.get(node)).getDivision((RaftGroupId) groupId.get(node)).getRaftLog();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the Raft log of " + node.describe(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The running node that leads now, or {@code null}. */
    ClusterFileStorage leader() {
        return running.values().stream().filter(ClusterFileStorage::isLeader).findFirst().orElse(null);
    }

    List<ClusterFileStorage> running() {
        return List.copyOf(running.values());
    }

    /** Stops every running node, in parallel: a Raft server takes about a second to close its log. */
    @Override
    public void close() {
        List<ClusterFileStorage> nodes = List.copyOf(running.values());
        running.clear();
        closeInParallel(nodes);
    }

    /** Closes {@code nodes} in parallel; a node that fails to close does not keep the others open. */
    static void closeInParallel(List<? extends SharedStorage> nodes) {
        nodes.parallelStream().forEach(node -> {
            try {
                node.close();
            } catch (RuntimeException ignored) {
                // closing the rest matters more
            }
        });
    }

    /**
     * A port free now, below Linux's ephemeral range (32768 and up). A node stopped and restarted on
     * its port must find it free again, but while it is down any outgoing connection of the JVM (a
     * gRPC client of another test) may be given an ephemeral port as its local port and hold it; a
     * port the kernel never hands out that way stays free for the restart. Nor is a port handed out twice in
     * this JVM: while one test's node is down, another test running beside it would otherwise be given its port
     * and one of the two nodes could not start.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_768);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // another test holds it: try the next
            }
        }
        throw new UncheckedIOException(new IOException("no free port between 20000 and 32767 on 127.0.0.1"));
    }

    /**
     * Commits {@code atom} as the new root on {@code node}, on top of whatever root is current: a compare-and-set
     * lost to another node's commit is tried again on the newer root. Returns the committed pointer.
     */
    static AtomPointer commit(SharedStorage node, byte[] atom) {
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
}
