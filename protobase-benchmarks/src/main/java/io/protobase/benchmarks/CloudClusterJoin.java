package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.collection.Dictionary;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A new node joining a three-node cloud cluster ({@code CloudClusterFileStorage}) whose database holds
 * {@code size} entries (1,000,000 by default), with S3Proxy in this JVM as the bucket. The three nodes load the
 * entries through node 1 in one transaction and upload them; a fourth node with an empty directory is started
 * and added by {@code reconfigure}. It starts from the bucket's root object (its Raft snapshot) and receives only
 * the log after it from its peers. Reported:
 * <ul>
 *   <li>the seconds from opening the node until it serves reads: its linearizable read of the root returns the
 *       leader's latest root and a read transaction on it finds one entry;</li>
 *   <li>the bytes it fetched from the bucket by then, and after it read every entry's value (the whole
 *       database through its block cache);</li>
 *   <li>the bytes of the Raft log entries it holds: what it received from its peers.</li>
 * </ul>
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.CloudClusterJoin \
 *     [size=1000000] [election=1000]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given; they are
 * deleted at the end.
 */
public final class CloudClusterJoin {

    private static final int NODES = 3;
    /** The block provider of each node: what it fetched from the bucket. */
    private static final Map<Integer, CloudBlockProvider> PROVIDERS = new ConcurrentHashMap<>();

