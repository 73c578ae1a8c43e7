package io.protobase.spring.autoconfigure;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.protobase.Database;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterStatus;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.protobase.spring.autoconfigure.ClusterStorageAutoConfigurationTests.startupFailure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code protobase.storage.type=cluster} without {@code peers}: the nodes find each other through
 * Hazelcast (an embedded member per node on 127.0.0.1 with a TCP-IP join, or the application's own
 * {@code HazelcastInstance}), and what cannot work fails the startup with a report.
 */
@Tag("slow")
@ExpectedWarnings(loggers = { "org.springframework.context", "org.apache.ratis", "com.hazelcast" })
class ClusterHazelcastDiscoveryTests {

    @TempDir
    Path dir;

    private final String hazelcastCluster = "protobase-test-" + UUID.randomUUID();
    private final String group = "group-" + UUID.randomUUID();
    private final List<ConfigurableApplicationContext> running = new ArrayList<>();
    private final List<HazelcastInstance> applicationHazelcasts = new ArrayList<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class));

    @AfterEach
    void stop() {
        running.parallelStream().forEach(ConfigurableApplicationContext::close);
        applicationHazelcasts.forEach(HazelcastInstance::shutdown);
    }

    private ApplicationContextRunner oneNode(String... more) {
        return runner.withPropertyValues("protobase.storage.type=cluster", "protobase.storage.cluster.node-id=1",
                "protobase.storage.cluster.port=" + ClusterStorageAutoConfigurationTests.freePort(),
                "protobase.storage.cluster.path=" + dir.resolve("node-1"),
                "protobase.storage.cluster.election-timeout=300ms", "protobase.storage.cluster.group-name=" + group)
                .withPropertyValues(more);
    }

    /** A Hazelcast member of the application's own, alone on 127.0.0.1. */
    private HazelcastInstance applicationHazelcast() {
        Config config = new Config().setClusterName(hazelcastCluster);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().setPort(ClusterStorageAutoConfigurationTests.freePort()).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        HazelcastInstance instance = Hazelcast.newHazelcastInstance(config);
        applicationHazelcasts.add(instance);
        return instance;
    }

    @Test
    void threeContextsFindEachOtherThroughTheirEmbeddedHazelcastMembersAndShareTheirData() {
        List<Integer> hazelcastPorts = IntStream.range(0, 3)
                .mapToObj(i -> ClusterStorageAutoConfigurationTests.freePort()).toList();
        String hazelcastMembers = hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        List<CompletableFuture<ConfigurableApplicationContext>> starting = IntStream.rangeClosed(1, 3)
                .mapToObj(id -> CompletableFuture.supplyAsync(() -> ClusterOfThreeContextsTests.node(
                        ClusterOfThreeContextsTests.Node.class)
                        .properties("spring.main.banner-mode=off", "protobase.storage.type=cluster",
                                "protobase.storage.cluster.node-id=" + id,
                                "protobase.storage.cluster.port=" + ClusterStorageAutoConfigurationTests.freePort(),
                                "protobase.storage.cluster.path=" + dir.resolve("node-" + id),
                                "protobase.storage.cluster.group-name=" + group,
                                "protobase.storage.cluster.election-timeout=300ms",
                                "protobase.storage.cluster.request-timeout=20s",
                                "protobase.storage.cluster.initial-members-timeout=60s",
                                "protobase.storage.cluster.hazelcast.cluster-name=" + hazelcastCluster,
                                "protobase.storage.cluster.hazelcast.port=" + hazelcastPorts.get(id - 1),
                                "protobase.storage.cluster.hazelcast.members=" + hazelcastMembers,
                                "protobase.storage.cluster.hazelcast.interfaces=127.0.0.1")
                        .run()))
                .toList();
        List<ConfigurableApplicationContext> nodes = new ArrayList<>();
        for (CompletableFuture<ConfigurableApplicationContext> node : starting) {
            nodes.add(node.join());
            running.add(nodes.get(nodes.size() - 1));
        }

        nodes.get(0).getBean(ClusterOfThreeContextsTests.Accounts.class).deposit("alice", 100);
        assertThat(nodes.get(2).getBean(ClusterOfThreeContextsTests.Accounts.class).balance("alice")).isEqualTo(100);
        assertThat(Hazelcast.getAllHazelcastInstances()).filteredOn(h -> h.getConfig().getClusterName()
                .equals(hazelcastCluster)).hasSize(3);

        nodes.get(1).close();
        running.remove(nodes.get(1));
        assertThat(Hazelcast.getAllHazelcastInstances()).as("the closed context's embedded member shut down")
                .filteredOn(h -> h.getConfig().getClusterName().equals(hazelcastCluster)).hasSize(2);
        nodes.get(2).getBean(ClusterOfThreeContextsTests.Accounts.class).deposit("alice", 5);
        assertThat(nodes.get(0).getBean(ClusterOfThreeContextsTests.Accounts.class).balance("alice")).isEqualTo(105);
    }

    @Test
    void aNodeStartedAfterTheGroupFormedJoinsItAsALearnerAndBecomesAVoter() {
        int firstHazelcast = ClusterStorageAutoConfigurationTests.freePort();
        int secondHazelcast = ClusterStorageAutoConfigurationTests.freePort();
        String[] hazelcast = {"protobase.storage.cluster.initial-members=1",
            "protobase.storage.cluster.membership-check-interval=200ms",
            "protobase.storage.cluster.hazelcast.cluster-name=" + hazelcastCluster,
            "protobase.storage.cluster.hazelcast.members=127.0.0.1:" + firstHazelcast + ",127.0.0.1:" + secondHazelcast,
            "protobase.storage.cluster.hazelcast.interfaces=127.0.0.1"};
        oneNode(hazelcast).withPropertyValues("protobase.storage.cluster.hazelcast.port=" + firstHazelcast)
                .run(first -> {
                    assertThat(first).hasNotFailed();
                    ClusterFileStorage formed = (ClusterFileStorage) first.getBean(SharedStorage.class);
                    runner.withPropertyValues(hazelcast).withPropertyValues("protobase.storage.type=cluster",
                            "protobase.storage.cluster.node-id=2",
                            "protobase.storage.cluster.port=" + ClusterStorageAutoConfigurationTests.freePort(),
                            "protobase.storage.cluster.path=" + dir.resolve("node-2"),
                            "protobase.storage.cluster.election-timeout=300ms",
                            "protobase.storage.cluster.group-name=" + group,
                            "protobase.storage.cluster.hazelcast.port=" + secondHazelcast).run(second -> {
                                assertThat(second).hasNotFailed();
                                ClusterFileStorage joined = (ClusterFileStorage) second.getBean(SharedStorage.class);
                                await().atMost(Duration.ofSeconds(60)).until(() -> formed.status().members()
                                        .stream().filter(ClusterStatus.Member::voting).count() == 2);
                                await().atMost(Duration.ofSeconds(60)).until(() -> joined.status().role()
                                        == ClusterStatus.Role.FOLLOWER || joined.status().role()
                                        == ClusterStatus.Role.LEADER);
                            });
                });
    }

    @Test
    void aMembershipCheckIntervalOfZeroFailsNamingTheKey() {
        FailureAnalysis analysis = startupFailure(oneNode("protobase.storage.cluster.membership-check-interval=0s"));

        assertThat(analysis.getDescription()).contains("protobase.storage.cluster.membership-check-interval");
        assertThat(analysis.getAction()).contains("such as 1s");
    }

    @Test
    void theApplicationsHazelcastInstanceIsUsedAndNoOtherMemberStarts() {
        HazelcastInstance application = applicationHazelcast();
        oneNode("protobase.storage.cluster.initial-members=1").withBean(HazelcastInstance.class, () -> application)
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(Database.class);
                    assertThat(application.getReplicatedMap("protobase.raft." + group).values())
                            .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING).startsWith("n1@");
                    assertThat(Hazelcast.getAllHazelcastInstances()).filteredOn(h -> h.getConfig().getClusterName()
                            .equals(hazelcastCluster)).containsExactly(application);
                });
        assertThat(application.getLifecycleService().isRunning()).as("the application's member outlives the context")
                .isTrue();
    }

    @Test
    void initialMembersThatDoNotComeFailTheStartupNamingWhoIsThereAndWhoIsMissing() {
        HazelcastInstance application = applicationHazelcast();
        FailureAnalysis analysis = startupFailure(oneNode("protobase.storage.cluster.initial-members=2",
                "protobase.storage.cluster.initial-members-timeout=1s")
                .withBean(HazelcastInstance.class, () -> application));

        assertThat(analysis.getDescription()).contains("found 1: [n1@127.0.0.1:").contains("1 missing")
                .contains("Hazelcast cluster '" + hazelcastCluster + "'");
        assertThat(analysis.getAction()).contains("Start the other 1 initial members")
                .contains("protobase.storage.cluster.initial-members");
    }

    @Test
    void withoutHazelcastOnTheClasspathANodeWithoutPeersFailsNamingTheDependency() {
        FailureAnalysis analysis = startupFailure(oneNode().withClassLoader(new FilteredClassLoader("com.hazelcast")));

        assertThat(analysis.getDescription()).contains("protobase.storage.cluster.peers is not set")
                .contains("com.hazelcast:hazelcast");
        assertThat(analysis.getAction()).contains("Add com.hazelcast:hazelcast")
                .contains("protobase.storage.cluster.peers");
    }

    @Test
    void anEmbeddedMemberWithNothingToJoinFailsNamingTheKey() {
        FailureAnalysis analysis = startupFailure(oneNode());

        assertThat(analysis.getDescription()).contains("protobase.storage.cluster.hazelcast.members is empty")
                .contains("no other member to join");
        assertThat(analysis.getAction()).contains("multicast").contains("protobase.storage.cluster.peers");
    }

    @Test
    void anEmbeddedMemberWhosePortIsTakenFailsNamingThePortKey() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            FailureAnalysis analysis = startupFailure(oneNode("protobase.storage.cluster.initial-members=1",
                    "protobase.storage.cluster.hazelcast.port=" + taken.getLocalPort(),
                    "protobase.storage.cluster.hazelcast.interfaces=127.0.0.1"));

            assertThat(analysis.getDescription())
                    .contains("cannot start the embedded Hazelcast member of cluster node 1")
                    .contains("port " + taken.getLocalPort());
            assertThat(analysis.getAction()).contains("protobase.storage.cluster.hazelcast.port ("
                    + taken.getLocalPort() + ") is free");
        }
    }

    @Test
    void theDiscoveryDefaultsMatchTheDocumentation() {
        runner.withPropertyValues("protobase.storage.type=memory").run(context -> {
            ProtoBaseProperties.Cluster cluster = context.getBean(ProtoBaseProperties.class).storage().cluster();
            assertThat(cluster.initialMembers()).isEqualTo(3);
            assertThat(cluster.initialMembersTimeout()).isEqualTo(Duration.ofMinutes(5));
            assertThat(cluster.membershipCheckInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(cluster.hazelcast()).isEqualTo(new ProtoBaseProperties.ClusterHazelcast("protobase", 5701,
                    List.of(), false, List.of()));
        });
    }
}
