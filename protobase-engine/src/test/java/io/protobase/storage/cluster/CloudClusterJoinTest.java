package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * S3 is the snapshot of a cloud cluster: three real Ratis nodes on 127.0.0.1 upload to the in-process S3
 * server (S3Proxy over HTTP), their Raft logs are purged up to the marks the bucket holds, and nodes that
 * join afterwards (a new one, and one whose disk was wiped, under a new id) start from the bucket's root
 * object: they read every acknowledged commit through their block cache, receive only the log after the
 * bucket's mark from their peers, commit themselves, and survive a crash and restart. A follower that was
 * down while the others purged the entries it lacks catches up from the bucket too.
 */
@Tag("slow")
class CloudClusterJoinTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Bytes of each committed atom: enough for the Raft log to fill and close segments Ratis can purge. */
    private static final int ATOM = 60 * 1024;
    private static final int COMMITS = 120;

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path dir;

    private static ObjectStore bucket() {
        return new S3ObjectStore(S3.client(), S3.bucket());
    }

    private static CloudFileStorage.Options cloud() {
        return CloudFileStorage.Options.defaults().withDurability(CloudFileStorage.Durability.ASYNC)
                .withUploadInterval(Duration.ofMillis(100)).withCommitTimeout(Duration.ofSeconds(30))
                .withCloseTimeout(Duration.ofSeconds(10));
    }

    /** Small entries and frequent snapshots, so that the log rolls its segments and purges them in a test. */
    private static ClusterFileStorage.Options small(ClusterFileStorage.Options o) {
        return o.withMaxEntryBytes(64 * 1024).withSnapshotInterval(8);
    }

    private static byte[] atom(int i) {
        byte[] bytes = new byte[ATOM];
        Arrays.fill(bytes, (byte) i);
        byte[] label = ("value-" + i).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(label, 0, bytes, 0, label.length);
        return bytes;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void assertReadsEverything(CloudClusterFileStorage node, List<AtomPointer> committed) {
        for (int i = 0; i < committed.size(); i++) {
            assertThat(node.read(committed.get(i))).as("commit %d", i).isEqualTo(atom(i));
        }
    }

    /** Commits {@link #COMMITS} atoms round-robin and waits until every node purged its log after an upload. */
    private static List<AtomPointer> loadAndPurge(CloudTestCluster cluster) {
        List<AtomPointer> committed = new ArrayList<>();
        for (int i = 0; i < COMMITS; i++) {
            committed.add(TestCluster.commit(cluster.node(1 + i % 3), atom(i)));
        }
        cluster.node(1).uploadNow();
        long loaded = (long) COMMITS * ATOM;
        for (int id = 1; id <= 3; id++) {
            int n = id;
            // the log before the snapshot (the uploaded mark) is gone: it starts later and holds less than was loaded
            await().atMost(WAIT).until(() -> cluster.raftLog(n).getStartIndex() > 0
                    && cluster.raftLogBytes(n) < loaded);
            assertThat(cluster.raftLog(n).getStartIndex()).isLessThanOrEqualTo(cluster.node(n).uploadedIndex() + 1);
        }
        return committed;
    }

    @Test
    void theRaftLogIsPurgedUpToTheUploadedMarkAndARestartedNodeAppliesTheRestAgain() {
        String group = "purge-" + UUID.randomUUID();
        String prefix = group + "/";
        Path base = dir.resolve("purge");
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, base, prefix, id -> bucket(), cloud(),
                CloudClusterJoinTest::small)) {
            List<AtomPointer> committed = loadAndPurge(cluster);
            RootObject root = bucket().get(prefix + "root").map(o -> RootObject.parse(o.data(), prefix + "root"))
                    .orElseThrow();
            assertThat(root.term()).as("the root object names the term of its mark").isPositive();
            assertThat(root.lastPublished()).isNotEmpty();

            int follower = cluster.leader() == cluster.node(2) ? 3 : 2;
            cluster.crash(follower);
            CloudClusterFileStorage restarted = cluster.restart(follower);
            assertThat(restarted.read(restarted.readRoot())).isEqualTo(atom(COMMITS - 1));
            assertReadsEverything(restarted, committed);
            AtomPointer last = TestCluster.commit(restarted, "after-restart".getBytes(StandardCharsets.UTF_8));
            restarted.uploadNow();
            cluster.node(1).readRoot(); // a linearizable read: node 1 has applied the commit afterwards
            assertThat(cluster.node(1).read(last)).isEqualTo("after-restart".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aFollowerThatWasDownWhileTheLeaderPurgedItsEntriesCatchesUpFromTheBucket() {
        String group = "behind-" + UUID.randomUUID();
        String prefix = group + "/";
        Path base = dir.resolve("behind");
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, base, prefix, id -> bucket(), cloud(),
                CloudClusterJoinTest::small)) {
            List<AtomPointer> committed = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                committed.add(TestCluster.commit(cluster.node(1 + i % 3), atom(i)));
            }
            assertThat(cluster.node(3).read(cluster.node(3).readRoot())).isEqualTo(atom(9));
            long behind = cluster.raftLog(3).getLastEntryTermIndex().getIndex();
            cluster.crash(3);
            for (int i = 10; i < COMMITS; i++) {
                committed.add(TestCluster.commit(cluster.node(1 + i % 2), atom(i)));
            }
            cluster.node(1).uploadNow();
            // both survivors purged their logs past the entries node 3 has
            for (int id = 1; id <= 2; id++) {
                int n = id;
                await().atMost(WAIT).until(() -> cluster.raftLog(n).getStartIndex() > behind + 1);
            }
            CloudClusterFileStorage back = cluster.restart(3);
            assertThat(back.read(back.readRoot())).isEqualTo(atom(COMMITS - 1));
            assertThat(cluster.raftLog(3).getStartIndex()).as("node 3 started from the bucket past its own log")
                    .isGreaterThan(behind + 1);
            assertReadsEverything(back, committed);
            AtomPointer last = TestCluster.commit(back, atom(COMMITS));
            cluster.node(2).readRoot();
            assertThat(cluster.node(2).read(last)).isEqualTo(atom(COMMITS));
        }
    }

    @Test
    void aNewNodeAndAWipedNodeJoinFromTheBucketReceivingOnlyTheLogTailAndSurviveARestart() throws IOException {
        String group = "join-" + UUID.randomUUID();
        String prefix = group + "/";
        Path base = dir.resolve("join");
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, base, prefix, id -> bucket(), cloud(),
                CloudClusterJoinTest::small)) {
            List<AtomPointer> committed = loadAndPurge(cluster);
            long loaded = (long) COMMITS * ATOM;

            // a new node: it starts from the bucket's root and reads the segments through its block cache
            CloudClusterFileStorage added = cluster.add(4);
            cluster.reconfigure(1, 1, 2, 3, 4);
            assertThat(added.read(added.readRoot())).isEqualTo(atom(COMMITS - 1));
            assertReadsEverything(added, committed);
            committed.add(TestCluster.commit(added, atom(COMMITS)));
            cluster.node(1).readRoot();
            assertThat(cluster.node(1).read(committed.get(COMMITS))).isEqualTo(atom(COMMITS));
            assertThat(cluster.raftLogBytes(4)).as("log bytes node 4 received from its peers")
                    .isLessThan(loaded / 10);
            assertThat(cluster.provider(4).fetchedBytes()).as("bytes node 4 fetched from the bucket")
                    .isGreaterThanOrEqualTo(loaded);

            // a node whose disk was wiped comes back under a new id in place of its old one
            cluster.crash(3);
            deleteTree(base.resolve("node-3"));
            CloudClusterFileStorage wiped = cluster.add(5);
            cluster.reconfigure(1, 1, 2, 4, 5);
            assertThat(wiped.read(wiped.readRoot())).isEqualTo(atom(COMMITS));
            assertReadsEverything(wiped, committed);
            committed.add(TestCluster.commit(wiped, atom(COMMITS + 1)));
            assertThat(cluster.raftLogBytes(5)).as("log bytes node 5 received from its peers")
                    .isLessThan(loaded / 10);

            // the node that joined from the bucket crashes and restarts from its own snapshot and log
            cluster.crash(4);
            CloudClusterFileStorage restarted = cluster.restart(4);
            assertThat(restarted.read(restarted.readRoot())).isEqualTo(atom(COMMITS + 1));
            assertReadsEverything(restarted, committed);
            committed.add(TestCluster.commit(restarted, atom(COMMITS + 2)));
            restarted.uploadNow();
            for (CloudClusterFileStorage node : cluster.nodes()) {
                await().atMost(WAIT).until(() -> Arrays.equals(node.read(node.readRoot()), atom(COMMITS + 2)));
            }
        }
    }
}
