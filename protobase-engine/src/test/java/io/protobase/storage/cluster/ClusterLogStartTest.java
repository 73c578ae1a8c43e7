package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A follower whose next entry is the very first one the leader's Raft log holds, while the leader's latest
 * snapshot is at a later index (docs/cluster.md, "How it works"). Apache Ratis 3.2.1's log appender finds the term
 * of the entry before neither in the log nor in that snapshot, and fails before it sends anything; Ratis restarts
 * it, and the new one tells the follower to install a snapshot. A file cluster's follower is then sent the
 * leader's snapshot and recovers, but a cloud cluster's follower starts from the bucket only when it lacks
 * entries before the leader's log: this one lacks none, so it answers that it needs nothing, and the leader fails
 * again, round after round. With {@link StartAwareGrpc} the leader takes the term from the entries it applied.
 *
 * <p>Real Ratis servers on 127.0.0.1 and {@link MockS3Client}. The follower's log is made to end right before the
 * leader's first entry: it stops once everything is uploaded and applied everywhere, the leadership moves to the
 * other follower (the first entry of a term starts a new log segment), whose purge after the next commits drops
 * the segments before it; then the old leader leaves, so the group commits nothing without the follower, and
 * nothing moves the leader's log start.
 */
@Tag("slow")
class ClusterLogStartTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aCloudFollowerWhoseNextEntryIsTheFirstOfTheLeadersLogCatchesUp() {
        String group = "log-start-" + UUID.randomUUID();
        MockS3Client bucket = new MockS3Client();
        CloudFileStorage.Options cloud = CloudFileStorage.Options.defaults()
                .withUploadInterval(Duration.ofMillis(100)).withCommitTimeout(Duration.ofSeconds(60))
                .withCloseTimeout(Duration.ofSeconds(5));
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir, group + "/", id -> bucket, cloud,
                o -> o.withSnapshotInterval(10).withElectionTimeout(TestCluster.STEADY_ELECTION))) {
            commit(cluster, 30, "before");
            cluster.leader().uploadNow();
            // the upload's own entries (its mark, then its confirmation) are in every log and applied on every
            // node (a follower that had not applied its last entry would start from the bucket), and no more come
            AtomicLong lastSeen = new AtomicLong(-1);
            await().atMost(WAIT).during(Duration.ofSeconds(1)).until(() -> {
                List<Long> lasts = cluster.nodes().stream().flatMap(n -> Stream.of(
                        cluster.raftLog(cluster.idOf(n)).getLastEntryTermIndex().getIndex(),
                        n.node().replica().getLastAppliedTermIndex().getIndex())).distinct().toList();
                return cluster.leader() != null && lasts.size() == 1
                        && lastSeen.getAndSet(lasts.get(0)) == lasts.get(0);
            });
            int leader = cluster.idOf(cluster.leader());
            int next = leader == 1 ? 2 : 1;
            int behind = 6 - leader - next;
            long last = cluster.raftLog(behind).getLastEntryTermIndex().getIndex();
            cluster.crash(behind);
            await().atMost(WAIT).until(() -> {
                cluster.node(leader).node().transferLeadershipIfLeading();
                return cluster.node(next).isLeader();
            });
            commit(cluster, 30, "while one follower is down");
            // the bucket holds it all, so the leader purges its log up to its newest snapshot
            cluster.node(next).uploadNow();
            await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.raftLog(next).getStartIndex())
                    .as("the first index of node %d's log (%s)", next, cluster.raftLog(next)).isEqualTo(last + 1));
            assertThat(cluster.raftLog(next).getTermIndex(last)).as("entry %d", last).isNull();
            assertThat(cluster.node(next).node().replica().getLatestSnapshot().getIndex())
                    .as("the leader's latest snapshot").isGreaterThan(last);

            cluster.crash(leader);
            cluster.restart(behind);
            AtomPointer after = commit(cluster, 1, "after the old leader left");
            await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.node(behind).readRoot()).isEqualTo(after));
            assertThat(cluster.node(behind).read(after)).isEqualTo(bytes("after the old leader left 0"));
        }
    }

    /** Commits {@code count} atoms through the running nodes in turn, waiting for a leader; returns the last root. */
    private static AtomPointer commit(CloudTestCluster cluster, int count, String what) {
        AtomPointer root = null;
        for (int i = 0; i < count; i++) {
            await().atMost(WAIT).until(() -> cluster.leader() != null);
            List<CloudClusterFileStorage> running = cluster.nodes();
            root = TestCluster.commit(running.get(i % running.size()), bytes(what + " " + i));
        }
        return root;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
