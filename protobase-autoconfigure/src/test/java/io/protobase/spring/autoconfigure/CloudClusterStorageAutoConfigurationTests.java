package io.protobase.spring.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.protobase.Database;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.spring.autoconfigure.metrics.ProtoBaseMetricsAutoConfiguration;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ReadConsistency;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static io.protobase.spring.autoconfigure.ClusterStorageAutoConfigurationTests.freePort;
import static io.protobase.spring.autoconfigure.ClusterStorageAutoConfigurationTests.startupFailure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code protobase.storage.type=cloud-cluster}: the cloud and cluster keys reach the node, the bucket comes
 * from Spring Cloud AWS's {@code S3Client} (an S3Proxy server started by the test) or the application's
 * {@code ObjectStore}, health and meters show the Raft and the upload state, and what cannot work fails the
 * startup naming the key or the missing artifacts. A group of one node elects itself, so these tests need
 * no other process.
 */
@ExpectedWarnings(loggers = { "org.springframework.context", "org.apache.ratis",
        "io.protobase.storage.cluster.CloudClusterFileStorage" })
class CloudClusterStorageAutoConfigurationTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(CloudStorageAutoConfigurationTests.SPRING_CLOUD_AWS)
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, ProtoBaseAutoConfiguration.class,
                    ProtoBaseHealthContributorAutoConfiguration.class, ProtoBaseMetricsAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class);

    /** ProtoBase alone, for the failures found before anything reaches S3. */
    private final ApplicationContextRunner plain = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class));

    /** A node of a one-node cloud cluster on the S3Proxy bucket, listening on {@code port}. */
    private ApplicationContextRunner oneNode(int port, String... more) {
        return runner.withPropertyValues("protobase.storage.type=cloud-cluster",
                        "protobase.storage.cloud.bucket=" + S3.bucket(),
                        "protobase.storage.cloud.prefix=app-" + System.nanoTime(),
                        "protobase.storage.cloud.cache-dir=" + dir.resolve("node-1"),
                        "protobase.storage.cloud.upload-interval=100ms",
                        "protobase.storage.cluster.node-id=1", "protobase.storage.cluster.peers=1@127.0.0.1:" + port,
                        "protobase.storage.cluster.election-timeout=300ms")
                .withPropertyValues(CloudStorageAutoConfigurationTests.springCloudAws(S3)).withPropertyValues(more);
    }

    private static Health health(ApplicationContext context) {
        return ((HealthIndicator) context.getBean("protobaseHealthIndicator")).health(true);
    }

    private static void write(ApplicationContext context, String name, Object value) {
        context.getBean(Database.class).write(tx -> {
            tx.setRootObject(name, value);
            return null;
        });
    }

    @Test
    void theCloudAndClusterKeysReachTheNodeWhichUploadsAndReportsInHealthAndMeters() {
        int port = freePort();
        String prefix = "kept-" + System.nanoTime();
        oneNode(port, "protobase.storage.cloud.prefix=" + prefix, "protobase.storage.cloud.durability=sync",
                "protobase.storage.cloud.object-size=1MB", "protobase.storage.cloud.max-backlog=64MB",
                "protobase.storage.cloud.upload-interval=150ms", "protobase.storage.cloud.gc-grace=15m",
                "protobase.storage.cluster.group-name=shop",
                "protobase.storage.cluster.request-timeout=20s", "protobase.storage.cluster.retries=7",
                "protobase.storage.cluster.read-consistency=local", "protobase.storage.cluster.segment-size=8MB",
                "protobase.storage.cluster.snapshot-interval=500").run(context -> {
                    assertThat(context).hasNotFailed();
                    CloudClusterFileStorage storage = (CloudClusterFileStorage) context.getBean(SharedStorage.class);
                    CloudFileStorage.Options cloud = storage.cloudOptions();
                    assertThat(cloud.durability()).isEqualTo(CloudFileStorage.Durability.SYNC);
                    assertThat(cloud.uploadInterval()).isEqualTo(Duration.ofMillis(150));
                    assertThat(cloud.maxBacklog()).isEqualTo(64L * 1024 * 1024);
                    assertThat(cloud.gcGrace()).isEqualTo(Duration.ofMinutes(15));
                    CloudBlockProvider provider = storage.provider();
                    assertThat(provider.prefix()).isEqualTo(prefix + "/");
                    assertThat(provider.objectSize()).isEqualTo(1024 * 1024);
                    assertThat(provider.cacheDirectory()).isEqualTo(dir.resolve("node-1").toAbsolutePath());
                    assertThat(provider.store().describe()).contains(S3.bucket());
                    ClusterFileStorage.Options cluster = storage.clusterOptions();
                    assertThat(cluster.self()).isEqualTo(new ClusterPeer(1, "127.0.0.1", port));
                    assertThat(cluster.groupName()).isEqualTo("shop");
                    assertThat(cluster.electionTimeout()).isEqualTo(Duration.ofMillis(300));
                    assertThat(cluster.requestTimeout()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(cluster.retries()).isEqualTo(7);
                    assertThat(cluster.readConsistency()).isEqualTo(ReadConsistency.LOCAL);
                    assertThat(cluster.segmentSize()).isEqualTo(8L * 1024 * 1024);
                    assertThat(cluster.snapshotInterval()).isEqualTo(500);

                    // sync: the commit returns once the bucket's root object names it
                    write(context, "greeting", "hello");
                    assertThat(storage.uploadBacklogBytes()).isZero();
                    assertThat(S3.client().headObject(b -> b.bucket(S3.bucket()).key(prefix + "/root"))).isNotNull();

                    Health health = await().atMost(WAIT).until(() -> health(context),
                            h -> Status.UP.equals(h.getStatus()));
                    assertThat(health.getDetails()).containsEntry("type", "cloud-cluster")
                            .containsEntry("role", "leader").containsEntry("quorum", true)
                            .containsEntry("durability", "sync").containsEntry("uploadBacklogBytes", 0L)
                            .containsEntry("bucketReachable", true).containsEntry("pendingSegmentDeletions", 0)
                            .containsKeys("uploadLag", "uploadBacklogEntries", "term", "peers");
                    assertThat((Long) health.getDetails().get("uploadedIndex")).isPositive();

                    MeterRegistry meters = context.getBean(MeterRegistry.class);
                    assertThat(meters.get("protobase.cluster.role").tag("role", "leader").gauge().value()).isEqualTo(1);
                    assertThat(meters.get("protobase.cluster.quorum").gauge().value()).isEqualTo(1);
                    assertThat(meters.get("protobase.cloud.upload.backlog").gauge().value()).isZero();
                    assertThat(meters.get("protobase.cloud.upload.lag").timeGauge()).isNotNull();
                    assertThat(meters.get("protobase.cloud.upload.index").gauge().value()).isPositive();
                    assertThat(meters.get("protobase.cloud.gc.pending").gauge().value()).isZero();
                    assertThat(meters.get("protobase.cloud.requests").tag("method", "put").functionCounter().count())
                            .isPositive();
                    assertThat(meters.get("protobase.cloud.upload.bytes").functionCounter().count()).isPositive();
                });
        // a new cluster on empty disks (another cache-dir) starts from the bucket alone
        oneNode(freePort(), "protobase.storage.cloud.prefix=" + prefix,
                "protobase.storage.cloud.cache-dir=" + dir.resolve("new-disk"),
                "protobase.storage.cluster.group-name=shop").run(context -> {
                    assertThat(context).hasNotFailed();
                    Object greeting = context.getBean(Database.class).read(tx -> tx.getRootObject("greeting"));
                    assertThat(greeting).isEqualTo("hello");
                });
    }

    @Test
    void withSyncDurabilityHealthIsDownWhileTheBucketTakesNoUploadsAndUpAgainAfter() {
        MockS3Client mock = new MockS3Client();
        oneNode(freePort(), "protobase.storage.cloud.bucket=any",
                "protobase.storage.cloud.durability=sync").withBean(ObjectStore.class, () -> mock).run(context -> {
                    assertThat(context).hasNotFailed();
                    write(context, "before", 1);
                    await().atMost(WAIT).until(() -> health(context), h -> Status.UP.equals(h.getStatus()));
                    mock.setDown(true);
                    // a sync commit waits for the bucket; it returns once the bucket is back
                    CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> write(context, "during", 2));
                    Health down = await().atMost(WAIT).until(() -> health(context),
                            h -> Status.DOWN.equals(h.getStatus()));
                    assertThat(down.getDetails()).containsEntry("bucketReachable", false)
                            .containsKey("lastUploadError");
                    assertThat((String) down.getDetails().get("reason")).contains("durability is sync")
                            .contains("commits fail");
                    assertThat((Long) down.getDetails().get("uploadBacklogBytes")).isPositive();
                    mock.setDown(false);
                    waiting.join();
                    await().atMost(WAIT).until(() -> health(context), h -> Status.UP.equals(h.getStatus())
                            && Boolean.TRUE.equals(h.getDetails().get("bucketReachable")));
                });
    }

    @Test
    void withAsyncDurabilityAnUnreachableBucketLeavesHealthUpWithTheError() {
        MockS3Client mock = new MockS3Client();
        oneNode(freePort(), "protobase.storage.cloud.bucket=any")
                .withBean(ObjectStore.class, () -> mock).run(context -> {
                    assertThat(context).hasNotFailed();
                    write(context, "before", 1);
                    mock.setDown(true);
                    // async: the commit returns once a majority (here the one node) has it
                    write(context, "during", 2);
                    Health health = await().atMost(WAIT).until(() -> health(context),
                            h -> h.getDetails().containsKey("lastUploadError"));
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails()).containsEntry("durability", "async")
                            .containsEntry("bucketReachable", false);
                    assertThat((Long) health.getDetails().get("uploadBacklogBytes")).isPositive();
                    assertThat((Long) health.getDetails().get("uploadBacklogEntries")).isPositive();
                    mock.setDown(false);
                    await().atMost(WAIT).until(() -> health(context),
                            h -> Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
                });
    }

    @Test
    void pastMaxBacklogHealthIsDownAsCommitsWouldWaitAndUpOnceTheUploadsCatchUp() {
        MockS3Client mock = new MockS3Client();
        oneNode(freePort(), "protobase.storage.cloud.bucket=any", "protobase.storage.cloud.max-backlog=1B")
                .withBean(ObjectStore.class, () -> mock).run(context -> {
                    write(context, "before", 1);
                    await().atMost(WAIT).until(() -> health(context),
                            h -> Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
                    mock.setDown(true);
                    // the backlog is empty, so this commit is taken; the next would wait for room
                    write(context, "during", 2);
                    Health down = await().atMost(WAIT).until(() -> health(context),
                            h -> Status.DOWN.equals(h.getStatus()));
                    assertThat((String) down.getDetails().get("reason")).contains("exceeds max-backlog (1 bytes)")
                            .contains("commits wait");
                    mock.setDown(false);
                    await().atMost(WAIT).until(() -> health(context), h -> Status.UP.equals(h.getStatus()));
                });
    }

    @Test
    void aNodeFencedForGoodByANewerGenerationIsDownSayingWhy() {
        MockS3Client mock = new MockS3Client();
        String[] shop = { "protobase.storage.cloud.bucket=any", "protobase.storage.cloud.prefix=shop",
                "protobase.storage.cluster.group-name=shop" };
        oneNode(freePort(), shop).withBean(ObjectStore.class, () -> mock).run(old -> {
            write(old, "before", 1);
            await().atMost(WAIT).until(() -> health(old),
                    h -> Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
            // a second cluster with the same id on empty disks restores the bucket as a newer generation
            oneNode(freePort(), shop).withPropertyValues("protobase.storage.cloud.cache-dir=" + dir.resolve("new"))
                    .withBean(ObjectStore.class, () -> mock).run(restored -> {
                        write(restored, "restored", 2);
                        // the newer generation claims the root object in its upload loop: once it uploaded, the
                        // old cluster's next upload finds it (were the old one first, the newer generation would
                        // find the bucket moved on past the root it restored and refuse it instead)
                        await().atMost(WAIT).until(() -> health(restored),
                                h -> Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
                        // the old cluster's next upload finds the newer generation's root object
                        write(old, "after", 3);
                        Health fenced = await().atMost(WAIT).until(() -> health(old),
                                h -> Status.DOWN.equals(h.getStatus()));
                        assertThat(fenced.getDetails()).containsEntry("fenced", true).containsKey("action");
                        assertThat((String) fenced.getDetails().get("reason")).contains("a newer generation")
                                .contains("Commits of this cluster are refused");
                        assertThat(health(restored).getStatus()).isEqualTo(Status.UP);
                    });
        });
    }

    @Test
    void withoutRatisTheStartupFailsNamingTheArtifactsToAdd() {
        FailureAnalysis analysis = startupFailure(oneNode(freePort())
                .withClassLoader(new FilteredClassLoader("org.apache.ratis")));
        assertThat(analysis.getDescription()).contains("protobase.storage.type=cloud-cluster").contains("Apache Ratis")
                .doesNotContain("AWS SDK");
        assertThat(analysis.getAction()).contains("org.apache.ratis:ratis-server")
                .contains("org.apache.ratis:ratis-grpc").contains("org.apache.ratis:ratis-metrics-dropwizard3");
    }

    @Test
    void withoutRatisAndTheAwsSdkTheStartupFailsNamingBoth() {
        ApplicationContextRunner bare = plain
                .withClassLoader(new FilteredClassLoader("org.apache.ratis", "software.amazon.awssdk", "io.awspring"))
                .withPropertyValues("protobase.storage.type=cloud-cluster", "protobase.storage.cloud.bucket=b",
                        "protobase.storage.cloud.cache-dir=" + dir.resolve("c"), "protobase.storage.cluster.node-id=1",
                        "protobase.storage.cluster.peers=1@127.0.0.1:9871");
        FailureAnalysis analysis = startupFailure(bare);
        assertThat(analysis.getDescription()).contains("Apache Ratis").contains("the AWS SDK for S3");
        assertThat(analysis.getAction()).contains("org.apache.ratis:ratis-server")
                .contains("io.awspring.cloud:spring-cloud-aws-starter-s3").contains("ObjectStore bean");
    }

    @Test
    void withoutPeersAndWithoutHazelcastOnTheClasspathACloudClusterNodeFailsNamingTheDependency() {
        FailureAnalysis analysis = startupFailure(oneNode(ClusterStorageAutoConfigurationTests.freePort())
                .withPropertyValues("protobase.storage.cluster.peers=")
                .withClassLoader(new FilteredClassLoader("com.hazelcast")));
        assertThat(analysis.getDescription()).contains("protobase.storage.cluster.peers is not set")
                .contains("com.hazelcast:hazelcast");
        assertThat(analysis.getAction()).contains("Add com.hazelcast:hazelcast")
                .contains("protobase.storage.cluster.peers");
    }

    @Test
    void aCloudClusterWithoutABucketOrANodeIdFailsNamingTheKey() {
        FailureAnalysis noBucket = startupFailure(plain.withPropertyValues("protobase.storage.type=cloud-cluster",
                "protobase.storage.cluster.node-id=1", "protobase.storage.cluster.peers=1@127.0.0.1:9871"));
        assertThat(noBucket.getDescription()).contains("'protobase.storage.cloud.bucket'")
                .contains("the cloud-cluster storage needs a bucket");
        FailureAnalysis noNodeId = startupFailure(plain.withPropertyValues("protobase.storage.type=cloud-cluster",
                "protobase.storage.cloud.bucket=b", "protobase.storage.cluster.peers=1@127.0.0.1:9871"));
        assertThat(noNodeId.getDescription()).contains("'protobase.storage.cluster.node-id'");
    }

    @Test
    void aClusterPathFailsSayingWhereACloudClusterNodeKeepsItsLog() {
        FailureAnalysis analysis = startupFailure(oneNode(freePort(),
                "protobase.storage.cluster.path=" + dir.resolve("raft")));
        assertThat(analysis.getDescription()).contains("protobase.storage.cluster.path is set")
                .contains("protobase.storage.cloud.cache-dir");
        assertThat(analysis.getAction()).contains("Remove protobase.storage.cluster.path");
    }

    @Test
    void aPrefixHoldingACloudStoragesDatabaseIsRefusedNamingThePrefixKey() {
        MockS3Client mock = new MockS3Client();
        CloudBlockProvider taken = new CloudBlockProvider(mock, "taken", dir.resolve("single"));
        try (CloudFileStorage single = new CloudFileStorage(taken, CloudFileStorage.Options.defaults())) {
            assertThat(single.describe()).contains("taken");
        }
        FailureAnalysis analysis = startupFailure(oneNode(freePort(),
                "protobase.storage.cloud.prefix=taken").withBean(ObjectStore.class, () -> mock));
        assertThat(analysis.getDescription()).contains("protobase.storage.type=cloud-cluster")
                .contains("single-node cloud storage");
        assertThat(analysis.getAction()).contains("protobase.storage.cloud.prefix");
    }
}
