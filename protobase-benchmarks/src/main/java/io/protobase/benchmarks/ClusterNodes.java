package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.collection.Dictionary;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.file.FileBlockProvider;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Three {@code ClusterFileStorage} nodes (Apache Ratis) on 127.0.0.1 in this JVM, for the cluster benchmarks
 * ({@link ClusterCommitBenchmark}, {@link ClusterCommitLatency}): each node has its own directory
 * ({@code node-<id>} under one parent), storage, object space and database {@link Dataset#NAME}, and fsyncs its
 * Raft log before it acknowledges an entry, as the file store with {@code fsync=commit} does. The nodes of
 * {@link ClusterNodeJvm} (child JVMs) are opened with the same {@link #options}.
 */
final class ClusterNodes implements AutoCloseable {

    /** The number of nodes. */
    static final int COUNT = 3;

    final Path dir;
    final Duration election;
    final List<ClusterPeer> peers = new ArrayList<>();
    // the rolling restart's client reads them while the restarts change them
    private final Map<Integer, ObjectSpace> spaces = new ConcurrentHashMap<>();
    private final Map<Integer, ClusterFileStorage> storages = new ConcurrentHashMap<>();

    /** Starts the three nodes in {@code dir} and opens their object spaces once a leader answers. */
    ClusterNodes(Path dir, Duration election) {
        this.dir = dir;
        this.election = election;
        for (int id = 1; id <= COUNT; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", freePort()));
        }
        try {
            for (int id = 1; id <= COUNT; id++) {
                start(id);
            }
            for (int id = 1; id <= COUNT; id++) {
                openSpace(id);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The options of node {@code nodeId} of {@code peers}: an election timeout of {@code election} and a request
     * timeout of ten of them, the engine's proportion.
     */
    static ClusterFileStorage.Options options(int nodeId, List<ClusterPeer> peers, Duration election) {
        return ClusterFileStorage.Options.of(nodeId, peers).withElectionTimeout(election)
                .withRequestTimeout(election.multipliedBy(10));
    }

    /** Opens node {@code nodeId} again on its directory while the others run. */
    void open(int nodeId) {
        start(nodeId);
        openSpace(nodeId);
    }

    private void start(int nodeId) {
        storages.put(nodeId, new ClusterFileStorage(new FileBlockProvider(dir.resolve("node-" + nodeId)),
                options(nodeId, peers, election)));
    }

    private void openSpace(int nodeId) {
        spaces.put(nodeId, openSpace(storages.get(nodeId), 3));
    }

    /**
     * An object space on {@code storage}, opened once the node's first linearizable read was answered (a leader
     * exists): an object space that cannot read its storage closes it, while a failed read leaves it open. Each
     * read waits up to the request timeout; after {@code attempts} of them the last failure is thrown.
     */
    static ObjectSpace openSpace(ClusterFileStorage storage, int attempts) {
        for (int attempt = 1; ; attempt++) {
            try {
                storage.readRoot();
                return new ObjectSpace(storage);
            } catch (ProtoBaseException noLeaderYet) {
                if (attempt == attempts) {
                    throw noLeaderYet;
                }
            }
        }
    }

    ClusterFileStorage storage(int nodeId) {
        return storages.get(nodeId);
    }

    Database db(int nodeId) {
        return spaces.get(nodeId).getDatabase(Dataset.NAME);
    }

    /**
     * Loads the data set through node 1 in one transaction (its bytes travel in entries of a few MiB) and checks
     * that every node counts {@code size} entries.
     */
    void load(int size) {
        Dataset.load(db(1), size);
        for (int id = 1; id <= COUNT; id++) {
            long count = db(id).read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
            if (count != size) {
                throw new IllegalStateException("node " + id + " holds " + count + " entries, expected " + size);
            }
        }
    }

    /** The id of the node that is the leader, once one is. */
    int awaitLeader() {
        while (true) {
            for (Map.Entry<Integer, ClusterFileStorage> e : storages.entrySet()) {
                if (e.getValue().isLeader()) {
                    return e.getKey();
                }
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    /** Closes node {@code nodeId} as an application would (a leader hands leadership over first). */
    void close(int nodeId) {
        storages.remove(nodeId);
        spaces.remove(nodeId).close();
    }

    /** Closes every node that is open (at once, so a leader's hand-over meets running followers) and deletes them. */
    @Override
    public void close() {
        try {
            spaces.values().parallelStream().forEach(ObjectSpace::close);
            storages.values().parallelStream().forEach(ClusterFileStorage::close);
        } finally {
            FileStores.delete(dir);
        }
    }

    /**
     * A port free now, below Linux's ephemeral range: a node reopened on its port must find it free again,
     * which an outgoing connection given that port as its local one would prevent.
     */
    static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_768);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // another process holds it: try the next
            }
        }
        throw new IllegalStateException("no free port between 20000 and 32767 on 127.0.0.1");
    }
}
