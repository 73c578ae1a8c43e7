package io.protobase.storage.cluster;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
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
import java.util.concurrent.atomic.AtomicBoolean;
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

    /**
     * Writers of different keys, so that every lost race is only a lost compare-and-set (no real conflict):
     * six on the leader's node, which applies every entry first and wins the races it is in, and one on each
     * other node. Without a turn for the losers, the followers' commits lost to the leader's stream of commits
     * until they failed with {@code CommitContentionException} after {@link Database#write}'s retries; each
     * of them must now get every one of its commits through.
     */
    @Test
    void aBusyLeaderNodeDoesNotStarveTheWritersOnTheOtherNodes() throws InterruptedException {
        cluster = TestCluster.start(3);
        int leader = -1;
        for (int id = 1; id <= 3; id++) {
            spaces.add(new ObjectSpace(cluster.node(id)));
        }
        for (int id = 1; id <= 3 && leader < 0; id++) {
            leader = cluster.node(id).isLeader() ? id : -1;
        }
        assertThat(leader).as("a leader after the spaces opened").isPositive();
        Database onLeader = spaces.get(leader - 1).getDatabase("items");
        onLeader.write(tx -> {
            tx.setRootObject("items", Dictionary.empty());
            return null;
        });
        AtomicBoolean followersDone = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Map<String, LongAdder> done = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> leaderWriters = new ArrayList<>();
        List<Thread> followerWriters = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            Database db = spaces.get(id - 1).getDatabase("items");
            int writers = id == leader ? 6 : 1;
            for (int w = 0; w < writers; w++) {
                String name = "node-" + id + "-writer-" + w;
                boolean follower = id != leader;
                done.put(name, new LongAdder());
                Thread t = new Thread(() -> {
                    awaitUninterruptibly(start);
                    for (int i = 0; follower ? i < 60 : !followersDone.get(); i++) {
                        String key = name + "-" + (i % 10);
                        long value = i;
                        try {
                            db.write(tx -> {
                                Dictionary items = tx.getRootObject("items", Dictionary.class);
                                tx.setRootObject("items", items.setAt(key, value));
                                return null;
                            });
                            done.get(name).increment();
                        } catch (RuntimeException e) {
                            LOG.error("{} failed", name, e);
                            failures.add(e);
                        }
                    }
                }, name);
                (follower ? followerWriters : leaderWriters).add(t);
                t.start();
            }
        }
        start.countDown();
        try {
            for (Thread t : followerWriters) {
                t.join(TIME_LIMIT.multipliedBy(2).toMillis());
            }
        } finally {
            followersDone.set(true);
        }
        for (Thread t : leaderWriters) {
            t.join(TIME_LIMIT.toMillis());
        }
        Map<String, Long> perWriter = new TreeMap<>();
        done.forEach((name, n) -> perWriter.put(name, n.sum()));
        LOG.info("fairness with a busy leader (node {}): commits per writer {}", leader, perWriter);
        assertThat(followerWriters).allMatch(t -> !t.isAlive());
        assertThat(leaderWriters).allMatch(t -> !t.isAlive());
        assertThat(failures).as("failed commits (of different keys: only lost races)").isEmpty();
        for (Thread t : followerWriters) {
            assertThat(perWriter.get(t.getName())).as(t.getName()).isEqualTo(60);
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
