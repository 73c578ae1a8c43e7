package io.protobase.storage.cluster;

import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.HistoryExpiredException;
import io.protobase.ObjectSpace;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static io.protobase.DataRoot.contents;
import static io.protobase.DataRoot.large;
import static io.protobase.DataRoot.put;

/**
 * Space reclamation of a cloud cluster in the bucket: three real Ratis nodes on 127.0.0.1, one engine per node,
 * the in-process S3 server (S3Proxy over HTTP). Compaction makes segments gone in the cluster; the leader's next
 * root object releases them, and their chunks are deleted once {@code gc-grace} has passed, never before; the
 * bucket alone still opens every acknowledged commit.
 */
@Tag("slow")
class CloudClusterGarbageCollectionTest {

    private static final Duration WAIT = Duration.ofMinutes(3);
    /** The smallest segments and entries the cluster storage takes, so that a few commits fill several. */
    private static final int SMALL = 64 * 1024;

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();
    private static S3Client client;

    @TempDir
    Path dir;

    private final List<ObjectSpace> spaces = new ArrayList<>();
    private final List<CloudTestCluster> clusters = new ArrayList<>();

    @BeforeAll
    static void startClient() {
        client = S3ProxyServer.outageVisibleClient(S3.server().endpoint(), Duration.ofSeconds(5));
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    @AfterEach
    void close() {
        spaces.forEach(s -> {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // the cluster closes next
            }
        });
        clusters.forEach(CloudTestCluster::close);
    }

    /** Closes every object space and then every cluster started so far, as a restart of every node would. */
    private void closeEverything() {
        spaces.forEach(ObjectSpace::close);
        spaces.clear();
        clusters.forEach(CloudTestCluster::close);
        clusters.clear();
    }

    private static ObjectStore bucket() {
        return new S3ObjectStore(client, S3.bucket());
    }

    private static CloudFileStorage.Options options(Duration grace) {
        return CloudFileStorage.Options.defaults().withDurability(CloudFileStorage.Durability.SYNC)
                .withUploadInterval(Duration.ofMillis(100)).withCommitTimeout(Duration.ofSeconds(30))
                .withCloseTimeout(Duration.ofSeconds(10)).withGcGrace(grace);
    }

    private CloudTestCluster start(Path base, String group, Duration grace) {
        return start(base, group, grace, id -> bucket());
    }

    private CloudTestCluster start(Path base, String group, Duration grace, IntFunction<ObjectStore> stores) {
        return start(base, group, grace, stores, UnaryOperator.identity());
    }

    private CloudTestCluster start(Path base, String group, Duration grace, IntFunction<ObjectStore> stores,
            UnaryOperator<ClusterFileStorage.Options> tweak) {
        CloudTestCluster cluster = CloudTestCluster.start(3, group, base, group + "/", stores, options(grace),
                o -> tweak.apply(o.withMaxEntryBytes(SMALL).withSegmentSize(SMALL)));
        clusters.add(cluster);
        return cluster;
    }

    private Database[] open(CloudTestCluster cluster) {
        Database[] dbs = new Database[3];
        for (int i = 0; i < 3; i++) {
            ObjectSpace space = ObjectSpace.builder(cluster.node(i + 1)).historyRetention(Duration.ZERO)
                    .clock(Clock.systemUTC()).cacheBytes(1).compactionMinDeadBytes(0).build();
            spaces.add(space);
            dbs[i] = space.getDatabase("db");
        }
        return dbs;
    }

    /** Large values overwritten many times over every node: most of what was written is garbage. */
    private static void workload(Database[] dbs, int rounds) {
        for (int i = 0; i < 4; i++) {
            put(dbs[i % 3], "big" + i, large(i));
        }
        for (int round = 0; round < rounds; round++) {
            put(dbs[round % 3], "k" + (round % 10), "v" + round);
            if (round % 5 == 0) {
                put(dbs[(round + 1) % 3], "big" + (round / 5 % 4), large(1000 + round));
            }
        }
    }

    /** One compaction on every node, the leader's first (it condemns; the others acknowledge). */
    private void compactEverywhere(CloudTestCluster cluster) {
        CloudClusterFileStorage leader = cluster.leader();
        List<Integer> order = new ArrayList<>(List.of(1, 2, 3));
        order.sort((a, b) -> Boolean.compare(cluster.node(b) == leader, cluster.node(a) == leader));
        int first = spaces.size() - 3;
        for (int id : order) {
            spaces.get(first + id - 1).compact();
        }
    }

