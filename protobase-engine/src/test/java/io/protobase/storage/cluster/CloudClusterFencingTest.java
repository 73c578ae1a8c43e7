package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.RootObject;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader that stalls in the middle of its upload (its root-object PUT held back, as a paused process or
 * a slow link would) while leadership moves on: the new leader claims the root object under its later
 * term and uploads from its own replicated copy; the stalled leader's root update, once it goes out, is
 * refused and it stops uploading. Runs on {@link MockS3Client}, whose conditional writes are atomic (the
 * in-process S3 server's are not under races).
 */
@Tag("slow")
class CloudClusterFencingTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @ExpectedWarnings(value = CloudClusterFileStorage.class, messages = "stopped uploading")
    void aDeposedLeadersRootUpdateIsRefusedAndTheNewLeaderUploadsFromItsOwnCopy() throws Exception {
        MockS3Client bucket = new MockS3Client();
        String group = "fence-" + UUID.randomUUID();
        String prefix = group + "/";
        Map<Integer, HeldRootStore> stores = new HashMap<>();
        CloudFileStorage.Options cloud = CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(100))
                .withCommitTimeout(Duration.ofSeconds(30)).withCloseTimeout(Duration.ofSeconds(5));
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir, prefix,
                id -> stores.computeIfAbsent(id, i -> new HeldRootStore(bucket, WAIT)), cloud)) {
            TestCluster.commit(cluster.node(1), "first".getBytes(StandardCharsets.UTF_8));
            cluster.node(1).uploadNow();
            await().atMost(WAIT).until(() -> cluster.leader() != null);
            CloudClusterFileStorage deposed = cluster.leader();
            int deposedId = cluster.idOf(deposed);
            RootObject before = root(bucket, prefix);
            assertThat(before.writer()).startsWith("node-" + deposedId + "-");

            stores.get(deposedId).holdRootUpdates();
            AtomPointer second = TestCluster.commit(deposed, "second".getBytes(StandardCharsets.UTF_8));
            assertThat(stores.get(deposedId).awaitHeld()).as("the leader's root update is under way").isTrue();
            // leadership moves on while the root update is held back (a transfer can be turned down while the
            // successor catches up: asked again until another node leads)
            await().atMost(WAIT).until(() -> {
                if (deposed.isLeader()) {
                    deposed.node().transferLeadershipIfLeading();
                }
                CloudClusterFileStorage now = cluster.leader();
                return now != null && now != deposed;
            });
            CloudClusterFileStorage successor = cluster.leader();

            // the successor claimed the root object under its later term and uploaded the second commit itself
            await().atMost(WAIT).until(() -> second.equals(root(bucket, prefix).root()));
            RootObject after = root(bucket, prefix);
            assertThat(after.writer()).startsWith("node-" + cluster.idOf(successor) + "-");
            assertThat(after.epoch()).isGreaterThan(before.epoch());

            stores.get(deposedId).release();
            await().atMost(WAIT).until(() -> deposed.fencing().isPresent());
            assertThat(deposed.fencing().orElseThrow()).contains("leader of a later term");
            assertThat(deposed.isFencedForGood()).as("deposed for its term only").isFalse();
            RootObject last = root(bucket, prefix);
            assertThat(last.writer()).isEqualTo(after.writer());
            assertThat(last.root()).isEqualTo(second);

            // every chunk holds exactly the replicated bytes at its key, whichever leader put it
            for (String key : bucket.keys()) {
                if (!key.startsWith(prefix + "segments/")) {
                    continue;
                }
                String[] parts = key.substring((prefix + "segments/").length()).split("/");
                long segment = Long.parseUnsignedLong(parts[0], 16);
                long offset = Long.parseUnsignedLong(parts[1], 16);
                byte[] data = bucket.get(key).orElseThrow().data();
                assertThat(data).as(key).isEqualTo(successor.node().replica().readRaw(segment, offset, data.length));
            }
            assertThat(successor.read(successor.readRoot())).isEqualTo("second".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static RootObject root(MockS3Client bucket, String prefix) {
        return RootObject.parse(bucket.get(prefix + "root").orElseThrow().data(), prefix + "root");
    }
}
