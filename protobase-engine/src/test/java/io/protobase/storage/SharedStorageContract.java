package io.protobase.storage;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The contract of {@link SharedStorage}, rerun for every backend: a backend's test extends this
 * class and says how to create (and, if it persists anything, reopen) an empty storage.
 *
 * <p>What is checked: atoms round-trip byte for byte and are readable at once; pointers are
 * distinct, also under concurrent pushes; a pointer to nothing is a {@link CorruptionException};
 * the root starts {@code null} and changes only through a compare-and-set made under the current
 * commit lock; the commit lock is exclusive and its fencing terms strictly increase; close is
 * idempotent and every later call fails with {@link StorageClosedException}. A backend with a
 * {@link SegmentReclaimer} lists its segments oldest first with only the last one open, releases
 * sealed ones idempotently and answers a read into a released one with {@link SegmentReleasedException}.
 *
 * <p>Timeouts in here only keep a broken backend from hanging the build; no test asserts speed.
 */
public abstract class SharedStorageContract {

    /** Generous bound for waits that succeed at once on a correct backend. */
    protected static final Duration LONG_WAIT = Duration.ofSeconds(30);

    private final List<SharedStorage> opened = Collections.synchronizedList(new ArrayList<>());

    /** The storage under test, created empty before each test. */
    protected SharedStorage storage;

    /** Creates a new, empty storage; each call gives an independent one. */
    protected abstract SharedStorage createStorage();

    /**
     * Opens again the location of {@code closed} (already closed), or returns {@code null} when the
     * backend keeps nothing beyond close (then the durability tests are skipped).
     */
    protected SharedStorage reopen(SharedStorage closed) {
        return null;
    }

    @BeforeEach
    void openStorage() {
        storage = track(createStorage());
    }

    @AfterEach
    void closeStorages() {
        synchronized (opened) {
            for (SharedStorage s : opened) {
                try {
                    s.close();
                } catch (RuntimeException ignored) {
                    // a test may leave a storage in a failed state; closing is best effort here
                }
            }
            opened.clear();
        }
    }

    /** Registers a storage to be closed after the test. */
    protected SharedStorage track(SharedStorage s) {
        opened.add(s);
        return s;
    }