    private static RootObject root(String prefix) {
        return root(bucket(), prefix);
    }

    private static RootObject root(ObjectStore bucket, String prefix) {
        return bucket.get(prefix + "root").map(o -> RootObject.parse(o.data(), prefix + "root")).orElseThrow();
    }

    private static long chunkBytes(String prefix) {
        return bucket().list(prefix + "segments/").stream().mapToLong(ObjectStore.ObjectInfo::size).sum();
    }

    private static Set<Long> chunkSegments(String prefix) {
        return chunkSegments(bucket(), prefix);
    }

    /** The segments whose chunks the bucket holds. */
    private static Set<Long> chunkSegments(ObjectStore bucket, String prefix) {
        Set<Long> ids = new TreeSet<>();
        for (ObjectStore.ObjectInfo info : bucket.list(prefix + "segments/")) {
            String[] parts = info.key().substring((prefix + "segments/").length()).split("/");
            ids.add(Long.parseUnsignedLong(parts[0], 16));
        }
        return ids;
    }

    /**
     * The segments a root object lists, live or released (its rounds go on while a test looks: a segment may go
     * between two reads, and its chunks stay for the grace).
     */
    private static Set<Long> listed(RootObject root) {
        Set<Long> ids = new TreeSet<>(root.lengths().keySet());
        ids.addAll(root.released().keySet());
        return ids;
    }

    private static long liveBytes(Map<Object, Object> contents) {
        return contents.values().stream().mapToLong(v -> v.toString().length()).sum();
    }

