package io.protobase.spring.autoconfigure;

import com.hazelcast.core.Hazelcast;
import io.protobase.spring.autoconfigure.ClusterOfThreeContextsTests.Accounts;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterStatus;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code protobase.storage.type=cloud-cluster} without {@code peers}: the nodes find each other through
 * embedded Hazelcast members on 127.0.0.1, as with {@code type=cluster}, form their Raft group, and upload
 * to one S3Proxy bucket; a node started after the group formed joins it as a learner, starts from the
 * bucket and becomes a voter.
 */
@Tag("slow")
@ExpectedWarnings(loggers = { "org.springframework.context", "org.apache.ratis", "com.hazelcast" })
class CloudClusterHazelcastDiscoveryTests {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path dir;

    private final String hazelcastCluster = "protobase-test-" + UUID.randomUUID();
    private final String prefix = "discovered-" + UUID.randomUUID();
    private final List<Integer> hazelcastPorts = IntStream.range(0, 4)
            .mapToObj(i -> ClusterStorageAutoConfigurationTests.freePort()).toList();
    private final List<ConfigurableApplicationContext> running = new ArrayList<>();

    @AfterEach
    void stop() {
        running.parallelStream().forEach(ConfigurableApplicationContext::close);
    }

    /** The properties of node {@code id} (1 to 4): no peers, an embedded Hazelcast member, one bucket. */
    private String[] node(int id) {
        String members = hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        return Stream.concat(Stream.of("protobase.storage.type=cloud-cluster",
                        "protobase.storage.cloud.bucket=" + S3.bucket(), "protobase.storage.cloud.prefix=" + prefix,
                        "protobase.storage.cloud.cache-dir=" + dir.resolve("node-" + id),
                        "protobase.storage.cloud.upload-interval=200ms",
                        "protobase.storage.cluster.node-id=" + id,
                        "protobase.storage.cluster.port=" + ClusterStorageAutoConfigurationTests.freePort(),
                        "protobase.storage.cluster.group-name=accounts",
                        "protobase.storage.cluster.election-timeout=300ms",
                        "protobase.storage.cluster.request-timeout=20s",
                        "protobase.storage.cluster.initial-members-timeout=60s",
                        "protobase.storage.cluster.membership-check-interval=200ms",
                        "protobase.storage.cluster.hazelcast.cluster-name=" + hazelcastCluster,
                        "protobase.storage.cluster.hazelcast.port=" + hazelcastPorts.get(id - 1),
                        "protobase.storage.cluster.hazelcast.members=" + members,
                        "protobase.storage.cluster.hazelcast.interfaces=127.0.0.1"),
                Stream.of(CloudStorageAutoConfigurationTests.springCloudAws(S3))).toArray(String[]::new);
    }

    private static CloudClusterFileStorage storage(ConfigurableApplicationContext node) {
        return (CloudClusterFileStorage) node.getBean(SharedStorage.class);
    }

    @Test
    void threeNodesFindEachOtherThroughHazelcastAndAFourthJoinsFromTheBucketAsALearnerThenVotes() {
        List<ConfigurableApplicationContext> nodes = ClusterOfThreeContextsTests.startThreeNodes(
                CloudClusterOfThreeContextsTests.Node.class, running, this::node);
        assertThat(Hazelcast.getAllHazelcastInstances()).filteredOn(h -> h.getConfig().getClusterName()
                .equals(hazelcastCluster)).hasSize(3);

        ClusterOfThreeContextsTests.aTransactionalWriteOnOneNodeIsReadOnAnother(nodes);
        await().atMost(WAIT).until(() -> storage(nodes.get(0)).node().status().members().stream()
                .filter(ClusterStatus.Member::voting).count() == 3);
        long balance = nodes.get(1).getBean(Accounts.class).balance("alice");

        // the group runs: node 4 finds it through Hazelcast, starts outside it, and the leader adds it
        ConfigurableApplicationContext four = ClusterOfThreeContextsTests
                .node(CloudClusterOfThreeContextsTests.Node.class).properties("spring.main.banner-mode=off")
                .properties(node(4)).run();
        running.add(four);
        await().atMost(WAIT).until(() -> storage(nodes.get(0)).node().status().members().stream()
                .filter(ClusterStatus.Member::voting).count() == 4);
        await().atMost(WAIT).until(() -> storage(four).node().status().role(),
                role -> role == ClusterStatus.Role.FOLLOWER || role == ClusterStatus.Role.LEADER);
        assertThat(four.getBean(Accounts.class).balance("alice")).isEqualTo(balance);
        four.getBean(Accounts.class).deposit("alice", 7);
        assertThat(nodes.get(2).getBean(Accounts.class).balance("alice")).isEqualTo(balance + 7);
    }
}
