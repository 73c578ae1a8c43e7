package io.protobase;

import io.protobase.collection.CountedSet;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Serializable isolation under real concurrency: eight threads released together by a start gate
 * commit against one database. Each test checks an invariant that a lost update, a double apply or
 * a spurious conflict would break.
 */
class ConcurrencyTest {

    private static final int THREADS = 8;

    private final ObjectSpace space = new ObjectSpace(createStorage());
    private final Database db = space.getDatabase("db");

    /** The storage the workloads run on; subclasses rerun them on other backends. */
    SharedStorage createStorage() {
        return new MemoryStorage();
    }

    /**
     * The database the workload thread {@code thread} (0 to 7) commits through; the setup and the final
     * checks use {@code db}. A subclass spreads the threads over several object spaces sharing one storage
     * (the nodes of a cluster).
     */
    Database database(int thread) {
        return db;
    }

    /** The conflicts counted by every object space the workloads committed through. */
    long conflicts() {
        return space.statistics().conflicts();
    }

    @AfterEach
    void close() {
        space.close();
    }

    private void commitRoot(String name, Object value) {
        db.write(tx -> {
            tx.setRootObject(name, value);
            return null;
        });
    }

    // ------------------------------------------------------------------ (a) bank transfers

    private record Transfer(long id, int from, int to, long amount) {
    }

    @Test
    void bankTransfersConserveMoneyAndApplyEachCommittedTransferExactlyOnce() throws Exception {
        int accounts = 100;
        long initial = 1_000;
        int perThread = 400;
        int contendedEvery = 20;
        Dictionary.Builder b = Dictionary.builder();
        for (int a = 0; a < accounts; a++) {
            b.setAt(a, initial);
        }
        commitRoot("accounts", b.build());
        CyclicBarrier overlap = new CyclicBarrier(THREADS);
        AtomicInteger retries = new AtomicInteger();

        List<List<Transfer>> applied = runConcurrently(t -> {
            Random rnd = new Random(1000 + t);
            List<Transfer> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                // every 20th round all eight move 1 to or from account 0, on one snapshot: 7 must retry
                boolean contended = i % contendedEvery == 0;
                int from = contended ? (t % 2 == 0 ? 0 : 1 + t) : rnd.nextInt(accounts);
                int to = contended ? (t % 2 == 0 ? 1 + t : 0) : (from + 1 + rnd.nextInt(accounts - 1)) % accounts;
                Transfer transfer = new Transfer(t * 1_000_000L + i, from, to, contended ? 1 : 1 + rnd.nextInt(100));
                AtomicInteger attempts = new AtomicInteger();
                boolean done;
                try {
                    done = database(t).write(tx -> {
                        Dictionary d = tx.getRootObject("accounts", Dictionary.class);
                        long fromBalance = d.getAt(transfer.from(), Long.class);
                        long toBalance = d.getAt(transfer.to(), Long.class);
                        if (attempts.incrementAndGet() > 1) {
                            retries.incrementAndGet();
                        } else if (contended) {
                            awaitInsideTransaction(overlap); // every snapshot of the round precedes any commit
                        }
                        if (fromBalance < transfer.amount()) {
                            return false; // refused: insufficient funds, nothing written
                        }
                        tx.setRootObject("accounts", d.setAt(transfer.from(), fromBalance - transfer.amount())
                                .setAt(transfer.to(), toBalance + transfer.amount()));
                        return true;
                    });
                } catch (ConflictException gaveUp) {
                    // write() ran out of attempts (conflicts, or on a shared storage lost publication races):
                    // nothing of this transfer was committed
                    done = false;
                }
                if (done) {
                    mine.add(transfer);
                }
            }
            return mine;
        });