    @Test
    void overwrittenLargeValuesShrinkTheBucketAfterTheGraceAndTheBucketAloneReadsEveryCommit() {
        String group = "gc-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster cluster = start(dir.resolve("first"), group, Duration.ofSeconds(1));
        Database[] dbs = open(cluster);
        workload(dbs, 120);
        Map<Object, Object> expected = contents(dbs[0]);
        cluster.node(1).uploadNow();
        long before = chunkBytes(prefix);
        long live = liveBytes(expected);

        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            cluster.node(1).uploadNow();
            CloudClusterFileStorage leader = cluster.leader();
            assertThat(leader).isNotNull();
            assertThat(leader.pendingSegmentDeletions()).as("released, chunks not deleted yet").isZero();
            assertThat(root(prefix).released()).as("released in the root object").isEmpty();
            assertThat(chunkBytes(prefix)).as("chunk bytes (%d before, %d of live values)", before, live)
                    .isLessThan(before / 3).isLessThan(6 * live);
        });
        long after = chunkBytes(prefix);
        RootObject root = root(prefix);
        // what is left in the bucket is what the root object lists: live segments only
        assertThat(chunkSegments(prefix)).isSubsetOf(listed(root));
        assertThat(cluster.nodes().stream().mapToLong(CloudClusterFileStorage::deletedSegments).sum()).isPositive();
        for (Database db : dbs) {
            assertThat(contents(db)).isEqualTo(expected);
        }
        System.out.printf("cloud-cluster GC: %d chunk bytes before, %d after, %d bytes of live values%n", before,
                after, live);

        closeEverything();
        // a cluster with empty directories, from the bucket alone: every acknowledged commit is there
        CloudTestCluster fresh = start(dir.resolve("fresh"), group, Duration.ofSeconds(1));
        Database[] restored = open(fresh);
        for (Database db : restored) {
            assertThat(contents(db)).isEqualTo(expected);
        }
        put(restored[1], "after", "restore");
        assertThat(contents(restored[2])).containsEntry("after", "restore");
    }

    @Test
    void aReleasedSegmentsChunksStayUntilTheGraceHasPassed() {
        String group = "grace-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster cluster = start(dir.resolve("nodes"), group, Duration.ofHours(1));
        Database[] dbs = open(cluster);
        workload(dbs, 60);
        Map<Object, Object> expected = contents(dbs[0]);

        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            cluster.node(1).uploadNow();
            assertThat(root(prefix).released()).as("segments the root object released").isNotEmpty();
        });
        RootObject root = root(prefix);
        // released: no longer live in the root object, every chunk still there, nothing deleted
        assertThat(root.lengths().keySet()).doesNotContainAnyElementsOf(root.released().keySet());
        assertThat(chunkSegments(prefix)).containsAll(root.released().keySet());
        assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.deletedSegments()).isZero());
        // (the leader's count may be ahead of the root read above: its rounds go on)
        assertThat(cluster.leader().pendingSegmentDeletions()).isGreaterThanOrEqualTo(root.released().size());
        // the released segments' local files are gone on every node once the root no longer names them
        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            for (CloudClusterFileStorage node : cluster.nodes()) {
                assertThat(node.node().deletedSegments()).as("deleted locally on %s", node.describe())
                        .containsAll(root.released().keySet());
            }
        });
        for (Database db : dbs) {
            assertThat(contents(db)).isEqualTo(expected);
        }
    }

    /**
     * A chunk no root object names and no mark will (as a deposed leader's round leaves of a segment gone since) is
     * deleted by the leader once it was seen for the grace; the chunks of the live segments stay.
     */
    @Test
    void anOrphanChunkIsDeletedByTheLeaderOnceSeenForTheGrace() {
        String group = "gc-orphan-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster cluster = start(dir.resolve("nodes"), group, Duration.ofMillis(500));
        Database[] dbs = open(cluster);
        workload(dbs, 10);
        Map<Object, Object> expected = contents(dbs[0]);
        cluster.node(1).uploadNow();
        // node 7, incarnation 1: no node of this cluster writes it, no root object names it
        long stray = (7L << 40) | (1L << 20) | 1;
        String key = cluster.provider(1).chunkKey(stray, 0);
        bucket().putIfAbsent(key, new byte[] {1, 2, 3}, Map.of());

        await().atMost(WAIT).untilAsserted(() -> {
            cluster.node(1).uploadNow();
            assertThat(bucket().head(key)).as("the orphan chunk").isEmpty();
        });
        assertThat(cluster.nodes().stream().mapToLong(CloudClusterFileStorage::deletedOrphanChunks).sum())
                .isPositive();
        assertThat(chunkSegments(prefix)).containsAll(root(prefix).lengths().keySet());
        closeEverything();
        CloudTestCluster fresh = start(dir.resolve("fresh"), group, Duration.ofMillis(500));
        for (Database db : open(fresh)) {
            assertThat(contents(db)).isEqualTo(expected);
        }
    }

    /**
     * A node that joins after the chunks of released segments were deleted starts from the bucket (the logs are
     * purged up to the bucket's mark) and reads every commit: the root object it starts from names no deleted
     * segment.
     */
    @Test
    void aNodeThatJoinsFromTheBucketAfterCollectionReadsEveryCommit() {
        String group = "gc-join-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster cluster = startPurgingLogs(group);
        Database[] dbs = open(cluster);
        workload(dbs, 60);
        Map<Object, Object> expected = contents(dbs[0]);
        collectUntilChunksAreDeleted(cluster, prefix);
        assertThat(chunkSegments(prefix)).isSubsetOf(listed(root(prefix)));

        Database joined = joinFromTheBucket(cluster, Duration.ZERO);
        assertThat(contents(joined)).isEqualTo(expected);
        put(joined, "joined", "yes");
        assertThat(contents(dbs[0])).containsEntry("joined", "yes");
    }

    /**
     * Starts a cluster whose nodes purge their logs every few entries up to the bucket's mark, so that a node that
     * joins starts from the bucket.
     */
    private CloudTestCluster startPurgingLogs(String group) {
        return start(dir.resolve("nodes"), group, Duration.ofMillis(500), id -> bucket(),
                o -> o.withSnapshotInterval(8));
    }

    /** Compacts every node and uploads until the leader deleted released segments' chunks and none is pending. */
    private void collectUntilChunksAreDeleted(CloudTestCluster cluster, String prefix) {
        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            cluster.node(1).uploadNow();
            assertThat(cluster.nodes().stream().mapToLong(CloudClusterFileStorage::deletedSegments).sum())
                    .isPositive();
            assertThat(root(prefix).released()).isEmpty();
        });
    }

    /** Node 4 joins with an empty directory (so it starts from the bucket); its database, with {@code retention}. */
    private Database joinFromTheBucket(CloudTestCluster cluster, Duration retention) {
        CloudClusterFileStorage added = cluster.add(4);
        cluster.reconfigure(1, 1, 2, 3, 4);
        ObjectSpace space = ObjectSpace.builder(added).historyRetention(retention).cacheBytes(1).build();
        spaces.add(space);
        return space.getDatabase("db");
    }

    /**
     * A history view, on a node that started from the bucket, of a version whose segments garbage collection
     * deleted from the bucket: the node's own retention (an hour) reaches the instant, but the version is gone,
     * so {@code db.at} fails with {@link HistoryExpiredException} as on the file cluster (the version's space was
     * given back), never with a plain {@link CorruptionException}, an error of the bucket or the data of another
     * version. For a node that joins the running cluster, for a cluster restored from the bucket alone, and for
     * one restored again before the first restore published a root of its own: its root object is the first
     * one's claim of the older root, which once named no gone segment (they were dropped with the old history's
     * condemnations), so the second restore did not know the deleted segments and the view failed with "no atom".
     */
    @Test
    void aHistoryViewFromTheBucketOfAVersionWhoseSegmentsWereCollectedIsExpiredAfterAJoinAndRestores() {
        String group = "gc-history-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster cluster = startPurgingLogs(group);
        Database[] dbs = open(cluster);
        workload(dbs, 10);
        Instant then = dbs[0].lastCommitTime();
        workload(dbs, 60);
        Map<Object, Object> expected = contents(dbs[0]);
        collectUntilChunksAreDeleted(cluster, prefix);

        Database joined = joinFromTheBucket(cluster, Duration.ofHours(1));
        assertThat(contents(joined)).isEqualTo(expected);
        historyExpired(joined, then);

        closeEverything();
        restoredReadsTheLastVersionAndNoneFrom(dir.resolve("fresh"), group, expected, then);
        closeEverything();
        // the first restore wrote nothing but its claim of the root object: the second one starts from that
        assertThat(root(prefix).term()).as("the root object names no index of the restored history").isNegative();
        restoredReadsTheLastVersionAndNoneFrom(dir.resolve("again"), group, expected, then);
    }

    /**
     * Restores the cluster {@code group} from the bucket with empty directories under {@code base}; every node
     * reads {@code expected}, and its history (retained for an hour) does not reach {@code then}.
     */
    private void restoredReadsTheLastVersionAndNoneFrom(Path base, String group,
            Map<Object, Object> expected, Instant then) {
        CloudTestCluster restored = start(base, group, Duration.ofMillis(500));
        for (int id = 1; id <= 3; id++) {
            ObjectSpace space = ObjectSpace.builder(restored.node(id)).historyRetention(Duration.ofHours(1))
                    .cacheBytes(1).build();
            spaces.add(space);
            Database db = space.getDatabase("db");
            assertThat(contents(db)).isEqualTo(expected);
            historyExpired(db, then);
        }
    }

    /** A view of {@code db} at {@code then} fails with {@link HistoryExpiredException}. */
    private static void historyExpired(Database db, Instant then) {
        assertThatThrownBy(() -> contents(db.at(then))).as("a view at %s", then)
                .isInstanceOf(HistoryExpiredException.class);
    }

    /**
     * A restored cluster's compaction gives up segments its restore entry took from the bucket, and the leader
     * deletes their chunks; then every node crashes and applies its log again from the restore entry. The
     * restore entry brings those segments back, and the condemnations after it, skipped for segments this node
     * had deleted, no longer made them gone: the next root object listed them as live, with no chunk left in the
     * bucket (found by the fault harness, seed 7007 with {@code WIPE_ALL}). Every segment the root object lists
     * must have its bytes in the bucket, and none of those the nodes deleted may be listed.
     */
    @Test
    void aRestoredClusterThatAppliesItsLogAgainListsNoCollectedSegmentAsLive() throws IOException {
        String group = "gc-replay-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudTestCluster first = start(dir.resolve("first"), group, Duration.ofMillis(500));
        workload(open(first), 30);
        first.node(1).uploadNow();
        Set<Long> restoredSegments = root(prefix).lengths().keySet();
        closeEverything();

        CloudTestCluster restored = start(dir.resolve("restored"), group, Duration.ofMillis(500));
        Database[] dbs = open(restored);
        workload(dbs, 30);
        collectUntilChunksAreDeleted(restored, prefix);
        Set<Long> deleted = new TreeSet<>();
        restored.nodes().forEach(n -> deleted.addAll(n.node().deletedSegments()));
        assertThat(deleted).as("segments of the restore entry deleted on the nodes")
                .containsAnyElementsOf(restoredSegments);
        Map<Object, Object> expected = contents(dbs[0]);
        spaces.forEach(ObjectSpace::close);
        spaces.clear();
        for (int id = 1; id <= 3; id++) {
            restored.crash(id);
            // as SIGKILL leaves the directory: no snapshot taken on the way down (the crash in this JVM lets Ratis
            // take one), so the node applies its log again from the restore entry
            try (Stream<Path> files = Files.walk(restored.directory(id))) {
                for (Path snapshot : files.filter(f -> f.getFileName().toString().startsWith("snapshot.")).toList()) {
                    Files.delete(snapshot);
                }
            }
        }
        for (int id = 1; id <= 3; id++) {
            restored.restart(id);
        }
        Database[] again = open(restored);
        assertThat(contents(again[1])).isEqualTo(expected);
        put(again[1], "after", "restart");
        restored.node(1).uploadNow();
        RootObject root = root(prefix);
        assertThat(root.lengths().keySet()).as("live segments of the root object").doesNotContainAnyElementsOf(
                deleted);
        Set<Long> inBucket = chunkSegments(prefix);
        root.lengths().forEach((id, length) -> assertThat(length == 0 || inBucket.contains(id))
                .as("segment %d (length %d) the root object lists has chunks in the bucket", id, length).isTrue());
    }

    /**
     * A leader deposed in the middle of its upload (its root-object update held back while leadership moves on)
     * deletes nothing, neither while held nor once its update is refused; the new leader takes the released list
     * over from the root object and deletes the chunks after the grace. On {@link MockS3Client}, whose conditional
     * writes are atomic (the in-process S3 server's are not under races).
     */
    @Test
    @ExpectedWarnings(value = CloudClusterFileStorage.class, messages = "stopped uploading")
    void aDeposedLeaderDeletesNothingAndTheNewLeaderCollectsWhatWasReleased() throws Exception {
        MockS3Client bucket = new MockS3Client();
        String group = "gc-fence-" + UUID.randomUUID();
        String prefix = group + "/";
        Map<Integer, HeldRootStore> stores = new HashMap<>();
        CloudTestCluster cluster = start(dir.resolve("nodes"), group, Duration.ofMillis(500),
                id -> stores.computeIfAbsent(id, i -> new HeldRootStore(bucket, WAIT)));
        Database[] dbs = open(cluster);
        workload(dbs, 40);
        // the leader's root object releases segments (the grace then lets it delete their chunks)
        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            cluster.node(1).uploadNow();
            assertThat(cluster.nodes().stream().mapToLong(CloudClusterFileStorage::deletedSegments).sum()
                    + root(bucket, prefix).released().size()).isPositive();
        });
        CloudClusterFileStorage deposed = cluster.leader();
        int deposedId = cluster.idOf(deposed);
        HeldRootStore held = stores.get(deposedId);
        // more garbage, released by the deposed leader's held root update or by its successor
        held.holdRootUpdates();
        Database viaDeposed = dbs[deposedId - 1];
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> put(viaDeposed, "big0", large(4711)));
        assertThat(held.awaitHeld()).as("the leader's root update is under way").isTrue();
        long deletesWhenHeld = held.deletes();
        await().atMost(WAIT).until(() -> {
            if (deposed.isLeader()) {
                deposed.node().transferLeadershipIfLeading();
            }
            CloudClusterFileStorage now = cluster.leader();
            return now != null && now != deposed;
        });
        CloudClusterFileStorage successor = cluster.leader();
        commit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Map<Object, Object> expected = contents(dbs[0]);

        // the successor releases and deletes, after the grace, with the deposed leader still held
        await().atMost(WAIT).untilAsserted(() -> {
            compactEverywhere(cluster);
            successor.uploadNow();
            assertThat(successor.deletedSegments()).as("deleted by the successor").isPositive();
            assertThat(root(bucket, prefix).released()).isEmpty();
        });
        held.release();
        await().atMost(WAIT).until(() -> deposed.fencing().isPresent());
        assertThat(deposed.fencing().orElseThrow()).contains("leader of a later term");
        assertThat(held.deletes()).as("objects the deposed leader deleted since it was held")
                .isEqualTo(deletesWhenHeld);

        // what the bucket holds is what its root object lists, and every node reads every commit
        RootObject root = root(bucket, prefix);
        assertThat(chunkSegments(bucket, prefix)).isSubsetOf(listed(root));
        for (Database db : dbs) {
            assertThat(contents(db)).isEqualTo(expected);
        }
    }
}
