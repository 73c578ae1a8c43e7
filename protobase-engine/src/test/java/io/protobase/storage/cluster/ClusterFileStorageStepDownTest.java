package io.protobase.storage.cluster;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.ProtoList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rolling restarts while every node commits: three rounds of a follower and then the leader closed (a
 * leader hands leadership over first) and opened again on its directory, while a writer on each other
 * node appends to its own list in a loop. A commit that reaches the leader while it hands over must go on
 * with the next leader: no commit fails, and every acknowledged one is there once, on every node.
 */
@Tag("slow")
class ClusterFileStorageStepDownTest {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFileStorageStepDownTest.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Commits each running writer acknowledges before and after every restart. */
    private static final int PROGRESS = 5;

    private TestCluster cluster;
    private final Map<Integer, ObjectSpace> spaces = new ConcurrentHashMap<>();
    private final Map<Integer, Writer> writers = new ConcurrentHashMap<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Map<Integer, List<String>> acknowledged = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> sequences = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Writer w : writers.values()) {
            w.halt();
        }
        spaces.values().forEach(ObjectSpace::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Appends {@code n<node>-<i>} to the list {@code orders-<node>} in a loop, through its node's object space. */
    private final class Writer extends Thread {
        private final int node;
        private final Database shop;
        private final AtomicInteger sequence;
        private volatile boolean halted;

        Writer(int node, Database shop, AtomicInteger sequence) {
            super("writer-" + node);
            this.node = node;
            this.shop = shop;
            this.sequence = sequence;
        }

        @Override
        public void run() {
            List<String> mine = acknowledged.computeIfAbsent(node, n -> new CopyOnWriteArrayList<>());
            String list = "orders-" + node;
            // bounded: the test halts every writer, and each commit waits at most the request timeout
            while (!halted && mine.size() < 100_000) {
                String order = "n" + node + "-" + sequence.getAndIncrement();
                try {
                    shop.write(tx -> {
                        ProtoList orders = tx.getRootObject(list, ProtoList.class);
                        tx.setRootObject(list, (orders == null ? ProtoList.empty() : orders).appendLast(order));
                        return null;
                    });
                    mine.add(order);
                } catch (RuntimeException e) {
                    LOG.error("commit of {} through node {} failed", order, node, e);
                    failures.add(e);
                }
            }
        }

        void halt() throws InterruptedException {
            halted = true;
            join(WAIT.toMillis());
        }
    }

    @Test
    void rollingRestartsWhileEveryOtherNodeCommitsFailNoCommitAndApplyEachOnce() throws InterruptedException {
        // leaders must last under a loaded build: a commit that finds none for its request timeout fails
        cluster = TestCluster.start(3, o -> o.withElectionTimeout(TestCluster.STEADY_ELECTION));
        for (int id = 1; id <= 3; id++) {
            sequences.put(id, new AtomicInteger());
            startWriter(id, sequences.get(id));
        }
        int leaderRestarts = 0;
        for (int round = 0; round < 3; round++) {
            // a follower, then whichever node leads at that moment, as a rolling upgrade goes
            int leader = awaitLeader();
            int follower = (leader + round % 2) % 3 + 1;
            restart(follower);
            if (restart(awaitLeader())) {
                leaderRestarts++;
            }
        }
        awaitProgress("after the restarts");
        for (Writer w : writers.values()) {
            w.halt();
        }

        // the leader is picked just before it is closed; an election in between may rarely move it
        assertThat(leaderRestarts).as("restarts of the leader").isGreaterThanOrEqualTo(2);
        assertThat(failures).as("failed commits").isEmpty();
        for (int id = 1; id <= 3; id++) {
            Database shop = spaces.get(id).getDatabase("shop");
            for (int writer = 1; writer <= 3; writer++) {
                String list = "orders-" + writer;
                List<Object> orders = new ArrayList<>();
                shop.read(tx -> {
                    tx.getRootObject(list, ProtoList.class).stream().forEach(orders::add);
                    return null;
                });
                assertThat(orders).as("%s on node %d", list, id).containsExactlyElementsOf(acknowledged.get(writer));
            }
        }
        LOG.info("rolling restarts: {} commits acknowledged ({} per writer), {} leader restarts",
                acknowledged.values().stream().mapToInt(List::size).sum(),
                acknowledged.values().stream().map(List::size).toList(), leaderRestarts);
    }

    /**
     * Drains node {@code id}'s writer (as a load balancer would), closes the node and opens it again on its
     * directory, with a writer of its own once it is back; returns whether it led when it was closed.
     */
    private boolean restart(int id) throws InterruptedException {
        awaitProgress("before node " + id + " restarts");
        writers.remove(id).halt();
        boolean wasLeader = cluster.node(id).isLeader();
        spaces.remove(id).close();
        cluster.stop(id);
        awaitProgress("while node " + id + " is down");
        cluster.restart(id);
        startWriter(id, sequences.get(id));
        return wasLeader;
    }

    private void startWriter(int node, AtomicInteger sequence) {
        ObjectSpace space = new ObjectSpace(cluster.node(node));
        spaces.put(node, space);
        Writer writer = new Writer(node, space.getDatabase("shop"), sequence);
        writers.put(node, writer);
        writer.start();
    }

    /** Waits until every running writer acknowledged {@link #PROGRESS} more commits. */
    private void awaitProgress(String when) {
        Map<Integer, Integer> from = new ConcurrentHashMap<>();
        writers.keySet().forEach(id -> from.put(id, acknowledged.getOrDefault(id, List.of()).size()));
        await().atMost(WAIT).alias("commits acknowledged " + when).until(() -> from.entrySet().stream()
                .allMatch(e -> acknowledged.getOrDefault(e.getKey(), List.of()).size() >= e.getValue() + PROGRESS)
                || !failures.isEmpty());
        assertThat(failures).as("failed commits " + when).isEmpty();
    }

    private int awaitLeader() {
        return await().atMost(WAIT).until(() -> cluster.leader(), l -> l != null).options().nodeId();
    }
}
