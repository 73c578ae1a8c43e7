package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.Dictionary;
import io.protobase.storage.CommitLock;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static io.protobase.DataRoot.contents;
import static io.protobase.DataRoot.large;
import static io.protobase.DataRoot.medium;
import static io.protobase.DataRoot.put;

/**
 * {@link ObjectSpace#compact()} on the memory storage: what is rewritten, what is released, and that
 * nothing a reader may still need is ever released.
 */
class CompactionTest {

    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    /** Small segments, so that a few commits fill several. */
    private static final long SEGMENT_BYTES = 16 * 1024;

    private final TestClock clock = new TestClock(T0);
    private final MemoryStorage storage = new MemoryStorage(SEGMENT_BYTES);
    private final List<ObjectSpace> spaces = new ArrayList<>();

    @AfterEach
    void close() {
        spaces.forEach(ObjectSpace::close);
    }

    /** A space whose node cache holds almost nothing, so that reads go to the storage rather than to decoded nodes. */
    private ObjectSpace open(Duration retention) {
        return open(storage, retention);
    }

    private ObjectSpace open(MemoryStorage on, Duration retention) {
        ObjectSpace space = ObjectSpace.builder(on).clock(clock).historyRetention(retention).cacheBytes(1)
                .compactionMinDeadBytes(0).build();
        spaces.add(space);
        return space;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void aDictionaryUnderRandomEditsCompactionsAndReopensEqualsItsModel(long seed) {
        Random random = new Random(seed);
        TreeMap<Integer, Object> model = new TreeMap<>();
        // segments of several leaves each, so that edits leave them partly live and compaction moves atoms
        MemoryStorage modelStorage = new MemoryStorage(256 * 1024);
        ObjectSpace space = open(modelStorage, Duration.ZERO);
        Database db = space.getDatabase("db");
        long released = 0;
        long rewritten = 0;
        for (int step = 0; step < 300; step++) {
            int op = random.nextInt(100);
            if (op < 75) {
                Map<Integer, Object> edits = new TreeMap<>();
                for (int i = random.nextInt(5); i >= 0; i--) {
                    int key = random.nextInt(400);
                    int kind = random.nextInt(20);
                    edits.put(key, kind < 4 ? null : kind < 5 ? large(random.nextInt())
                            : kind < 12 ? medium(random.nextInt()) : "small " + random.nextInt());
                }
                db.write(tx -> {
                    Dictionary d = tx.getRootObject("data", Dictionary.class);
                    d = d == null ? Dictionary.empty() : d;
                    for (Map.Entry<Integer, Object> e : edits.entrySet()) {
                        d = e.getValue() == null ? d.removeAt(e.getKey()) : d.setAt(e.getKey(), e.getValue());
                    }
                    tx.setRootObject("data", d);
                    return null;
                });
                edits.forEach((k, v) -> {
                    if (v == null) {
                        model.remove(k);
                    } else {
                        model.put(k, v);
                    }
                });
            } else if (op < 92) {
                CompactionResult result = space.compact();
                released += result.segmentsReleased();
                rewritten += result.atomsRewritten();
            } else {
                space = open(modelStorage, Duration.ZERO);
                db = space.getDatabase("db");
            }
            if (step % 25 == 0) {
                assertThat(contents(db)).as("step %d", step).isEqualTo(model);
            }
        }
        released += space.compact().segmentsReleased();

        assertThat(contents(db)).isEqualTo(model);
        assertThat(contents(open(modelStorage, Duration.ZERO).getDatabase("db"))).as("reopened").isEqualTo(model);
        assertThat(released).as("segments released").isPositive();
        assertThat(rewritten).as("atoms rewritten").isPositive();
    }

    /** Writes {@code value(key)} for each key of {@code keys} in one commit. */
    private static void putAll(Database db, java.util.stream.IntStream keys,
            java.util.function.IntFunction<Object> value) {
        int[] ks = keys.toArray();
        db.write(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            d = d == null ? Dictionary.empty() : d;
            for (int k : ks) {
                d = d.setAt(k, value.apply(k));
            }
            tx.setRootObject("data", d);
            return null;
        });
    }

    @Test
    void compactionRewritesTheLiveAtomsOfSparseSegmentsAndReleasesThem() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        for (int batch = 0; batch < 20; batch++) {
            putAll(db, java.util.stream.IntStream.range(batch * 100, batch * 100 + 100),
                    k -> "first " + k + " ".repeat(40));
        }
        // rewrite the leaves of every other batch: the segments holding the first version become about half dead
        for (int batch = 0; batch < 20; batch += 2) {
            putAll(db, java.util.stream.IntStream.range(batch * 100, batch * 100 + 100), k -> "second " + k);
        }
        Map<Object, Object> expected = contents(db);
        long before = storage.bytesStored();

