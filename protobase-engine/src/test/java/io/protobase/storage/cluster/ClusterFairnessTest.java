package io.protobase.storage.cluster;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fairness between nodes under contention: writers on all three nodes increment the same counter, each
 * through {@link Database#write} (which retries conflicts), for a bounded number of commits or time.
 * Every commit either succeeds or fails with a {@link ConflictException} (the retries ran out); every
 * node makes progress; and the counter equals the number of acknowledged increments, so none was lost
 * or applied twice. The per-node counts go to the test log.
 */
@Tag("slow")
class ClusterFairnessTest {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFairnessTest.class);
    private static final int WRITERS_PER_NODE = 2;
    private static final int COMMITS_PER_WRITER = 150;
    private static final Duration TIME_LIMIT = Duration.ofSeconds(60);

    private TestCluster cluster;
    private final List<ObjectSpace> spaces = new ArrayList<>();

    @AfterEach
    void stop() {
        spaces.forEach(ObjectSpace::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void writersOnEveryNodeHammeringOneKeyAllMakeProgressAndEveryAcknowledgedIncrementCountsOnce()
            throws InterruptedException {
        cluster = TestCluster.start(3);
        Map<Integer, Database> counters = new ConcurrentHashMap<>();
        for (int id = 1; id <= 3; id++) {
            ObjectSpace space = new ObjectSpace(cluster.node(id));
            spaces.add(space);
            counters.put(id, space.getDatabase("counters"));
        }
        counters.get(1).write(tx -> {
            if (tx.getRootObject("hits") == null) {
                tx.setRootObject("hits", 0L);
            }
            return null;
        });

        Map<Integer, LongAdder> successes = new ConcurrentHashMap<>();
        Map<Integer, LongAdder> conflicts = new ConcurrentHashMap<>();
        List<Throwable> untyped = new CopyOnWriteArrayList<>();
        long deadline = System.nanoTime() + TIME_LIMIT.toNanos();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            int node = id;
            successes.put(node, new LongAdder());
            conflicts.put(node, new LongAdder());
            for (int w = 0; w < WRITERS_PER_NODE; w++) {
                Thread t = new Thread(() -> {
                    awaitUninterruptibly(start);
                    for (int i = 0; i < COMMITS_PER_WRITER && System.nanoTime() - deadline < 0; i++) {
                        try {
                            counters.get(node).write(tx -> {
                                tx.setRootObject("hits", tx.getRootObject("hits", Long.class) + 1);
                                return null;
                            });
                            successes.get(node).increment();
                        } catch (ConflictException e) {
                            conflicts.get(node).increment();
                        } catch (RuntimeException e) {
                            LOG.error("increment through node {} failed", node, e);
                            untyped.add(e);
                        }
                    }
                }, "increments-" + node + "-" + w);
                threads.add(t);
                t.start();
            }
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(TIME_LIMIT.multipliedBy(2).toMillis());
        }

        Map<Integer, Long> perNode = new TreeMap<>();
        successes.forEach((node, n) -> perNode.put(node, n.sum()));
        Map<Integer, Long> gaveUp = new TreeMap<>();
        conflicts.forEach((node, n) -> gaveUp.put(node, n.sum()));
        LOG.info("fairness: acknowledged increments per node {}, ConflictException after Database.write's retries"
                + " per node {}", perNode, gaveUp);
        assertThat(threads).allMatch(t -> !t.isAlive());
        assertThat(untyped).as("failures other than ConflictException").isEmpty();
        assertThat(perNode.values()).as("acknowledged increments per node %s", perNode).allMatch(n -> n > 0);
        long total = perNode.values().stream().mapToLong(Long::longValue).sum();
        for (Database counter : counters.values()) {
            AtomicLong hits = new AtomicLong();
            counter.read(tx -> {
                hits.set(tx.getRootObject("hits", Long.class));
                return null;
            });
            assertThat(hits.get()).as("counter").isEqualTo(total);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            if (!latch.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the writers were never started");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
