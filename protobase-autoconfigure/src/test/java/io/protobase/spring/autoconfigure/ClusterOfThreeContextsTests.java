package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.annotation.Transactional;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three application contexts, each one node of a cluster on 127.0.0.1, as three instances of an
 * application would run: what one writes in a {@code @Transactional} method another reads, and
 * the health of the nodes that stay follows the ones that leave.
 */
@ExpectedWarnings(loggers = "org.apache.ratis")
class ClusterOfThreeContextsTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<ConfigurableApplicationContext> running = new ArrayList<>();

    @AfterEach
    void closeTheNodes() {
        running.parallelStream().forEach(ConfigurableApplicationContext::close);
    }

    /** Starts nodes 1, 2 and 3 at once: each waits for a quorum to create its database. */
    private List<ConfigurableApplicationContext> startThreeNodes() {
        String peers = localPeers();
        return startThreeNodes(Node.class, running, id -> new String[] { "protobase.storage.type=cluster",
                "protobase.storage.cluster.node-id=" + id, "protobase.storage.cluster.peers=" + peers,
                "protobase.storage.cluster.path=" + dir.resolve("node-" + id),
                "protobase.storage.cluster.election-timeout=300ms",
                "protobase.storage.cluster.request-timeout=20s" });
    }

    /** The members of a group of three nodes on 127.0.0.1 with free ports, as {@code id@host:port,...}. */
    static String localPeers() {
        return IntStream.rangeClosed(1, 3).mapToObj(id -> id + "@127.0.0.1:"
                + ClusterStorageAutoConfigurationTests.freePort()).collect(Collectors.joining(","));
    }

    /**
     * Starts nodes 1, 2 and 3 of application {@code source} at once, each with the properties {@code properties}
     * gives for its id (each node waits for a quorum to create its database), and adds them to {@code running}.
     *
     * @return the nodes, by id
     */
    static List<ConfigurableApplicationContext> startThreeNodes(Class<?> source,
            List<ConfigurableApplicationContext> running, IntFunction<String[]> properties) {
        List<CompletableFuture<ConfigurableApplicationContext>> starting = IntStream.rangeClosed(1, 3)
                .mapToObj(id -> CompletableFuture.supplyAsync(() -> node(source)
                        .properties("spring.main.banner-mode=off").properties(properties.apply(id)).run()))
                .toList();
        List<ConfigurableApplicationContext> nodes = new ArrayList<>();
        for (CompletableFuture<ConfigurableApplicationContext> node : starting) {
            nodes.add(node.join());
            running.add(nodes.get(nodes.size() - 1));
        }
        return nodes;
    }

    /**
     * An application for one of several nodes started at once from different threads: it leaves the
     * test JVM's logging as it is, since Boot's logging initialization (a Logback reset) is not safe to
     * run from several threads at once.
     */
    static SpringApplicationBuilder node(Class<?> source) {
        SpringApplicationBuilder builder = new SpringApplicationBuilder(source).web(WebApplicationType.NONE);
        builder.application().setListeners(builder.application().getListeners().stream()
                .filter(l -> !(l instanceof LoggingApplicationListener)).toList());
        return builder;
    }

    /** The {@code protobase} health of {@code node}, with details. */
    static Health health(ConfigurableApplicationContext node) {
        return ((HealthIndicator) node.getBean("protobaseHealthIndicator")).health(true);
    }

    private void close(ConfigurableApplicationContext node) {
        node.close();
        running.remove(node);
    }

    @Test
    void aTransactionalWriteOnOneNodeIsReadOnAnotherAndHealthFollowsTheNodesThatLeave() {
        List<ConfigurableApplicationContext> nodes = startThreeNodes();
        ConfigurableApplicationContext one = nodes.get(0);
        ConfigurableApplicationContext two = nodes.get(1);
        ConfigurableApplicationContext three = nodes.get(2);

        aTransactionalWriteOnOneNodeIsReadOnAnother(nodes);
        for (ConfigurableApplicationContext node : nodes) {
            Health health = await().atMost(WAIT).until(() -> health(node), h -> Status.UP.equals(h.getStatus()));
            assertThat(health.getDetails()).containsEntry("type", "cluster").containsEntry("quorum", true)
                    .containsKeys("role", "term", "commitIndex", "appliedIndex", "lag", "leader");
            assertThat((List<?>) health.getDetails().get("peers")).hasSize(3);
        }

        close(three);
        // two of three are a majority: the survivors stay UP, and the leader among them sees node 3 silent
        await().atMost(WAIT).until(() -> running.stream().map(ClusterOfThreeContextsTests::health)
                .anyMatch(h -> "leader".equals(h.getDetails().get("role")) && silent(h, 3)));
        for (ConfigurableApplicationContext node : running) {
            assertThat(health(node).getStatus()).isEqualTo(Status.UP);
        }
        two.getBean(Accounts.class).deposit("alice", 1);
        assertThat(one.getBean(Accounts.class).balance("alice")).isEqualTo(106);

        close(two);
        // DOWN at once (the linearizable read fails), and "no quorum" once Ratis has noticed the silence
        // (about two election timeouts after the majority went)
        Health alone = await().atMost(WAIT).until(() -> health(one), h -> Status.DOWN.equals(h.getStatus())
                && Boolean.FALSE.equals(h.getDetails().get("quorum")));
        assertThat((String) alone.getDetails().get("reason")).contains("no quorum")
                .contains("majority of the 3 voting members");
    }

    /** Node 1 and node 3 deposit to alice's balance (105 in all) and each deposit is read on another node. */
    static void aTransactionalWriteOnOneNodeIsReadOnAnother(List<ConfigurableApplicationContext> nodes) {
        nodes.get(0).getBean(Accounts.class).deposit("alice", 100);
        assertThat(nodes.get(1).getBean(Accounts.class).balance("alice")).isEqualTo(100);
        nodes.get(2).getBean(Accounts.class).deposit("alice", 5);
        assertThat(nodes.get(0).getBean(Accounts.class).balance("alice")).isEqualTo(105);
    }

    /** Whether a leader's health shows that node {@code nodeId} has not answered for a while. */
    private static boolean silent(Health leaderHealth, int nodeId) {
        return ((List<?>) leaderHealth.getDetails().get("peers")).stream().map(p -> (Map<?, ?>) p)
                .filter(p -> p.get("nodeId").equals(nodeId)).anyMatch(p -> p.get("lastContact") != null
                        && Duration.parse((String) p.get("lastContact")).compareTo(Duration.ofMillis(600)) > 0);
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ ProtoBaseAutoConfiguration.class, TransactionManagerCustomizationAutoConfiguration.class,
            TransactionAutoConfiguration.class, ProtoBaseHealthContributorAutoConfiguration.class })
    static class Node {

        @Bean
        Accounts accounts(Database database) {
            return new Accounts(database);
        }
    }

    /** An application service: balances as root objects, changed in {@code @Transactional} methods. */
    static class Accounts {

        private final Database database;

        Accounts(Database database) {
            this.database = database;
        }

        @Transactional
        public void deposit(String who, int amount) {
            database.currentTransaction().setRootObject(who, balance(who) + amount);
        }

        @Transactional(readOnly = true)
        public int balance(String who) {
            Object balance = database.currentTransaction().getRootObject(who);
            return balance == null ? 0 : (Integer) balance;
        }
    }
}