        long[] expected = new long[accounts];
        java.util.Arrays.fill(expected, initial);
        int count = 0;
        for (List<Transfer> mine : applied) {
            for (Transfer tr : mine) {
                expected[tr.from()] -= tr.amount();
                expected[tr.to()] += tr.amount();
                count++;
            }
        }
        assertThat(count).as("committed transfers").isGreaterThan(THREADS * perThread / 2);
        // the first contended round meets full balances: all eight write account 0, so seven conflict
        assertThat(conflicts()).as("conflicts").isGreaterThanOrEqualTo(THREADS - 1);
        assertThat(retries.get()).as("transfers retried by write()").isGreaterThanOrEqualTo(THREADS - 1);
        Dictionary finalAccounts = db.read(tx -> tx.getRootObject("accounts", Dictionary.class));
        assertThat(finalAccounts.count()).isEqualTo(accounts);
        long total = 0;
        for (int a = 0; a < accounts; a++) {
            long balance = finalAccounts.getAt(a, Long.class);
            assertThat(balance).as("balance of account %d", a).isEqualTo(expected[a]).isNotNegative();
            total += balance;
        }
        assertThat(total).isEqualTo(accounts * initial);
    }

    // ------------------------------------------------------------------ (b) counters

    @Test
    void counterInALongRootCountsExactlyTheSuccessfulCommits() throws Exception {
        commitRoot("counter", 0L);
        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<long[]> outcomes = runConcurrently(t -> {
            long ok = 0;
            long conflicts = 0;
            for (int i = 0; i < 300; i++) {
                Transaction tx = database(t).newTransaction();
                try {
                    tx.setRootObject("counter", tx.getRootObject("counter", Long.class) + 1);
                    if (i % 10 == 0) {
                        awaitAll(overlap); // eight increments read before any commits: at most one commits
                    }
                    tx.commit();
                    ok++;
                } catch (ConflictException e) {
                    conflicts++;
                    assertThat(e.root()).isEqualTo("counter");
                    assertThat(tx.state()).isEqualTo(Transaction.State.FAILED);
                } finally {
                    tx.close();
                }
            }
            return new long[] {ok, conflicts};
        });

        long ok = outcomes.stream().mapToLong(o -> o[0]).sum();
        long conflicts = outcomes.stream().mapToLong(o -> o[1]).sum();
        assertThat(ok + conflicts).isEqualTo(THREADS * 300);
        assertThat(ok).isPositive();
        assertThat(conflicts).as("conflicts").isGreaterThanOrEqualTo(30L * (THREADS - 1));
        assertThat(db.<Object>read(tx -> tx.getRootObject("counter"))).isEqualTo(ok);
        assertThat(conflicts()).isEqualTo(conflicts);
    }

    @Test
    void counterUnderADictionaryKeyCountsExactlyTheSuccessfulCommits() throws Exception {
        commitRoot("counters", Dictionary.of("hits", 0L, "other", "untouched"));
        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<long[]> outcomes = runConcurrently(t -> {
            long ok = 0;
            long conflicts = 0;
            for (int i = 0; i < 300; i++) {
                try (Transaction tx = database(t).newTransaction()) {
                    Dictionary d = tx.getRootObject("counters", Dictionary.class);
                    tx.setRootObject("counters", d.setAt("hits", d.getAt("hits", Long.class) + 1));
                    if (i % 10 == 0) {
                        awaitAll(overlap); // eight increments read before any commits: at most one commits
                    }
                    tx.commit();
                    ok++;
                } catch (ConflictException e) {
                    conflicts++;
                    assertThat(e.root()).isEqualTo("counters");
                    assertThat(e.key()).isEqualTo("hits");
                }
            }
            return new long[] {ok, conflicts};
        });

        long ok = outcomes.stream().mapToLong(o -> o[0]).sum();
        long conflicts = outcomes.stream().mapToLong(o -> o[1]).sum();
        assertThat(ok + conflicts).isEqualTo(THREADS * 300);
        assertThat(ok).isPositive();
        assertThat(conflicts).as("conflicts").isGreaterThanOrEqualTo(30L * (THREADS - 1));
        Dictionary d = db.read(tx -> tx.getRootObject("counters", Dictionary.class));
        assertThat(d.getAt("hits")).isEqualTo(ok);
        assertThat(d.getAt("other")).isEqualTo("untouched");
    }

    @Test
    void ofEightIncrementsOnTheSameSnapshotExactlyOneCommits() throws Exception {
        commitRoot("counter", 0L);
        commitRoot("counters", Dictionary.of("hits", 0L));
        int rounds = 60;
        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<long[]> outcomes = runConcurrently(t -> {
            long rootOk = 0;
            long keyOk = 0;
            for (int i = 0; i < rounds; i++) {
                Transaction tx = database(t).newTransaction();
                boolean byKey = i % 2 == 1;
                if (byKey) {
                    Dictionary d = tx.getRootObject("counters", Dictionary.class);
                    tx.setRootObject("counters", d.setAt("hits", d.getAt("hits", Long.class) + 1));
                } else {
                    tx.setRootObject("counter", tx.getRootObject("counter", Long.class) + 1);
                }
                awaitAll(overlap); // all eight snapshots are taken before anyone commits
                try {
                    tx.commit();
                    if (byKey) {
                        keyOk++;
                    } else {
                        rootOk++;
                    }
                } catch (ConflictException e) {
                    assertThat(e.root()).isEqualTo(byKey ? "counters" : "counter");
                }
                awaitAll(overlap); // the round is over before the next snapshot
            }
            return new long[] {rootOk, keyOk};
        });

        assertThat(outcomes.stream().mapToLong(o -> o[0]).sum()).isEqualTo(rounds / 2);
        assertThat(outcomes.stream().mapToLong(o -> o[1]).sum()).isEqualTo(rounds / 2);
        assertThat(db.<Object>read(tx -> tx.getRootObject("counter"))).isEqualTo((long) rounds / 2);
        assertThat(db.<Object>read(tx -> tx.getRootObject("counters", Dictionary.class).getAt("hits")))
                .isEqualTo((long) rounds / 2);
        assertThat(conflicts()).isEqualTo((long) rounds * (THREADS - 1));
    }

    // ------------------------------------------------------------------ (c) disjoint keys

    @Test
    void writersOfDisjointKeysOfOneDictionaryNeverConflict() throws Exception {
        commitRoot("shared", Dictionary.of("seed", 0));
        int perThread = 250;
        int keysPerThread = 5;

        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<Long> conflicts = runConcurrently(t -> {
            long conflicted = 0;
            for (int i = 0; i < perThread; i++) {
                String key = "t" + t + "-k" + (i % keysPerThread);
                try (Transaction tx = database(t).newTransaction()) {
                    Dictionary d = tx.getRootObject("shared", Dictionary.class);
                    Long v = d.getAt(key, Long.class);
                    tx.setRootObject("shared", d.setAt(key, (v == null ? 0 : v) + 1));
                    if (i % 2 == 0) {
                        awaitAll(overlap); // every 2nd round all eight commit on the same snapshot: 7 rebase
                    }
                    tx.commit();
                } catch (ConflictException e) {
                    conflicted++;
                }
            }
            return conflicted;
        });

        assertThat(conflicts).as("conflicts per thread").containsOnly(0L);
        Dictionary d = db.read(tx -> tx.getRootObject("shared", Dictionary.class));
        assertThat(d.count()).isEqualTo(1 + THREADS * keysPerThread);
        for (int t = 0; t < THREADS; t++) {
            for (int k = 0; k < keysPerThread; k++) {
                assertThat(d.getAt("t" + t + "-k" + k)).as("t%d-k%d", t, k).isEqualTo((long) perThread / keysPerThread);
            }
        }
        assertThat(d.getAt("seed")).isEqualTo(0);
        assertThat(conflicts()).isZero();
    }

    @Test
    void commitsRebasedOntoConcurrentOnesLeaveNoUnpublishedVersionsInTheNodeCache() throws Exception {
        commitRoot("shared", Dictionary.of("seed", 0));
        int rounds = 800;
        String padding = "x".repeat(40);
        CyclicBarrier together = new CyclicBarrier(THREADS);
        ThreadBody<Void> writers = t -> {
            for (int i = 0; i < rounds; i++) {
                try (Transaction tx = db.newTransaction()) {
                    Dictionary d = tx.getRootObject("shared", Dictionary.class);
                    tx.setRootObject("shared", d.setAt("t" + t + "-k" + (i % 5), padding + i));
                    awaitAll(together); // all eight commit on the same snapshot: most are rebased
                    tx.commit();
                }
            }
            return null;
        };

        // every commit writes its version of the dictionary (a ~2.5 KB leaf), the rebased ones before the
        // commit lock too. Only the published versions and a bounded number of superseded ones may stay
        // in the cache: after a first run has filled that bound, a second run of as many commits must
        // not grow it (kept, the unpublished versions would add ~2 MB and push out live nodes over time)
        runConcurrently(writers);
        long afterFirst = space.statistics().cacheBytes();
        runConcurrently(writers);
        ObjectSpace.Statistics stats = space.statistics();

        assertThat(stats.commits()).isEqualTo(1 + 2L * THREADS * rounds);
        assertThat(stats.bytesWritten()).isGreaterThan(15_000_000L);
        assertThat(stats.cacheBytes() - afterFirst).as("node cache growth over the second run (first: %,d bytes)",
                afterFirst).isLessThan(500_000L);
        Dictionary d = db.read(tx -> tx.getRootObject("shared", Dictionary.class));
        assertThat(d.getAt("t7-k4")).isEqualTo(padding + (rounds - 1));
    }

    // ------------------------------------------------------------------ (d) write skew

    @Test
    void writeSkewOnTwoKeysOfOneRootLetsExactlyOneCommit() {
        commitRoot("doctors", Dictionary.of("A", "on call", "B", "on call"));
        Transaction first = database(0).newTransaction();
        Transaction second = database(1).newTransaction();

        // each sees both on call and takes only itself off: together they would leave nobody on call
        Dictionary d1 = first.getRootObject("doctors", Dictionary.class);
        assertThat(d1.getAt("A")).isEqualTo("on call");
        assertThat(d1.getAt("B")).isEqualTo("on call");
        first.setRootObject("doctors", d1.setAt("A", "off"));
        Dictionary d2 = second.getRootObject("doctors", Dictionary.class);
        assertThat(d2.getAt("A")).isEqualTo("on call");
        assertThat(d2.getAt("B")).isEqualTo("on call");
        second.setRootObject("doctors", d2.setAt("B", "off"));

        first.commit();
        assertThatThrownBy(second::commit)
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.isRetryable()).isTrue();
                    assertThat(e.database()).isEqualTo("db");
                    assertThat(e.root()).isEqualTo("doctors");
                    assertThat(e.key()).isEqualTo("A");
                    assertThat(e.getMessage()).contains("'doctors'").contains("'A'");
                });

        assertThat(first.state()).isEqualTo(Transaction.State.COMMITTED);
        assertThat(second.state()).isEqualTo(Transaction.State.FAILED);
        Dictionary result = db.read(tx -> tx.getRootObject("doctors", Dictionary.class));
        assertThat(result.asMap()).isEqualTo(Map.of("A", "off", "B", "on call"));
    }

    @Test
    void writeSkewOnTwoRootsLetsExactlyOneCommit() {
        db.write(tx -> {
            tx.setRootObject("A", 1L);
            tx.setRootObject("B", 1L);
            return null;
        });
        Transaction first = database(0).newTransaction();
        Transaction second = database(1).newTransaction();
        long sum1 = first.getRootObject("A", Long.class) + first.getRootObject("B", Long.class);
        long sum2 = second.getRootObject("A", Long.class) + second.getRootObject("B", Long.class);
        first.setRootObject("A", -sum1);
        second.setRootObject("B", -sum2);

        first.commit();
        assertThatThrownBy(second::commit)
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.isRetryable()).isTrue();
                    assertThat(e.root()).isEqualTo("A");
                    assertThat(e.key()).isNull();
                });

        assertThat(db.<Object>read(tx -> tx.getRootObject("A"))).isEqualTo(-2L);
        assertThat(db.<Object>read(tx -> tx.getRootObject("B"))).isEqualTo(1L);
    }

    // ------------------------------------------------------------------ blind writes that rebase

    @Test
    void blindAppendsToAListFromEightThreadsAllCommitWithoutConflict() throws Exception {
        commitRoot("log", ProtoList.empty());
        int perThread = 200;

        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<Long> conflicts = runConcurrently(t -> {
            long conflicted = 0;
            for (int i = 0; i < perThread; i++) {
                try (Transaction tx = database(t).newTransaction()) {
                    ProtoList l = tx.getRootObject("log", ProtoList.class);
                    tx.setRootObject("log", l.appendLast(t * 10_000 + i));
                    if (i % 2 == 0) {
                        awaitAll(overlap);
                    }
                    tx.commit();
                } catch (ConflictException e) {
                    conflicted++;
                }
            }
            return conflicted;
        });

        assertThat(conflicts).containsOnly(0L);
        ProtoList log = db.read(tx -> tx.getRootObject("log", ProtoList.class));
        List<Object> elements = log.asList();
        assertThat(elements).hasSize(THREADS * perThread).doesNotHaveDuplicates();
        Map<Integer, List<Integer>> byThread = new HashMap<>();
        for (Object e : elements) {
            int v = (Integer) e;
            byThread.computeIfAbsent(v / 10_000, k -> new ArrayList<>()).add(v % 10_000);
        }
        for (int t = 0; t < THREADS; t++) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                expected.add(i);
            }
            assertThat(byThread.get(t)).as("appends of thread %d, in its commit order", t)
                    .containsExactlyElementsOf(expected);
        }
    }

    @Test
    void blindAddsToACountedSetFromEightThreadsAllCommitWithRightTotals() throws Exception {
        commitRoot("tags", CountedSet.empty());
        int perThread = 200;

        CyclicBarrier overlap = new CyclicBarrier(THREADS);

        List<Long> conflicts = runConcurrently(t -> {
            long conflicted = 0;
            for (int i = 0; i < perThread; i++) {
                try (Transaction tx = database(t).newTransaction()) {
                    CountedSet s = tx.getRootObject("tags", CountedSet.class);
                    s = s.add("tag" + (i % 5));
                    if (i % 10 == 0) {
                        s = s.add("bulk", 3);
                    }
                    tx.setRootObject("tags", s);
                    if (i % 2 == 0) {
                        awaitAll(overlap);
                    }
                    tx.commit();
                } catch (ConflictException e) {
                    conflicted++;
                }
            }
            return conflicted;
        });

        assertThat(conflicts).containsOnly(0L);
        CountedSet tags = db.read(tx -> tx.getRootObject("tags", CountedSet.class));
        for (int k = 0; k < 5; k++) {
            assertThat(tags.getCount("tag" + k)).isEqualTo(THREADS * perThread / 5);
        }
        assertThat(tags.getCount("bulk")).isEqualTo(THREADS * (perThread / 10) * 3L);
        assertThat(tags.count()).isEqualTo(6);
        assertThat(tags.totalCount()).isEqualTo(THREADS * perThread + THREADS * (perThread / 10) * 3L);
    }

    // ------------------------------------------------------------------ group commit failures

    @Test
    void storageFailureWhilePublishingABatchAcknowledgesNoneOfItsCommits() throws Exception {
        assertFailedBatchAcknowledgesNothing(() -> new StorageException("simulated: disk full"));
    }

    @Test
    void errorWhilePublishingABatchAcknowledgesNoneOfItsCommits() throws Exception {
        // e.g. an optional dependency of a backend missing at run time
        assertFailedBatchAcknowledgesNothing(() -> new NoClassDefFoundError("simulated/MissingOptionalDependency"));
    }

    /**
     * Commit A leads a batch and is held inside the storage's compare-and-set of the root (its batch is formed
     * by then: a leader takes what was queued until it read the root to build on); meanwhile B and C queue up
     * behind it, so they form the next batch together. Publishing that batch fails: neither B nor C may be
     * acknowledged, and the space must keep working.
     */
    private void assertFailedBatchAcknowledgesNothing(Supplier<Throwable> fault) throws Exception {
        AtomicBoolean armed = new AtomicBoolean();
        AtomicInteger casCalls = new AtomicInteger();
        CountDownLatch firstInLock = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        ForwardingStorage faulty = new ForwardingStorage(new MemoryStorage()) {
            @Override
            public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
                int call = armed.get() ? casCalls.incrementAndGet() : 0;
                if (call == 1) {
                    firstInLock.countDown();
                    awaitUninterruptibly(releaseFirst);
                } else if (call == 2) {
                    Throwable t = fault.get();
                    if (t instanceof Error e) {
                        throw e;
                    }
                    throw (RuntimeException) t;
                }
                return super.compareAndSetRoot(lock, expected, newRoot);
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (ObjectSpace faultySpace = new ObjectSpace(faulty)) {
            Database fdb = faultySpace.getDatabase("db");
            armed.set(true);
            Future<Throwable> a = pool.submit(() -> commitCatching(fdb, "a"));
            assertThat(firstInLock.await(30, TimeUnit.SECONDS)).isTrue();
            Thread[] queued = new Thread[2];
            CountDownLatch started = new CountDownLatch(2);
            List<Future<Throwable>> bc = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int n = i;
                String root = i == 0 ? "b" : "c";
                bc.add(pool.submit(() -> {
                    queued[n] = Thread.currentThread();
                    started.countDown();
                    return commitCatching(fdb, root);
                }));
            }
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> waitingToCommit(queued[0]) && waitingToCommit(queued[1]));

            releaseFirst.countDown();

            assertThat(a.get(1, TimeUnit.MINUTES)).as("commit of the first batch").isNull();
            List<String> acknowledgedButLost = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String root = i == 0 ? "b" : "c";
                Throwable failure = bc.get(i).get(1, TimeUnit.MINUTES);
                boolean visible = fdb.read(tx -> tx.getRootObject(root)) != null;
                if (failure == null && !visible) {
                    acknowledgedButLost.add(root);
                }
                assertThat(visible).as("root %s of the failed batch", root).isFalse();
            }
            assertThat(acknowledgedButLost).as("commits acknowledged but never published").isEmpty();
            assertThat(fdb.<Object>read(tx -> tx.getRootObject("a"))).isEqualTo(1);

            armed.set(false);
            assertThat(commitCatching(fdb, "d")).as("a commit after the failure").isNull();
            assertThat(fdb.<Object>read(tx -> tx.getRootObject("d"))).isEqualTo(1);
        } finally {
            releaseFirst.countDown();
            pool.shutdownNow();
        }
    }

    private static Throwable commitCatching(Database db, String root) {
        try (Transaction tx = db.newTransaction()) {
            tx.setRootObject(root, 1);
            tx.commit();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Whether {@code t} is parked in the group-commit queue of an object space. */
    private static boolean waitingToCommit(Thread t) {
        if (t == null || (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING)) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(CommitPipeline.class.getName()) && e.getMethodName().equals("submit")) {
                return true;
            }
        }
        return false;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            if (!latch.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("test latch never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code body} on {@link #THREADS} threads released together; results in thread order. */
    private static <T> List<T> runConcurrently(ThreadBody<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                futures.add(pool.submit((Callable<T>) () -> {
                    ready.countDown();
                    start.await();
                    return body.run(id);
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(3, TimeUnit.MINUTES));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void awaitAll(CyclicBarrier barrier) throws Exception {
        barrier.await(60, TimeUnit.SECONDS);
    }

    /** {@link #awaitAll} for a transaction function, which cannot throw checked exceptions. */
    private static void awaitInsideTransaction(CyclicBarrier barrier) {
        try {
            awaitAll(barrier);
        } catch (Exception e) {
            throw new IllegalStateException("the other writers never reached the barrier", e);
        }
    }

    @FunctionalInterface
    private interface ThreadBody<T> {
        T run(int thread) throws Exception;
    }
}
