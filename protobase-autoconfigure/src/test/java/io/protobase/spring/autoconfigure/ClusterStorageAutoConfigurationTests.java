package io.protobase.spring.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.protobase.Database;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.spring.autoconfigure.metrics.ProtoBaseMetricsAutoConfiguration;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ReadConsistency;
import io.protobase.storage.cluster.TestCluster;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code protobase.storage.type=cluster}: the properties reach the Raft node, the health and the
 * meters report it, and what cannot work fails the startup naming the key or the missing artifacts.
 * A group of one node elects itself, so these tests need no other process.
 */
@ExpectedWarnings(loggers = { "org.springframework.context", "org.apache.ratis" })
class ClusterStorageAutoConfigurationTests {

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, ProtoBaseAutoConfiguration.class,
                    ProtoBaseHealthContributorAutoConfiguration.class, ProtoBaseMetricsAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class);

    private ApplicationContextRunner oneNode(int port) {
        return runner.withPropertyValues("protobase.storage.type=cluster", "protobase.storage.cluster.node-id=1",
                "protobase.storage.cluster.peers=1@127.0.0.1:" + port,
                "protobase.storage.cluster.path=" + dir.resolve("node-1"),
                "protobase.storage.cluster.election-timeout=300ms");
    }

    /** A free port that stays free while a node is closed and opened again (see {@link TestCluster#freePort}). */
    static int freePort() {
        return TestCluster.freePort();
    }

    private static Health health(org.springframework.context.ApplicationContext context) {
        return ((HealthIndicator) context.getBean("protobaseHealthIndicator")).health(true);
    }

    @Test
    void aOneNodeClusterStartsKeepsItsDataAndReportsItsRaftStateInHealthAndMeters() {
        int port = freePort();
        oneNode(port).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(SharedStorage.class)).isInstanceOf(ClusterFileStorage.class);
            context.getBean(Database.class).write(tx -> {
                tx.setRootObject("greeting", "hello");
                return null;
            });

            Health health = await().atMost(Duration.ofSeconds(30)).until(() -> health(context),
                    h -> Status.UP.equals(h.getStatus()));
            assertThat(health.getDetails()).containsEntry("type", "cluster").containsEntry("nodeId", 1)
                    .containsEntry("role", "leader").containsEntry("leader", 1).containsEntry("quorum", true)
                    .containsEntry("lag", 0L).containsKeys("term", "commitIndex", "appliedIndex");
            assertThat((List<?>) health.getDetails().get("peers")).singleElement()
                    .isEqualTo(Map.of("nodeId", 1, "address", "127.0.0.1:" + port, "voting", true,
                            "commitIndex", health.getDetails().get("commitIndex")));

            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get("protobase.cluster.role").tag("role", "leader").gauge().value()).isEqualTo(1);
            assertThat(registry.get("protobase.cluster.role").tag("role", "follower").gauge().value()).isZero();
            assertThat(registry.get("protobase.cluster.term").gauge().value()).isPositive();
            assertThat(registry.get("protobase.cluster.elections").functionCounter().count()).isPositive();
            assertThat(registry.get("protobase.cluster.quorum").gauge().value()).isEqualTo(1);
            assertThat(registry.get("protobase.cluster.lag").gauge().value()).isZero();
            assertThat(registry.get("protobase.cluster.replication").functionTimer().count()).isPositive();
        });
        oneNode(port).run(context -> {
            Object greeting = context.getBean(Database.class).read(tx -> tx.getRootObject("greeting"));
            assertThat(greeting).isEqualTo("hello");
        });
    }

    @Test
    void thePropertiesReachTheRaftNode() {
        int port = freePort();
        runner.withPropertyValues("protobase.storage.type=cluster", "protobase.storage.cluster.node-id=1",
                "protobase.storage.cluster.peers=1@127.0.0.1:" + port, "protobase.storage.cluster.path=" + dir,
                "protobase.storage.cluster.election-timeout=200ms", "protobase.storage.cluster.request-timeout=20s",
                "protobase.storage.cluster.retries=7", "protobase.storage.cluster.read-consistency=local",
                "protobase.storage.cluster.group-name=shop", "protobase.storage.cluster.segment-size=8MB",
                "protobase.storage.cluster.snapshot-interval=500").run(context -> {
                    ClusterFileStorage.Options options = context.getBean(ClusterFileStorage.class).options();
                    assertThat(options.self()).isEqualTo(new ClusterPeer(1, "127.0.0.1", port));
                    assertThat(options.peers()).containsExactly(options.self());
                    assertThat(options.electionTimeout()).isEqualTo(Duration.ofMillis(200));
                    assertThat(options.requestTimeout()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(options.retries()).isEqualTo(7);
                    assertThat(options.readConsistency()).isEqualTo(ReadConsistency.LOCAL);
                    assertThat(options.groupName()).isEqualTo("shop");
                    assertThat(options.segmentSize()).isEqualTo(8L * 1024 * 1024);
                    assertThat(options.snapshotInterval()).isEqualTo(500);
                });
    }

    @Test
    void aNodeNotListedInThePeersJoinsThemWithItsHostAndPort() {
        runner.withPropertyValues("protobase.storage.type=memory", "protobase.storage.cluster.node-id=3",
                "protobase.storage.cluster.host=10.0.0.13", "protobase.storage.cluster.port=9873",
                "protobase.storage.cluster.peers=1@10.0.0.11:9871,2@10.0.0.12:9872").run(context -> {
                    ProtoBaseProperties.Cluster cluster = context.getBean(ProtoBaseProperties.class).storage()
                            .cluster();
                    assertThat(cluster.members()).containsExactly(new ClusterPeer(1, "10.0.0.11", 9871),
                            new ClusterPeer(2, "10.0.0.12", 9872), new ClusterPeer(3, "10.0.0.13", 9873));
                });
    }

    @Test
    void theClusterDefaultsMatchTheDocumentation() {
        runner.withPropertyValues("protobase.storage.type=memory").run(context -> {
            ProtoBaseProperties.Cluster cluster = context.getBean(ProtoBaseProperties.class).storage().cluster();
            assertThat(cluster.nodeId()).isNull();
            assertThat(cluster.peers()).isEmpty();
            assertThat(cluster.path()).isEqualTo(Path.of("protobase-cluster"));
            assertThat(cluster.electionTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(cluster.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(cluster.retries()).isEqualTo(100);
            assertThat(cluster.readConsistency()).isEqualTo(ReadConsistency.LINEARIZABLE);
            assertThat(cluster.groupName()).isEqualTo("protobase");
            assertThat(cluster.segmentSize().toMegabytes()).isEqualTo(64);
            assertThat(cluster.snapshotInterval()).isEqualTo(10_000);
        });
    }

    /**
     * The report of the startup failure of {@code configured} by the analyzers of the properties and of the
     * cluster and cloud storages (the cloud cluster's failures are theirs).
     */
    static FailureAnalysis startupFailure(ApplicationContextRunner configured) {
        FailureAnalysis[] analysis = new FailureAnalysis[1];
        configured.run(context -> {
            assertThat(context).hasFailed();
            Throwable failure = context.getStartupFailure();
            analysis[0] = List.of(new ProtoBasePropertiesFailureAnalyzer(),
                            new StorageFailureAnalyzers.ClusterUnusable(), new StorageFailureAnalyzers.CloudUnusable())
                    .stream().map(a -> a.analyze(failure)).filter(a -> a != null).findFirst()
                    .orElseThrow(() -> new AssertionError("no ProtoBase analysis of " + failure, failure));
        });
        return analysis[0];
    }

    @Test
    void withoutRatisTheClusterTypeFailsNamingTheArtifactsToAddAndOtherTypesStillStart() {
        FilteredClassLoader withoutRatis = new FilteredClassLoader("org.apache.ratis");
        FailureAnalysis analysis = startupFailure(oneNode(freePort()).withClassLoader(withoutRatis));
        assertThat(analysis.getDescription()).contains("protobase.storage.type=cluster").contains("Apache Ratis");
        assertThat(analysis.getAction()).contains("org.apache.ratis:ratis-server")
                .contains("org.apache.ratis:ratis-grpc").contains("org.apache.ratis:ratis-metrics-dropwizard3");

        runner.withClassLoader(withoutRatis).withPropertyValues("protobase.storage.file.path=" + dir.resolve("file"))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Database.class));
    }

    @Test
    void aClusterWithoutANodeIdFailsNamingTheKey() {
        FailureAnalysis analysis = startupFailure(runner.withPropertyValues("protobase.storage.type=cluster",
                "protobase.storage.cluster.peers=1@10.0.0.11:9871,2@10.0.0.12:9871"));
        assertThat(analysis.getDescription()).contains("'protobase.storage.cluster.node-id'")
                .contains("needs this node's id");
        assertThat(analysis.getAction()).contains("protobase.storage.cluster.node-id")
                .contains("unique in the cluster");
    }

    @Test
    void aHostThatContradictsTheNodesEntryInThePeersFailsNamingBoth() {
        FailureAnalysis analysis = startupFailure(runner.withPropertyValues("protobase.storage.type=cluster",
                "protobase.storage.cluster.node-id=2", "protobase.storage.cluster.host=10.0.0.99",
                "protobase.storage.cluster.peers=1@10.0.0.11:9871,2@10.0.0.12:9871"));
        assertThat(analysis.getDescription()).contains("'protobase.storage.cluster.host'").contains("10.0.0.99")
                .contains("listed in protobase.storage.cluster.peers as n2@10.0.0.12:9871");
        assertThat(analysis.getAction()).contains("Set it to '10.0.0.12'");
    }

    @Test
    void aRequestTimeoutNotLongerThanTheElectionTimeoutFailsNamingBothKeys() {
        FailureAnalysis analysis = startupFailure(runner.withPropertyValues("protobase.storage.type=memory",
                "protobase.storage.cluster.election-timeout=5s", "protobase.storage.cluster.request-timeout=5s"));
        assertThat(analysis.getDescription()).contains("'protobase.storage.cluster.request-timeout'")
                .contains("longer than protobase.storage.cluster.election-timeout (PT5S)");
    }

    @Test
    void aMalformedPeerFailsNamingTheKeyAndTheFormItTakes() {
        FailureAnalysis analysis = startupFailure(runner.withPropertyValues("protobase.storage.type=cluster",
                "protobase.storage.cluster.node-id=1", "protobase.storage.cluster.peers=1@10.0.0.11:9871,10.0.0.12"));
        assertThat(analysis.getDescription()).contains("'protobase.storage.cluster.peers")
                .contains("<node id>@<host>:<port>");
        assertThat(analysis.getAction()).startsWith("Set protobase.storage.cluster.peers")
                .contains("a comma-separated list of members written as node-id@host:port such as 1@10.0.0.11:9871");
    }

    @Test
    void aPeerListedTwiceFailsNamingIt() {
        FailureAnalysis analysis = startupFailure(runner.withPropertyValues("protobase.storage.type=cluster",
                "protobase.storage.cluster.node-id=1",
                "protobase.storage.cluster.peers=1@10.0.0.11:9871,1@10.0.0.12:9871"));
        assertThat(analysis.getDescription()).contains("'protobase.storage.cluster.peers'")
                .contains("node 1 is listed twice");
    }

    @Test
    void aPortTakenByAnotherProcessFailsNamingItAndWhatToCheck() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            FailureAnalysis analysis = startupFailure(oneNode(taken.getLocalPort()));
            assertThat(analysis.getDescription()).contains("cannot open cluster node n1@127.0.0.1:"
                    + taken.getLocalPort());
            assertThat(analysis.getAction()).contains("port " + taken.getLocalPort()).contains("is free");
        }
    }
}