        CompactionResult result = space.compact();

        assertThat(result.segmentsRewritten()).isPositive();
        assertThat(result.atomsRewritten()).isPositive();
        assertThat(result.segmentsReleased()).isPositive();
        assertThat(result.bytesReleased()).isPositive();
        assertThat(storage.bytesStored()).as("freed more than rewritten").isLessThan(before);
        assertThat(contents(db)).isEqualTo(expected).hasSize(2000).containsEntry(0, "second 0")
                .containsEntry(100, "first 100" + " ".repeat(40));
    }

    /**
     * Half-dead segments of 16 KiB: none holds the floor of dead bytes alone, together they do (or not).
     * Returns what a compaction did with that floor.
     */
    private CompactionResult compactHalfDeadSegments(long minDeadBytes, int batches) {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(minDeadBytes).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        for (int batch = 0; batch < batches; batch++) {
            putAll(db, java.util.stream.IntStream.range(batch * 100, batch * 100 + 100),
                    k -> "first " + k + " ".repeat(40));
        }
        for (int batch = 0; batch < batches; batch += 2) {
            putAll(db, java.util.stream.IntStream.range(batch * 100, batch * 100 + 100), k -> "second " + k);
        }
        Map<Object, Object> expected = contents(db);
        CompactionResult result = space.compact();
        assertThat(contents(db)).isEqualTo(expected);
        return result;
    }

    @Test
    void segmentsSmallerThanTheFloorOfDeadBytesAreRewrittenWhenTogetherTheyHoldIt() {
        CompactionResult result = compactHalfDeadSegments(64 * 1024, 40);

        assertThat(result.segmentsRewritten()).as("segments of 16 KiB, together well above 64 KiB dead")
                .isGreaterThan(4);
        assertThat(result.segmentsReleased()).isPositive();
    }

    @Test
    void segmentsHoldingTogetherLessThanTheFloorOfDeadBytesAreNotRewritten() {
        CompactionResult result = compactHalfDeadSegments(64L * 1024 * 1024, 40);

        assertThat(result.segmentsRewritten()).as("all the dead bytes together are below 64 MiB").isZero();
    }

    @Test
    void historyViewsWithinTheRetentionStayReadableAcrossCompactions() {
        ObjectSpace space = open(Duration.ofMinutes(10));
        Database db = space.getDatabase("db");
        put(db, "k", large(-1));
        Instant first = clock.instant();
        clock.advance(Duration.ofMinutes(1));
        Database view = db.at(first);
        for (int i = 0; i < 30; i++) {
            put(db, "k", large(i));
            clock.advance(Duration.ofSeconds(10));
            space.compact();
        }

        assertThat(contents(view)).containsExactly(Map.entry("k", large(-1)));
        assertThat(contents(db.at(first))).containsExactly(Map.entry("k", large(-1)));
        assertThat(contents(db)).containsExactly(Map.entry("k", large(29)));
    }

    @Test
    void aHistoryViewKeepsReadingItsVersionAfterItLeftTheRetentionAcrossCompactions() {
        ObjectSpace space = open(Duration.ofMinutes(1));
        Database db = space.getDatabase("db");
        put(db, "k", large(-1));
        Database view = db.at(clock.instant());
        clock.advance(Duration.ofMinutes(5));
        long released = 0;
        for (int i = 0; i < 30; i++) {
            put(db, "k", large(i));
            clock.advance(Duration.ofMinutes(2)); // every version leaves the retention in turn
            released += space.compact().segmentsReleased();
        }

        assertThat(released).as("segments released around the view's version").isPositive();
        assertThat(contents(view)).containsExactly(Map.entry("k", large(-1)));
    }

    @Test
    void versionsThatLeftTheRetentionAreReleasedByALaterCompaction() {
        ObjectSpace space = open(Duration.ofMinutes(10));
        Database db = space.getDatabase("db");
        for (int i = 0; i < 30; i++) {
            put(db, "k", large(i));
        }
        CompactionResult whileRetained = space.compact();
        long held = storage.bytesStored();
        clock.advance(Duration.ofMinutes(11));

        CompactionResult afterRetention = space.compact();

        assertThat(afterRetention.bytesReleased()).isGreaterThan(whileRetained.bytesReleased());
        assertThat(storage.bytesStored()).isLessThan(held / 2);
        assertThat(contents(db)).containsExactly(Map.entry("k", large(29)));
    }

    @Test
    void aTransactionStartedBeforeACompactionReadsItsSnapshotAfterTheReleasePass() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 20; i++) {
            put(db, i, large(i));
        }
        Map<Object, Object> snapshot = contents(db);
        try (Transaction tx = db.newReadOnlyTransaction()) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 20; i++) {
                    put(db, i, large(1000 * round + i));
                }
            }
            CompactionResult result = space.compact();
            assertThat(result.segmentsReleased()).as("the pass released what the transaction does not reach")
                    .isPositive();

            Dictionary d = tx.getRootObject("data", Dictionary.class);
            Map<Object, Object> read = new TreeMap<>();
            d.forEach(e -> read.put(e.getKey(), e.getValue()));
            assertThat(read).isEqualTo(snapshot);
        }
    }

    @Test
    void transactionsThatReadRootsBeforeACompactionCommitWithoutConflict() {
        // every segment with a dead byte is rewritten: the roots the transactions read move for sure
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionLiveFraction(1).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        db.write(tx -> {
            tx.setRootObject("record", io.protobase.collection.DbObject.of("name", "a", "items",
                    Dictionary.of(1, large(1))));
            tx.setRootObject("data", Dictionary.of(1, large(1), 2, large(2)));
            tx.setRootObject("n", 1);
            return null;
        });
        for (int i = 0; i < 20; i++) {
            int n = i;
            db.write(tx -> { // old versions of another root share segments with the roots read below
                tx.setRootObject("other", "medium " + n + " ".repeat(1000));
                return null;
            });
        }
        storage.push(new byte[(int) SEGMENT_BYTES]); // seals the segment holding the current roots
        Transaction readsRecord = db.newTransaction();
        Transaction readsDictionary = db.newTransaction();
        Object record = readsRecord.getRootObject("record");
        readsRecord.setRootObject("n", 2);
        Dictionary data = readsDictionary.getRootObject("data", Dictionary.class);
        readsDictionary.setRootObject("data", data.setAt(3, data.getAt(1)));

        CompactionResult result = space.compact();
        readsRecord.commit();
        readsDictionary.commit();

        assertThat(result.atomsRewritten()).as("the roots were rewritten under the transactions").isPositive();
        Object recordNow = db.read(tx -> tx.getRootObject("record"));
        Object n = db.read(tx -> tx.getRootObject("n"));
        assertThat(recordNow).isEqualTo(record);
        assertThat(n).isEqualTo(2);
        assertThat(contents(db)).containsEntry(3, large(1)).containsEntry(2, large(2));
        assertThat(space.statistics().conflicts()).isZero();
    }

    /**
     * Small segments seal often (so a segment being written while the release pass looks is soon
     * sealed under it); larger ones hold several leaves, so that compaction moves atoms while the
     * threads commit.
     */
    @ParameterizedTest(name = "segments of {0} bytes")
    @ValueSource(longs = {16 * 1024, 256 * 1024})
    void compactionConcurrentWithFourCommittingThreadsLosesNoCommitAndFailsNone(long segmentBytes) throws Exception {
        ObjectSpace space = open(new MemoryStorage(segmentBytes), Duration.ZERO);
        Database db = space.getDatabase("db");
        int threads = 4;
        int commitsPerThread = 150;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        try {
            List<Future<Integer>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String root = "t" + t;
                writers.add(pool.submit(() -> {
                    start.await();
                    int committed = 0;
                    for (int i = 0; i < commitsPerThread; i++) {
                        int n = i;
                        try (Transaction tx = db.newTransaction()) {
                            Dictionary d = tx.getRootObject(root, Dictionary.class);
                            d = d == null ? Dictionary.empty() : d;
                            tx.setRootObject(root, d.setAt(n % 20, n % 3 == 0 ? medium(n) : "v" + n).setAt("last", n));
                            tx.commit();
                        }
                        committed++;
                    }
                    return committed;
                }));
            }
            Future<Long> compactions = pool.submit(() -> {
                start.await();
                long runs = 0;
                while (writing.get()) {
                    space.compact();
                    runs++;
                }
                return runs;
            });
            start.countDown();
            int committed = 0;
            for (Future<Integer> w : writers) {
                committed += w.get(5, TimeUnit.MINUTES);
            }
            writing.set(false);
            assertThat(compactions.get(5, TimeUnit.MINUTES)).as("compaction runs").isPositive();
            assertThat(committed).isEqualTo(threads * commitsPerThread);
        } finally {
            pool.shutdownNow();
        }
        space.compact();
        for (int t = 0; t < threads; t++) {
            String root = "t" + t;
            Dictionary d = db.read(tx -> tx.getRootObject(root, Dictionary.class));
            assertThat(d.getAt("last")).isEqualTo(commitsPerThread - 1);
            for (int n = commitsPerThread - 20; n < commitsPerThread; n++) {
                assertThat(d.getAt(n % 20)).isEqualTo(n % 3 == 0 ? medium(n) : "v" + n);
            }
        }
        assertThat(space.statistics().conflicts()).isZero();
        assertThat(space.statistics().compactionBytesRewritten()).as("atoms moved under the committers").isPositive();
    }

    @Test
    void aLongRunOfCommitsWithCompactionKeepsTheStoredBytesBounded() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        long most = 0;
        for (int i = 0; i < 2000; i++) {
            put(db, i % 10, large(i));
            if (i % 50 == 49) {
                space.compact();
                most = Math.max(most, storage.bytesStored());
            }
        }

        assertThat(storage.bytesPushed()).as("written in all").isGreaterThan(30L * 1024 * 1024);
        assertThat(most).as("held at most, after each compaction").isLessThan(2L * 1024 * 1024);
    }

    @Test
    void aCommitWhoseAtomsAreWrittenButNotYetPublishedKeepsTheirSegmentThroughACompaction() throws Exception {
        CountDownLatch committing = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicBoolean holdNextCommit = new AtomicBoolean();
        // the commit pushes its atoms, then asks for the commit lock: it waits there until released
        ForwardingStorage held = new ForwardingStorage(storage) {
            @Override
            public CommitLock acquireCommitLock(Duration timeout) {
                if (holdNextCommit.compareAndSet(true, false)) {
                    committing.countDown();
                    try {
                        proceed.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.acquireCommitLock(timeout);
            }
        };
        ObjectSpace space = ObjectSpace.builder(held).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        holdNextCommit.set(true);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> commit = pool.submit(() -> put(db, "k", large(1)));
            committing.await();
            storage.push(new byte[(int) SEGMENT_BYTES]); // seals the segment holding the commit's atoms

            space.compact();
            proceed.countDown();
            commit.get(1, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }

        assertThat(contents(db)).containsExactly(Map.entry("k", large(1)));
    }

    @Test
    void statisticsCountRunsRewrittenBytesAndReleasedSegments() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 40; i++) {
            put(db, i % 4, large(i));
        }

        CompactionResult first = space.compact();
        CompactionResult second = space.compact();

        ObjectSpace.Statistics stats = space.statistics();
        assertThat(stats.compactions()).isEqualTo(2);
        assertThat(stats.compactionBytesRewritten()).isEqualTo(first.bytesRewritten() + second.bytesRewritten());
        assertThat(stats.compactionSegmentsReleased()).isEqualTo(first.segmentsReleased() + second.segmentsReleased())
                .isPositive();
        assertThat(stats.compactionBytesReleased()).isEqualTo(first.bytesReleased() + second.bytesReleased());
        assertThat(stats.compactionLastError()).isNull();
    }

    @Test
    void theBackgroundCompactorReleasesSegmentsWithoutBeingAsked() {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO)
                .compactionMinDeadBytes(0).compactionInterval(Duration.ofMillis(20)).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 100; i++) {
            put(db, i % 4, large(i));
        }

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            assertThat(space.statistics().compactionSegmentsReleased()).isPositive();
            assertThat(storage.bytesStored()).isLessThan(storage.bytesPushed() / 2);
        });
        assertThat(contents(db)).containsEntry(3, large(99));
    }

    /**
     * Writes 20,000 records in batches of 100 keys, then rewrites one batch in {@code every} with a small
     * value, while no compactor runs (closing the space would close the storage): each segment is left about
     * {@code 1 - 1/every} live. Large commits, so that few segments hold nothing but the inner nodes each
     * commit supersedes.
     */
    private void writeSegmentsWithOneBatchIn(int every) {
        Database writer = open(Duration.ZERO).getDatabase("db");
        for (int chunk = 0; chunk < 10; chunk++) {
            putAll(writer, java.util.stream.IntStream.range(chunk * 2000, chunk * 2000 + 2000),
                    k -> "first " + k + " ".repeat(40));
        }
        putAll(writer, java.util.stream.IntStream.range(0, 20_000).filter(k -> k / 100 % every == 0),
                k -> "second " + k);
    }

    @Test
    void theBackgroundCompactorGoesOnAtItsBudgetedPaceAfterTheCommitsStop() {
        goesOnAtItsBudgetedPaceAfterTheCommitsStop(0, Duration.ofDays(1));
    }

    @Test
    void budgetedRunsEachTakingLessThanTheFloorOfDeadBytesGoOnWhenTheVictimsTogetherHoldIt() {
        // half-dead segments of 16 KiB hold 8 KiB dead each: a run, whose budget is at most one second's 32 KiB
        // of live bytes, takes at most four of them, 32 KiB dead, where all of them hold far more than 64 KiB
        goesOnAtItsBudgetedPaceAfterTheCommitsStop(64 * 1024, Duration.ofSeconds(1));
    }

    private void goesOnAtItsBudgetedPaceAfterTheCommitsStop(long minDeadBytes, Duration interval) {
        writeSegmentsWithOneBatchIn(2);
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(minDeadBytes).compactionInterval(interval)
                .compactionBytesPerSecond(32 * 1024).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        Map<Object, Object> expected = contents(db);
        long heldBefore = storage.bytesStored();
        // one commit writing enough to start a run; its budget, earned since the space opened, is tiny
        put(db, -1, "n".repeat(400 * 1024));
        long heldAtStart = heldBefore + 400 * 1024;

        // no commit from here on: only the compactor's own runs (its follow-ups, or the interval's when it is short),
        // each waiting for the budget the next segment needs
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                assertThat(storage.bytesStored()).as("held, of about %,d after the one commit", heldAtStart)
                        .isLessThan(heldAtStart * 3 / 5));
        expected.put(-1, "n".repeat(400 * 1024));
        assertThat(contents(db)).isEqualTo(expected);
    }

    @Test
    void onceTheCommitsPauseTheBackgroundCompactorRewritesSegmentsTooLiveToTakeWhileTheyRan() {
        // segments about three quarters live: above the live fraction of 0.5
        writeSegmentsWithOneBatchIn(4);
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionInterval(Duration.ofDays(1))
                .compactionBytesPerSecond(64L * 1024 * 1024).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        Map<Object, Object> expected = contents(db);
        // one commit writing enough to start a run, which finds no segment less than half live
        put(db, -1, "n".repeat(400 * 1024));
        long heldAtStart = storage.bytesStored();

        // no commit from here on, and the interval is a day away: the compactor looks again once they paused
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                assertThat(storage.bytesStored()).as("held, of %,d after the one commit", heldAtStart)
                        .isLessThan(heldAtStart * 17 / 20));
        expected.put(-1, "n".repeat(400 * 1024));
        assertThat(contents(db)).isEqualTo(expected);
        ObjectSpace.Statistics st = space.statistics();
        assertThat(st.storedBytes()).isEqualTo(storage.bytesStored());
        assertThat(st.liveBytes()).isPositive().isLessThanOrEqualTo(st.storedBytes());
    }

    @Test
    void aBackgroundRunRewritesNoMoreLiveBytesThanItsBudgetButAlwaysTakesEmptySegments() {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionLiveFraction(1).compactionInterval(Duration.ofMillis(10))
                .compactionBytesPerSecond(100).build();
        spaces.add(space);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 40; i++) {
            put(db, i % 4, large(i));
        }

        // runs that overlapped the commits may have moved atoms those commits had just written
        long afterCommits = space.statistics().compactions();
        await().atMost(Duration.ofMinutes(1)).until(() -> space.statistics().compactions() >= afterCommits + 2);
        long rewritten = space.statistics().compactionBytesRewritten();
        long runs = space.statistics().compactions();
        await().atMost(Duration.ofMinutes(1)).until(() -> space.statistics().compactions() >= runs + 3);

        assertThat(space.statistics().compactionBytesRewritten()).as("one byte per run at most: nothing live fits")
                .isEqualTo(rewritten);
        assertThat(space.statistics().compactionSegmentsReleased()).as("segments nothing reaches").isPositive();
        assertThat(contents(db)).containsEntry(3, large(39));
    }

    @Test
    void compactionOptionsOutOfRangeAreRefusedNamingTheValue() {
        ObjectSpace.Builder builder = ObjectSpace.builder(storage);
        assertThatThrownBy(() -> builder.compactionLiveFraction(1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 0 and 1, got 1.5");
        assertThatThrownBy(() -> builder.compactionMinDeadBytes(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got -1");
        assertThatThrownBy(() -> builder.compactionInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> builder.compactionBytesPerSecond(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0 bytes per second");
    }
}