    private CloudClusterJoin() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("size", "1000000");
        defaults.put("election", "1000");
        MainArgs a = new MainArgs("CloudClusterJoin", args, defaults);
        int size = a.count("size");
        Duration election = Duration.ofMillis(a.count("election"));
        System.out.printf("A fourth node joining a three-node cloud cluster on 127.0.0.1 with S3Proxy in this JVM (%s;"
                + " stores under %s; %d cores)%n", a.describe(), FileStores.baseDir(),
                Runtime.getRuntime().availableProcessors());
        Path dir = FileStores.newDir("protobase-cloud-cluster-");
        List<ClusterPeer> peers = new ArrayList<>();
        for (int id = 1; id <= NODES + 1; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", ClusterNodes.freePort()));
        }
        List<CloudClusterFileStorage> nodes = new ArrayList<>();
        ObjectSpace loader = null;
        try (CloudS3 s3 = new CloudS3()) {
            for (int id = 1; id <= NODES; id++) {
                nodes.add(open(s3, dir, id, peers.subList(0, NODES), election));
            }
            long loading = System.nanoTime();
            // the history starts once a leader is elected and the bucket was read: wait for it (a few request timeouts)
            for (int attempt = 1; nodes.get(0).uploadedIndex() < 0; attempt++) {
                if (attempt == 5) {
                    throw new IllegalStateException("the cloud cluster did not start its history; see the log");
                }
                readRoot(nodes.get(0)); // waits up to the request timeout for the start
            }
            // the object space closes its storage: it stays open until the end
            loader = new ObjectSpace(nodes.get(0));
            CloudS3.load(loader.getDatabase(Dataset.NAME), size);
            nodes.get(0).uploadNow();
            System.out.printf(Locale.ROOT, "  loaded %,d entries through node 1 and uploaded them in %,.1f s%n", size,
                    (System.nanoTime() - loading) / 1e9);
            CloudClusterFileStorage leader = nodes.stream().filter(CloudClusterFileStorage::isLeader).findFirst()
                    .orElse(nodes.get(0));
            var latest = leader.readRoot();

            long start = System.nanoTime();
            CloudClusterFileStorage joining = open(s3, dir, NODES + 1, peers, election);
            nodes.add(joining);
            Thread adding = new Thread(() -> reconfigure(leader, peers), "reconfigure");
            adding.start();
            int probe = Dataset.shuffledIds(size, Dataset.UPDATE_SEED)[0];
            Object found;
            long deadline = start + Duration.ofMinutes(10).toNanos();
            while (!latest.equals(readRoot(joining))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("node " + (NODES + 1) + " did not read the latest root within 10"
                            + " minutes; see the log");
                }
                Thread.onSpinWait();
            }
            try (ObjectSpace space = new ObjectSpace(joining)) {
                Database db = space.getDatabase(Dataset.NAME);
                found = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).getAt(Dataset.key(probe)));
                long serving = System.nanoTime() - start;
                CloudBlockProvider provider = PROVIDERS.get(NODES + 1);
                long fetchedFirst = provider.fetchedBytes();
                long peerBytes = raftLogBytes(joining);
                long counting = System.nanoTime();
                // every value read (not the dictionary's stored count): the whole database goes through the cache
                long count = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).values()
                        .mapToLong(v -> v == null ? 0 : 1).sum());
                long counted = System.nanoTime() - counting;
                if (found == null || count != size) {
                    throw new IllegalStateException("the new node reads " + count + " entries (entry " + probe + ": "
                            + found + "), expected " + size);
                }
                System.out.printf(Locale.ROOT, "  node %d serves reads (latest root, one entry) after %,.2f s; by then"
                        + " %,.2f MB fetched from S3, %,.3f MB of log entries received from its peers%n", NODES + 1,
                        serving / 1e9, fetchedFirst / 1e6, peerBytes / 1e6);
                System.out.printf(Locale.ROOT, "  reading all %,d entries on node %d took %,.1f s more; %,.2f MB"
                        + " fetched from S3 in all (%,d block fetches), %,.3f MB of log entries from its peers%n", size,
                        NODES + 1, counted / 1e9, provider.fetchedBytes() / 1e6, provider.blockFetches(),
                        raftLogBytes(joining) / 1e6);
            }
            adding.join();
        } finally {
            if (loader != null) {
                loader.close();
            }
            nodes.parallelStream().forEach(n -> {
                try {
                    n.close();
                } catch (RuntimeException ignored) {
                    // closing the rest matters more
                }
            });
            FileStores.delete(dir);
        }
    }

    private static CloudClusterFileStorage open(CloudS3 s3, Path dir, int nodeId, List<ClusterPeer> peers,
            Duration election) {
        CloudBlockProvider provider = new CloudBlockProvider(new S3ObjectStore(s3.client, CloudS3.BUCKET), "join/",
                dir.resolve("node-" + nodeId));
        PROVIDERS.put(nodeId, provider);
        return new CloudClusterFileStorage(provider, ClusterFileStorage.Options.of(nodeId, peers)
                .withElectionTimeout(election).withRequestTimeout(election.multipliedBy(10))
                .withGroupName("join"), CloudFileStorage.Options.defaults());
    }

    /** Adds the fourth node through the leader; Raft brings it up to date before the change completes. */
    private static void reconfigure(CloudClusterFileStorage leader, List<ClusterPeer> peers) {
        for (int attempt = 1; ; attempt++) {
            try {
                leader.node().reconfigure(peers);
                return;
            } catch (ProtoBaseException stillCatchingUp) {
                if (attempt == 30) {
                    throw stillCatchingUp;
                }
            }
        }
    }

    private static Object readRoot(CloudClusterFileStorage node) {
        try {
            return node.readRoot();
        } catch (ProtoBaseException notYet) {
            return null;
        }
    }

    /** Serialized bytes of the entries in the node's Raft log (reached by reflection): what its peers sent it. */
    private static long raftLogBytes(CloudClusterFileStorage storage) throws Exception {
        ClusterFileStorage node = storage.node();
        Field server = ClusterFileStorage.class.getDeclaredField("server");
        server.setAccessible(true);
        Field groupId = ClusterFileStorage.class.getDeclaredField("groupId");
        groupId.setAccessible(true);
        RaftLog log = ((RaftServer) server.get(node)).getDivision((RaftGroupId) groupId.get(node)).getRaftLog();
        long bytes = 0;
        for (long i = Math.max(0, log.getStartIndex()); i <= log.getLastEntryTermIndex().getIndex(); i++) {
            var entry = log.get(i);
            bytes += entry == null ? 0 : entry.getSerializedSize();
        }
        return bytes;
    }
}
