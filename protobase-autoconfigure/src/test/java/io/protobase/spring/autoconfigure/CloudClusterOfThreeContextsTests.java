package io.protobase.spring.autoconfigure;

import io.awspring.cloud.autoconfigure.core.AwsAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.protobase.Database;
import io.protobase.spring.autoconfigure.ClusterOfThreeContextsTests.Accounts;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.spring.autoconfigure.metrics.ProtoBaseMetricsAutoConfiguration;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.protobase.spring.autoconfigure.ClusterOfThreeContextsTests.health;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three application contexts with {@code protobase.storage.type=cloud-cluster}, each one node of a Raft
 * group on 127.0.0.1, all on one bucket of an S3Proxy server (through Spring Cloud AWS's client), as
 * three instances of an application would run: what one writes in a {@code @Transactional} method
 * another reads, the leader uploads it, and every node's health and meters show the upload state; the
 * health of the nodes that stay follows the ones that leave.
 */
@ExpectedWarnings(loggers = "org.apache.ratis")
class CloudClusterOfThreeContextsTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path dir;

    private final List<ConfigurableApplicationContext> running = new ArrayList<>();

    @AfterEach
    void closeTheNodes() {
        running.parallelStream().forEach(ConfigurableApplicationContext::close);
    }

    /** Starts nodes 1, 2 and 3 at once on {@code prefix}: each waits for a quorum to create its database. */
    private List<ConfigurableApplicationContext> startThreeNodes(String prefix) {
        String peers = ClusterOfThreeContextsTests.localPeers();
        return ClusterOfThreeContextsTests.startThreeNodes(Node.class, running, id -> Stream.concat(Stream.of(
                        "protobase.storage.type=cloud-cluster", "protobase.storage.cloud.bucket=" + S3.bucket(),
                        "protobase.storage.cloud.prefix=" + prefix,
                        "protobase.storage.cloud.cache-dir=" + dir.resolve("node-" + id),
                        "protobase.storage.cloud.upload-interval=200ms",
                        "protobase.storage.cluster.node-id=" + id, "protobase.storage.cluster.peers=" + peers,
                        "protobase.storage.cluster.group-name=accounts",
                        "protobase.storage.cluster.election-timeout=300ms",
                        "protobase.storage.cluster.request-timeout=20s"),
                Stream.of(CloudStorageAutoConfigurationTests.springCloudAws(S3))).toArray(String[]::new));
    }

    private static long uploadedIndex(ConfigurableApplicationContext node) {
        return (Long) health(node).getDetails().get("uploadedIndex");
    }

    private void close(ConfigurableApplicationContext node) {
        node.close();
        running.remove(node);
    }

    @Test
    void aTransactionalWriteOnOneNodeIsReadOnAnotherUploadedAndHealthFollowsTheNodesThatLeave() {
        String prefix = "accounts-" + System.nanoTime();
        List<ConfigurableApplicationContext> nodes = startThreeNodes(prefix);
        ConfigurableApplicationContext one = nodes.get(0);
        ConfigurableApplicationContext two = nodes.get(1);
        ConfigurableApplicationContext three = nodes.get(2);

        ClusterOfThreeContextsTests.aTransactionalWriteOnOneNodeIsReadOnAnother(nodes);

        // the leader uploads (async, within the upload interval); every node learns how far the bucket is
        for (ConfigurableApplicationContext node : nodes) {
            Health health = await().atMost(WAIT).until(() -> health(node), h -> Status.UP.equals(h.getStatus())
                    && Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
            assertThat(health.getDetails()).containsEntry("type", "cloud-cluster").containsEntry("quorum", true)
                    .containsEntry("durability", "async").containsEntry("uploadBacklogEntries", 0L)
                    .containsKeys("role", "term", "leader", "uploadLag", "uploadedIndex");
            assertThat((List<?>) health.getDetails().get("peers")).hasSize(3);
            assertThat((Long) health.getDetails().get("uploadedIndex")).isPositive();
            MeterRegistry meters = node.getBean(MeterRegistry.class);
            assertThat(meters.get("protobase.cluster.quorum").gauge().value()).isEqualTo(1);
            assertThat(meters.get("protobase.cloud.upload.backlog").gauge().value()).isZero();
            assertThat(meters.get("protobase.cloud.upload.lag").timeGauge()).isNotNull();
            assertThat(meters.get("protobase.cloud.upload.index").gauge().value()).isPositive();
            assertThat(meters.get("protobase.cloud.requests").tag("method", "put").functionCounter()).isNotNull();
            assertThat(meters.get("protobase.cloud.upload.bytes").functionCounter()).isNotNull();
        }
        ConfigurableApplicationContext leader = nodes.stream()
                .filter(n -> "leader".equals(health(n).getDetails().get("role"))).findFirst().orElseThrow();
        assertThat(health(leader).getDetails()).containsEntry("bucketReachable", true);
        MeterRegistry leaderMeters = leader.getBean(MeterRegistry.class);
        assertThat(leaderMeters.get("protobase.cloud.requests").tag("method", "put").functionCounter().count())
                .isPositive();
        assertThat(leaderMeters.get("protobase.cloud.upload.bytes").functionCounter().count()).isPositive();
        assertThat(S3.client().headObject(b -> b.bucket(S3.bucket()).key(prefix + "/root"))).isNotNull();

        // two of three are a majority: the survivors stay UP and keep uploading (a new leader if it was node 3)
        close(three);
        long uploaded = uploadedIndex(one);
        two.getBean(Accounts.class).deposit("alice", 1);
        assertThat(one.getBean(Accounts.class).balance("alice")).isEqualTo(106);
        for (ConfigurableApplicationContext node : running) {
            await().atMost(WAIT).until(() -> health(node), h -> Status.UP.equals(h.getStatus())
                    && (Long) h.getDetails().get("uploadedIndex") > uploaded
                    && Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
        }

        // alone, node 1 has no quorum: DOWN, and its health still shows how far the bucket is
        close(two);
        Health alone = await().atMost(WAIT).until(() -> health(one), h -> Status.DOWN.equals(h.getStatus())
                && Boolean.FALSE.equals(h.getDetails().get("quorum")));
        assertThat((String) alone.getDetails().get("reason")).contains("no quorum");
        assertThat(alone.getDetails()).containsEntry("type", "cloud-cluster")
                .containsKeys("uploadedIndex", "uploadBacklogBytes", "uploadLag");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ AwsAutoConfiguration.class, CredentialsProviderAutoConfiguration.class,
            RegionProviderAutoConfiguration.class, S3AutoConfiguration.class, MetricsAutoConfiguration.class,
            ProtoBaseAutoConfiguration.class, TransactionManagerCustomizationAutoConfiguration.class,
            TransactionAutoConfiguration.class, ProtoBaseHealthContributorAutoConfiguration.class,
            ProtoBaseMetricsAutoConfiguration.class })
    static class Node {

        @Bean
        Accounts accounts(Database database) {
            return new Accounts(database);
        }

        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