    // ------------------------------------------------------------------ atoms

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 2, 7, 127, 128, 255, 256, 4095, 4096, 65_535, 65_536, 1_000_000, 1 << 20})
    void pushedBytesReadBackExactly(int size) {
        byte[] atom = randomBytes(new Random(size), size);

        AtomPointer p = storage.push(atom);

        assertThat(p).isNotNull();
        assertThat(storage.read(p)).isEqualTo(atom);
    }

    @Test
    void pushedAtomIsReadableAtOnceWithoutFlush() {
        Random rnd = new Random(1);
        for (int i = 0; i < 200; i++) {
            byte[] atom = randomBytes(rnd, rnd.nextInt(300));
            AtomPointer p = storage.push(atom);
            assertThat(storage.read(p)).as("atom %d read right after its push", i).isEqualTo(atom);
        }
    }

    @Test
    void atomsStayReadableAfterFlushAndLaterPushes() {
        Random rnd = new Random(2);
        Map<AtomPointer, byte[]> written = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            byte[] atom = randomBytes(rnd, rnd.nextInt(2000));
            written.put(storage.push(atom), atom);
            if (i % 100 == 99) {
                storage.flush();
            }
        }

        written.forEach((p, bytes) -> assertThat(storage.read(p)).as("%s", p).isEqualTo(bytes));
    }

    @Test
    void everyPushGetsItsOwnPointerEvenForEqualBytes() {
        byte[] atom = {1, 2, 3};
        Set<AtomPointer> pointers = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            pointers.add(storage.push(atom));
        }
        assertThat(pointers).hasSize(100);
    }

    @Test
    void changingThePushedArrayAfterwardsDoesNotChangeTheAtom() {
        byte[] atom = {10, 20, 30, 40};
        AtomPointer p = storage.push(atom);

        atom[0] = 99;

        assertThat(storage.read(p)).containsExactly(10, 20, 30, 40);
    }

    @Test
    void atomsHandedOverReadBackExactlyBesideCopiedOnes() {
        Random rnd = new Random(3);
        Map<AtomPointer, byte[]> written = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            byte[] atom = randomBytes(rnd, rnd.nextInt(2000));
            AtomPointer p = i % 2 == 0 ? storage.pushOwned(atom) : storage.push(atom);
            assertThat(written.put(p, atom)).as("pointer %s given twice", p).isNull();
        }

        written.forEach((p, bytes) -> assertThat(storage.read(p)).as("%s", p).isEqualTo(bytes));
    }

    @Test
    void changingAReadArrayOfAnAtomHandedOverDoesNotChangeTheAtom() {
        AtomPointer p = storage.pushOwned(new byte[] {5, 6, 7});

        storage.read(p)[1] = 0;

        assertThat(storage.read(p)).containsExactly(5, 6, 7);
    }

    @Test
    void changingAReadArrayDoesNotChangeTheAtom() {
        AtomPointer p = storage.push(new byte[] {5, 6, 7});

        storage.read(p)[1] = 0;

        assertThat(storage.read(p)).containsExactly(5, 6, 7);
    }

    @Test
    void readingAPointerToNothingThrowsCorruptionExceptionNamingIt() {
        storage.push(new byte[] {1});
        for (AtomPointer unknown : List.of(new AtomPointer(Long.MAX_VALUE - 12_345, 987_654_321L),
                new AtomPointer(-1, -1))) {
            assertThatThrownBy(() -> storage.read(unknown))
                    .as("read of %s", unknown)
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(String.valueOf(unknown.segmentId()))
                    .hasMessageContaining(String.valueOf(unknown.offset()));
        }
    }

    @Test
    void concurrentPushesFromEightThreadsGetDistinctPointersAndKeepTheirBytes() throws Exception {
        int threads = 8;
        int perThread = 1_500;
        List<Map<AtomPointer, byte[]>> results = runConcurrently(threads, t -> {
            Random rnd = new Random(100 + t);
            Map<AtomPointer, byte[]> mine = new HashMap<>();
            for (int i = 0; i < perThread; i++) {
                byte[] atom = randomBytes(rnd, 8 + rnd.nextInt(600));
                // thread and index in the first bytes: every atom is different
                ByteBuffer.wrap(atom).putInt(t).putInt(i);
                AtomPointer p = storage.push(atom);
                assertThat(mine.put(p, atom)).as("pointer %s handed out twice to one thread", p).isNull();
            }
            return mine;
        });

        Map<AtomPointer, byte[]> all = new HashMap<>();
        for (Map<AtomPointer, byte[]> m : results) {
            m.forEach((p, bytes) -> assertThat(all.put(p, bytes)).as("pointer %s handed out twice", p).isNull());
        }
        assertThat(all).hasSize(threads * perThread);
        all.forEach((p, bytes) -> assertThat(storage.read(p)).as("%s", p).isEqualTo(bytes));
    }

    // ------------------------------------------------------------------ root

    @Test
    void rootOfANewStorageIsNull() {
        assertThat(storage.readRoot()).isNull();
    }

    @Test
    void compareAndSetRootFromNullWithTheLockSucceeds() {
        AtomPointer first = storage.push(new byte[] {1});

        try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, null, first)).isTrue();
        }

        assertThat(storage.readRoot()).isEqualTo(first);
    }

    @Test
    void compareAndSetRootWithTheCurrentRootAsExpectedSucceeds() {
        AtomPointer first = storage.push(new byte[] {1});
        AtomPointer second = storage.push(new byte[] {2});

        try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, null, first)).isTrue();
            assertThat(storage.compareAndSetRoot(lock, first, second)).isTrue();
        }

        assertThat(storage.readRoot()).isEqualTo(second);
    }

    @Test
    void compareAndSetRootWithAStaleExpectedReturnsFalseAndKeepsTheRoot() {
        AtomPointer first = storage.push(new byte[] {1});
        AtomPointer second = storage.push(new byte[] {2});
        AtomPointer third = storage.push(new byte[] {3});
        publish(null, first);
        publish(first, second);

        try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, first, third)).as("expected = an old root").isFalse();
            assertThat(storage.compareAndSetRoot(lock, null, third)).as("expected = no root").isFalse();
        }

        assertThat(storage.readRoot()).isEqualTo(second);
    }

    @Test
    void compareAndSetRootWithAReleasedLockFailsClearlyAndKeepsTheRoot() {
        AtomPointer first = storage.push(new byte[] {1});
        publish(null, first);
        AtomPointer second = storage.push(new byte[] {2});
        CommitLock released = storage.acquireCommitLock(LONG_WAIT);
        released.close();

        assertThatThrownBy(() -> storage.compareAndSetRoot(released, first, second))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("lock");
        assertThat(storage.readRoot()).isEqualTo(first);
    }

    @Test
    void compareAndSetRootWithALockSupersededByANewerGrantFails() {
        AtomPointer first = storage.push(new byte[] {1});
        CommitLock old = storage.acquireCommitLock(LONG_WAIT);
        old.close();
        try (CommitLock current = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(current.term()).isGreaterThan(old.term());
            assertThatThrownBy(() -> storage.compareAndSetRoot(old, null, first))
                    .isInstanceOf(StorageException.class);
            assertThat(storage.readRoot()).isNull();
        }
    }

    @Test
    void compareAndSetRootWithoutAnyLockFailsClearly() {
        AtomPointer first = storage.push(new byte[] {1});

        assertThatThrownBy(() -> storage.compareAndSetRoot(null, null, first))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("lock");
        assertThat(storage.readRoot()).isNull();
    }

    @Test
    void compareAndSetRootWithAForgedLockFailsClearly() {
        AtomPointer first = storage.push(new byte[] {1});
        CommitLock forged = new CommitLock() {
            @Override
            public long term() {
                return Long.MAX_VALUE;
            }

            @Override
            public void close() {
            }
        };

        assertThatThrownBy(() -> storage.compareAndSetRoot(forged, null, first))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("lock");
        assertThat(storage.readRoot()).isNull();
    }

    @Test
    void compareAndSetRootWithTheLockOfAnotherStorageFails() {
        SharedStorage other = track(createStorage());
        AtomPointer first = storage.push(new byte[] {1});
        // both storages have granted (and released) their lock before, so their terms line up
        storage.acquireCommitLock(LONG_WAIT).close();

        try (CommitLock foreign = other.acquireCommitLock(LONG_WAIT)) {
            assertThatThrownBy(() -> storage.compareAndSetRoot(foreign, null, first))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("lock");
        }
        assertThat(storage.readRoot()).isNull();
    }

    @Test
    void committersTakingTurnsUnderTheLockNeverLoseAnUpdate() throws Exception {
        int threads = 8;
        int perThread = 40;
        try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, null, storage.push(counterAtom(0)))).isTrue();
        }

        runConcurrently(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
                    AtomPointer root = storage.readRoot();
                    long value = ByteBuffer.wrap(storage.read(root)).getLong();
                    AtomPointer next = storage.push(counterAtom(value + 1));
                    assertThat(storage.compareAndSetRoot(lock, root, next))
                            .as("CAS under the lock on the root just read").isTrue();
                }
            }
            return null;
        });

        assertThat(ByteBuffer.wrap(storage.read(storage.readRoot())).getLong()).isEqualTo(threads * perThread);
    }

    // ------------------------------------------------------------------ commit lock

    @Test
    void commitLockIsExclusiveAcrossThreads() throws Exception {
        try (CommitLock held = storage.acquireCommitLock(LONG_WAIT)) {
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<Throwable> attempt = other.submit(
                        () -> catchThrowable(() -> storage.acquireCommitLock(Duration.ofMillis(50)).close()));
                assertThat(attempt.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS))
                        .as("a second acquirer while the lock (term %d) is held", held.term())
                        .isInstanceOf(StorageException.class)
                        .isNotInstanceOf(StorageClosedException.class)
                        .hasMessageContaining("lock");
            } finally {
                other.shutdownNow();
            }
        }
    }

    @Test
    void waitingAcquirerGetsTheLockOnlyAfterItIsReleased() throws Exception {
        AtomicBoolean released = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        CommitLock held = storage.acquireCommitLock(LONG_WAIT);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Thread[] waiter = new Thread[1];
            Future<Long> second = other.submit(() -> {
                waiter[0] = Thread.currentThread();
                started.countDown();
                try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
                    assertThat(released).as("acquired while the first grant was still held").isTrue();
                    return lock.term();
                }
            });
            assertThat(started.await(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            awaitBlockedIfPossible(waiter[0]);
            assertThat(second).isNotDone();

            released.set(true);
            held.close();

            assertThat(second.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isGreaterThan(held.term());
        } finally {
            held.close();
            other.shutdownNow();
        }
    }

    @Test
    void fencingTermsStrictlyIncrease() {
        long last = Long.MIN_VALUE;
        for (int i = 0; i < 100; i++) {
            try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
                assertThat(lock.term()).isGreaterThan(last);
                last = lock.term();
            }
        }
    }

    @Test
    void fencingTermsStrictlyIncreaseInGrantOrderAcrossThreads() throws Exception {
        List<Long> inGrantOrder = Collections.synchronizedList(new ArrayList<>());
        runConcurrently(8, t -> {
            for (int i = 0; i < 50; i++) {
                try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
                    inGrantOrder.add(lock.term()); // appended while holding the lock: grant order
                }
            }
            return null;
        });

        assertThat(inGrantOrder).hasSize(400).isSortedAccordingTo(Long::compare).doesNotHaveDuplicates();
    }

    @Test
    void closingALockAgainDoesNotReleaseALaterGrant() throws Exception {
        CommitLock first = storage.acquireCommitLock(LONG_WAIT);
        first.close();
        first.close();
        try (CommitLock second = storage.acquireCommitLock(LONG_WAIT)) {
            first.close();

            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<Throwable> attempt = other.submit(
                        () -> catchThrowable(() -> storage.acquireCommitLock(Duration.ofMillis(50)).close()));
                assertThat(attempt.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS))
                        .as("the lock (term %d) must still be held", second.term())
                        .isInstanceOf(StorageException.class);
            } finally {
                other.shutdownNow();
            }
            assertThat(storage.compareAndSetRoot(second, null, storage.push(new byte[] {1}))).isTrue();
        }
    }

    // ------------------------------------------------------------------ close

    @Test
    void closeIsIdempotent() {
        storage.push(new byte[] {1});
        storage.close();
        storage.close();
        storage.close();
    }

    @Test
    void everyOperationAfterCloseThrowsStorageClosedException() {
        AtomPointer p = storage.push(new byte[] {1, 2});
        publish(null, p);
        CommitLock stale = storage.acquireCommitLock(LONG_WAIT);
        stale.close();
        storage.close();

        Map<String, Runnable> operations = new java.util.LinkedHashMap<>();
        operations.put("push", () -> storage.push(new byte[] {3}));
        operations.put("read", () -> storage.read(p));
        operations.put("readRoot", () -> storage.readRoot());
        operations.put("acquireCommitLock", () -> storage.acquireCommitLock(Duration.ofMillis(10)));
        operations.put("compareAndSetRoot", () -> storage.compareAndSetRoot(stale, p, p));
        operations.put("flush", () -> storage.flush());
        operations.forEach((name, op) -> assertThatThrownBy(op::run)
                .as(name + " after close")
                .isInstanceOf(StorageClosedException.class)
                .hasMessageContaining("closed"));
    }

    @Test
    void releasingAHeldLockAfterCloseDoesNotThrow() {
        CommitLock lock = storage.acquireCommitLock(LONG_WAIT);
        storage.close();

        lock.close();
        lock.close();
    }

    // ------------------------------------------------------------------ durability (persistent backends)

    @Test
    void atomsAndRootSurviveReopen() {
        Random rnd = new Random(3);
        Map<AtomPointer, byte[]> written = new HashMap<>();
        AtomPointer root = null;
        for (int i = 0; i < 50; i++) {
            byte[] atom = randomBytes(rnd, rnd.nextInt(5000));
            AtomPointer p = storage.push(atom);
            written.put(p, atom);
            if (i % 10 == 9) {
                publish(root, p);
                root = p;
            }
        }
        storage.close();

        SharedStorage reopened = reopen(storage);
        assumeThat(reopened).as("backend keeps nothing after close").isNotNull();
        track(reopened);

        assertThat(reopened.readRoot()).isEqualTo(root);
        written.forEach((p, bytes) -> assertThat(reopened.read(p)).as("%s", p).isEqualTo(bytes));
    }

    // ------------------------------------------------------------------ helpers

    /** Publishes {@code next} as the root, expecting {@code expected}. */
    protected void publish(AtomPointer expected, AtomPointer next) {
        try (CommitLock lock = storage.acquireCommitLock(LONG_WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, expected, next)).isTrue();
        }
    }

    protected static byte[] randomBytes(Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] counterAtom(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    /** Waits (bounded) until {@code thread} parks, so a release really hands the lock over. */
    private static void awaitBlockedIfPossible(Thread thread) {
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                Thread.State s = thread.getState();
                return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED;
            });
        } catch (ConditionTimeoutException e) {
            // a backend may wait without parking (e.g. reading a socket); the ordering check still holds
        }
    }

    /**
     * Runs {@code body} on {@code threads} threads released together by a start gate and returns
     * their results in thread order; rethrows the first failure.
     */
    protected static <T> List<T> runConcurrently(int threads, ThreadBody<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit((Callable<T>) () -> {
                    ready.countDown();
                    start.await();
                    return body.run(id);
                }));
            }
            assertThat(ready.await(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(2, TimeUnit.MINUTES));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The work of one thread of {@link #runConcurrently}. */
    @FunctionalInterface
    protected interface ThreadBody<T> {
        T run(int thread) throws Exception;
    }

    /**
     * Pushes atoms until the storage has sealed a segment (bounded, so that a backend with huge
     * segments skips the reclaimer checks rather than filling the disk); returns the atoms pushed.
     */
    private List<AtomPointer> fillUntilASegmentIsSealed(SegmentReclaimer reclaimer) {
        List<AtomPointer> pushed = new ArrayList<>();
        byte[] atom = new byte[64 * 1024];
        for (int i = 0; i < 1024 && reclaimer.segments().stream().noneMatch(SegmentReclaimer.Segment::sealed); i++) {
            atom[0] = (byte) i;
            pushed.add(storage.push(atom));
        }
        assumeThat(reclaimer.segments()).as("a segment was sealed within 64 MiB")
                .anyMatch(SegmentReclaimer.Segment::sealed);
        return pushed;
    }

    @Test
    void aReclaimerListsItsSegmentsOldestFirstWithOnlyTheLastOneStillBeingWritten() {
        SegmentReclaimer reclaimer = storage.reclaimer().orElse(null);
        assumeThat(reclaimer).as("backend releases no segments").isNotNull();
        List<AtomPointer> pushed = fillUntilASegmentIsSealed(reclaimer);
        storage.push(new byte[] {1});

        List<SegmentReclaimer.Segment> segments = reclaimer.segments();
        assertThat(segments).extracting(SegmentReclaimer.Segment::id).isSorted().doesNotHaveDuplicates();
        assertThat(segments.subList(0, segments.size() - 1)).allMatch(SegmentReclaimer.Segment::sealed);
        assertThat(segments.get(segments.size() - 1).sealed()).isFalse();
        assertThat(segments.get(segments.size() - 1).id()).isEqualTo(reclaimer.writingSegment());
        assertThat(pushed).allMatch(p -> segments.stream().anyMatch(s -> s.id() == p.segmentId()));
    }

    @Test
    protected void releasingASealedSegmentIsIdempotentAndReadsIntoItFailWithSegmentReleasedException() {
        SegmentReclaimer reclaimer = storage.reclaimer().orElse(null);
        assumeThat(reclaimer).as("backend releases no segments").isNotNull();
        List<AtomPointer> pushed = fillUntilASegmentIsSealed(reclaimer);
        SegmentReclaimer.Segment sealed = reclaimer.segments().get(0);
        AtomPointer gone = pushed.stream().filter(p -> p.segmentId() == sealed.id()).findFirst().orElseThrow();
        AtomPointer kept = storage.push(new byte[] {42});

        reclaimer.release(List.of(sealed.id()));
        reclaimer.release(List.of(sealed.id()));

        assertThat(reclaimer.segments()).noneMatch(s -> s.id() == sealed.id());
        assertThat(storage.read(kept)).containsExactly(42);
        assertThatThrownBy(() -> storage.read(gone))
                .isInstanceOf(SegmentReleasedException.class)
                .hasMessageContaining(gone.toString());
        assertThatThrownBy(() -> reclaimer.release(List.of(reclaimer.writingSegment())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    protected void aSegmentSizeLimitSealsSegmentsAtThatSizeAndTheirReleaseKeepsEverythingPushedLater() {
        SegmentReclaimer reclaimer = storage.reclaimer().orElse(null);
        assumeThat(reclaimer).as("backend releases no segments").isNotNull();
        AtomPointer before = storage.push(new byte[] {1, 2, 3});
        long first = reclaimer.writingSegment();

        reclaimer.limitSegmentSize(64 * 1024);
        List<AtomPointer> pushed = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pushed.add(storage.push(new byte[16 * 1024]));
        }

        assertThat(reclaimer.writingSegment()).as("segments sealed at the limit").isGreaterThan(first + 1);
        assertThat(reclaimer.segments()).filteredOn(SegmentReclaimer.Segment::sealed)
                .allSatisfy(s -> assertThat(s.bytes()).isLessThanOrEqualTo(64 * 1024 + 64));
        AtomPointer last = pushed.get(pushed.size() - 1);
        reclaimer.release(List.of(first));
        assertThat(storage.read(last)).hasSize(16 * 1024);
        assertThatThrownBy(() -> storage.read(before)).isInstanceOf(SegmentReleasedException.class);
        assertThatThrownBy(() -> reclaimer.limitSegmentSize(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theLargestSegmentSizeLimitSealsNothingEarly() {
        SegmentReclaimer reclaimer = storage.reclaimer().orElse(null);
        assumeThat(reclaimer).as("backend releases no segments").isNotNull();
        reclaimer.limitSegmentSize(Long.MAX_VALUE);
        long first = reclaimer.writingSegment();

        for (int i = 0; i < 20; i++) {
            storage.push(new byte[] {(byte) i});
        }

        assertThat(reclaimer.writingSegment()).isEqualTo(first);
    }
}
