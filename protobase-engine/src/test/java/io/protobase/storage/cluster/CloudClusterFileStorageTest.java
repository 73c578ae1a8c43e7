package io.protobase.storage.cluster;

import io.protobase.PrefixInUseException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Three real Ratis nodes on 127.0.0.1 shipping their replicated segments to the in-process S3 server
 * (S3Proxy over HTTP): the leader uploads, the bucket alone restores a brand-new cluster with empty
 * disks, a second cluster on the same prefix is refused, and {@code async} commits go on through an S3
 * outage until {@code max-backlog}.
 */
@Tag("slow")
class CloudClusterFileStorageTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();
    /** Retries as the AWS SDK's standard mode does, with a bound per call, so that an outage shows through. */
    private static S3Client client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startClient() {
        client = S3ProxyServer.outageVisibleClient(S3.server().endpoint(), Duration.ofSeconds(5));
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private static ObjectStore bucket() {
        return new S3ObjectStore(client, S3.bucket());
    }

    private static CloudFileStorage.Options options(CloudFileStorage.Durability durability) {
        return CloudFileStorage.Options.defaults().withDurability(durability).withUploadInterval(Duration.ofMillis(100))
                .withCommitTimeout(Duration.ofSeconds(30)).withCloseTimeout(Duration.ofSeconds(10));
    }

    private static RootObject rootObject(String prefix) {
        return bucket().get(prefix + "root").map(o -> RootObject.parse(o.data(), prefix + "root")).orElseThrow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void syncCommitsAreInTheBucketWhenAcknowledgedAndABrandNewClusterWithEmptyDisksStartsFromTheBucket() {
        String group = "dr-" + UUID.randomUUID();
        String prefix = group + "/";
        List<AtomPointer> committed = new ArrayList<>();
        try (CloudTestCluster first = CloudTestCluster.start(3, group, dir.resolve("first"), prefix, id -> bucket(),
                options(CloudFileStorage.Durability.SYNC))) {
            for (int i = 0; i < 12; i++) {
                CloudClusterFileStorage node = first.node(1 + i % 3);
                committed.add(TestCluster.commit(node, bytes("value-" + i)));
                // acknowledged with durability=sync: the bucket's root object already names it
                assertThat(rootObject(prefix).root()).isEqualTo(committed.get(i));
            }
            RootObject root = rootObject(prefix);
            CloudClusterFileStorage leader = first.leader();
            assertThat(root.cluster()).isEqualTo(group);
            assertThat(leader).isNotNull();
            assertThat(root.writer()).startsWith("node-" + first.idOf(leader) + "-term-");
            // a node learns that the leader's upload covers what it applied when it applies the upload's mark, which
            // may come after the acknowledgement
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(first.nodes()).allSatisfy(n -> assertThat(n.uploadBacklogBytes()).isZero()));
        }
        try (CloudTestCluster fresh = CloudTestCluster.start(3, group, dir.resolve("fresh"), prefix, id -> bucket(),
                options(CloudFileStorage.Durability.SYNC))) {
            for (CloudClusterFileStorage node : fresh.nodes()) {
                assertThat(node.read(node.readRoot())).isEqualTo(bytes("value-11"));
                // the restored state is the bucket's: nothing to wait for (it waited for the commit timeout, then
                // failed, as no mark comes before the next commit)
                node.uploadNow();
                node.flush();
            }
            for (int i = 0; i < committed.size(); i++) {
                assertThat(fresh.node(2).read(committed.get(i))).isEqualTo(bytes("value-" + i));
            }
            AtomPointer next = TestCluster.commit(fresh.node(3), bytes("after-restore"));
            RootObject root = rootObject(prefix);
            assertThat(root.root()).isEqualTo(next);
            assertThat(root.epoch() >>> 32).as("generation of the restored cluster").isEqualTo(2);
        }
    }

    @Test
    void afterTheLeaderCrashesTheNextLeaderUploadsFromItsOwnCopyAndTheBucketMissesNoAcknowledgedCommit() {
        String group = "crash-" + UUID.randomUUID();
        String prefix = group + "/";
        List<AtomPointer> committed = new ArrayList<>();
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir.resolve("crash"), prefix, id -> bucket(),
                options(CloudFileStorage.Durability.SYNC))) {
            for (int i = 0; i < 5; i++) {
                committed.add(TestCluster.commit(cluster.node(1 + i % 3), bytes("before-" + i)));
            }
            await().atMost(WAIT).until(() -> cluster.leader() != null);
            CloudClusterFileStorage crashed = cluster.leader();
            long epochBefore = rootObject(prefix).epoch();
            cluster.crash(cluster.idOf(crashed));
            List<CloudClusterFileStorage> survivors = cluster.nodes();
            for (int i = 0; i < 5; i++) {
                committed.add(TestCluster.commit(survivors.get(i % 2), bytes("after-" + i)));
            }
            RootObject root = rootObject(prefix);
            assertThat(root.epoch()).as("the next leader's term").isGreaterThan(epochBefore);
            assertThat(root.root()).isEqualTo(committed.get(committed.size() - 1));
        }
        try (CloudTestCluster fresh = CloudTestCluster.start(3, group, dir.resolve("crash-fresh"), prefix,
                id -> bucket(), options(CloudFileStorage.Durability.SYNC))) {
            CloudClusterFileStorage node = fresh.node(1);
            assertThat(node.read(node.readRoot())).isEqualTo(bytes("after-4"));
            for (int i = 0; i < 10; i++) {
                assertThat(node.read(committed.get(i))).isEqualTo(bytes((i < 5 ? "before-" : "after-") + (i % 5)));
            }
        }
    }

    @Test
    void aNodeRestartedAfterSnapshotsKnowsHowFarTheBucketIsAndUploadsGoOn() {
        String group = "snap-" + UUID.randomUUID();
        String prefix = group + "/";
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir.resolve("snap"), prefix, id -> bucket(),
                options(CloudFileStorage.Durability.ASYNC), o -> o.withSnapshotInterval(8))) {
            for (int i = 0; i < 30; i++) {
                TestCluster.commit(cluster.node(1 + i % 3), bytes("value-" + i));
            }
            cluster.node(1).uploadNow();
            await().atMost(WAIT).until(() -> !snapshotFilesUnder(dir.resolve("snap").resolve("node-3")).isEmpty());
            long uploaded = cluster.node(3).uploadedIndex();
            cluster.crash(3);
            CloudClusterFileStorage restarted = cluster.restart(3);
            // its snapshot and the log after it bring back the marks: the uploaded one at least as new as before
            await().atMost(WAIT).until(() -> restarted.uploadedIndex() >= uploaded);
            assertThat(restarted.read(restarted.readRoot())).isEqualTo(bytes("value-29"));
            AtomPointer last = TestCluster.commit(restarted, bytes("after-restart"));
            restarted.uploadNow();
            assertThat(rootObject(prefix).root()).isEqualTo(last);
            assertThat(restarted.uploadBacklogBytes()).isZero();
        }
    }

    private static List<Path> snapshotFilesUnder(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(p -> p.getFileName().toString().startsWith("snapshot.")).toList();
        }
    }

    @Test
    void aSecondClusterOrACloudStorageOnTheSamePrefixIsRefused() {
        String group = "owner-" + UUID.randomUUID();
        String prefix = group + "/";
        try (CloudTestCluster owner = CloudTestCluster.start(1, group, dir.resolve("owner"), prefix, id -> bucket(),
                options(CloudFileStorage.Durability.SYNC))) {
            TestCluster.commit(owner.node(1), bytes("mine"));
            assertThatThrownBy(() -> CloudTestCluster.start(1, "intruder", dir.resolve("intruder"), prefix,
                    id -> bucket(), options(CloudFileStorage.Durability.SYNC)))
                    .isInstanceOf(PrefixInUseException.class)
                    .hasMessageContaining("cloud cluster '" + group + "'")
                    .hasMessageContaining("nothing was written");
            assertThatThrownBy(() -> new CloudFileStorage(new CloudBlockProvider(bucket(), prefix,
                    dir.resolve("single")), options(CloudFileStorage.Durability.ASYNC)))
                    .isInstanceOf(PrefixInUseException.class)
                    .hasMessageContaining("cloud cluster '" + group + "'");
            assertThat(rootObject(prefix).cluster()).isEqualTo(group);
            assertThat(owner.node(1).read(owner.node(1).readRoot())).isEqualTo(bytes("mine"));
        }
    }

    @Test
    @ExpectedWarnings(value = CloudClusterFileStorage.class, messages = {"retrying", "is unreachable"})
    void aNodeRestartedOnItsDirectoryOpensWhileS3IsDownButANodeWithANewDirectoryIsRefused() {
        String group = "reopen-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudFileStorage.Options cloud = options(CloudFileStorage.Durability.ASYNC)
                .withCommitTimeout(Duration.ofSeconds(2));
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir.resolve("reopen"), prefix,
                id -> bucket(), cloud)) {
            TestCluster.commit(cluster.node(1), bytes("before"));
            cluster.node(1).uploadNow();
            cluster.crash(3);
            S3.server().stop();
            AtomPointer during;
            CloudClusterFileStorage restarted;
            try {
                // its directory holds its state: it opens without the bucket, and commits go on with async
                restarted = cluster.restart(3);
                during = TestCluster.commit(restarted, bytes("during"));
                assertThat(restarted.read(restarted.readRoot())).isEqualTo(bytes("during"));
                ClusterFileStorage.Options newNode = ClusterFileStorage.Options.of(4,
                        List.of(new ClusterPeer(4, "127.0.0.1", TestCluster.freePort()))).withGroupName(group);
                assertThatThrownBy(() -> new CloudClusterFileStorage(new CloudBlockProvider(bucket(), prefix,
                        dir.resolve("new-node")), newNode, cloud))
                        .isInstanceOf(StorageUnavailableException.class)
                        .hasMessageContaining("its directory is new")
                        .hasMessageContaining("open it once the bucket is reachable");
            } finally {
                S3.server().start();
            }
            restarted.uploadNow();
            assertThat(rootObject(prefix).root()).isEqualTo(during);
        }
    }

    @Test
    @ExpectedWarnings(value = CloudClusterFileStorage.class, messages = "retrying")
    void asyncCommitsContinueWhileS3IsDownUntilMaxBacklogAndTheBacklogDrainsWhenItIsBack() {
        String group = "outage-" + UUID.randomUUID();
        String prefix = group + "/";
        CloudFileStorage.Options cloud = options(CloudFileStorage.Durability.ASYNC).withMaxBacklog(16 * 1024)
                .withCommitTimeout(Duration.ofSeconds(2));
        try (CloudTestCluster cluster = CloudTestCluster.start(3, group, dir.resolve("outage"), prefix,
                id -> bucket(), cloud)) {
            TestCluster.commit(cluster.node(1), bytes("before"));
            cluster.node(1).uploadNow();
            S3.server().stop();
            AtomPointer last;
            try {
                for (int i = 0; i < 4; i++) {
                    TestCluster.commit(cluster.node(1 + i % 3), new byte[1024]);
                }
                for (CloudClusterFileStorage node : cluster.nodes()) {
                    await().atMost(WAIT).until(() -> node.uploadBacklogBytes() > 4 * 1024);
                    assertThat(node.uploadLag()).isPositive();
                }
                await().atMost(WAIT).until(() -> cluster.leader() != null
                        && cluster.leader().lastUploadFailure().isPresent());
                StorageUnavailableException refused = null;
                for (int i = 0; i < 40 && refused == null; i++) {
                    try {
                        TestCluster.commit(cluster.node(2), new byte[2048]);
                    } catch (StorageUnavailableException e) {
                        refused = e;
                    }
                }
                assertThat(refused).as("a commit beyond max-backlog").isNotNull();
                assertThat(refused).hasMessageContaining("exceeds max-backlog");
                assertThat(cluster.node(2).uploadBacklogBytes()).isGreaterThan(16 * 1024);
            } finally {
                S3.server().start();
            }
            for (CloudClusterFileStorage node : cluster.nodes()) {
                await().atMost(WAIT).until(() -> node.uploadBacklogBytes() == 0);
            }
            last = TestCluster.commit(cluster.node(3), bytes("after"));
            cluster.node(3).uploadNow();
            assertThat(rootObject(prefix).root()).isEqualTo(last);
        }
    }
}
