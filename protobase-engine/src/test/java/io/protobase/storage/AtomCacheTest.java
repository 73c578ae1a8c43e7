package io.protobase.storage;

import io.protobase.CorruptionException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class AtomCacheTest {

    /** Generous: only reached if the behaviour under test is broken. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static AtomPointer pointer(long n) {
        return new AtomPointer(7, n);
    }

    @Test
    void staysWithinItsByteBoundWhenMoreWeightIsInserted() {
        AtomCache<byte[]> cache = new AtomCache<>(10_000, b -> b.length);
        for (int i = 0; i < 100; i++) {
            cache.put(pointer(i), new byte[1_000]);
        }
        // eviction runs in Caffeine's maintenance, possibly on another thread
        await().atMost(PATIENCE).untilAsserted(() -> {
            cache.getIfPresent(pointer(0)); // reads drive maintenance too
            assertThat(cache.weightedSize()).isLessThanOrEqualTo(cache.maximumBytes());
        });
        assertThat(cache.maximumBytes()).isEqualTo(10_000);
        assertThat(cache.estimatedSize()).isLessThanOrEqualTo(10);
        assertThat(cache.stats().evictionCount()).isGreaterThanOrEqualTo(90);
        assertThat(cache.stats().evictionWeight()).isGreaterThanOrEqualTo(90_000);
    }

    @Test
    void loadedAtomsAreBoundedByTheirWeightToo() {
        AtomCache<byte[]> cache = new AtomCache<>(4_096, b -> b.length);
        for (int i = 0; i < 50; i++) {
            cache.get(pointer(i), p -> new byte[512]);
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            cache.getIfPresent(pointer(0));
            assertThat(cache.weightedSize()).isLessThanOrEqualTo(4_096);
        });
        assertThat(cache.stats().loadSuccessCount()).isEqualTo(50);
    }

    @Test
    void atomsWeighingNothingStillCountTowardTheBound() {
        AtomCache<String> cache = new AtomCache<>(10, s -> 0);
        for (int i = 0; i < 50; i++) {
            cache.put(pointer(i), "atom " + i);
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            cache.getIfPresent(pointer(0));
            assertThat(cache.estimatedSize()).isLessThanOrEqualTo(10);
        });
    }

    @Test
    void concurrentReadersOfAMissingAtomShareOneLoad() throws Exception {
        AtomCache<Object> cache = new AtomCache<>(1 << 20, v -> 100);
        AtomPointer key = pointer(42);
        int readers = 8;
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch loaderEntered = new CountDownLatch(1);
        CountDownLatch releaseLoader = new CountDownLatch(1);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch aboutToRead = new CountDownLatch(readers);
        Object loaded = new Object();

        List<Thread> threads = new ArrayList<>();
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            CompletableFuture<Object> result = new CompletableFuture<>();
            results.add(result);
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    aboutToRead.countDown();
                    result.complete(cache.get(key, p -> {
                        loads.incrementAndGet();
                        loaderEntered.countDown();
                        try {
                            if (!releaseLoader.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                                throw new IllegalStateException("loader never released");
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException(e);
                        }
                        return loaded;
                    }));
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            }, "atom-reader-" + i);
            threads.add(t);
            t.start();
        }

        start.countDown();
        assertThat(loaderEntered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(aboutToRead.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        // every reader is past its last latch, so a reader that is not running waits inside the cache
        await().atMost(PATIENCE).until(() -> threads.stream().allMatch(t ->
                t.getState() == Thread.State.BLOCKED || t.getState() == Thread.State.WAITING
                        || t.getState() == Thread.State.TIMED_WAITING));
        assertThat(results).noneMatch(CompletableFuture::isDone);
        releaseLoader.countDown();

        for (CompletableFuture<Object> r : results) {
            assertThat(r.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isSameAs(loaded);
        }
        for (Thread t : threads) {
            t.join(PATIENCE.toMillis());
        }
        assertThat(loads).hasValue(1);
        assertThat(cache.stats().loadSuccessCount()).isEqualTo(1);
        // one reader missed and loaded; the others waited for its load and count as hits
        assertThat(cache.stats().missCount()).isEqualTo(1);
        assertThat(cache.stats().hitCount()).isEqualTo(readers - 1);
    }

    @Test
    void statsCountHitsMissesAndEvictions() {
        AtomCache<String> cache = new AtomCache<>(100, s -> 40);
        assertThat(cache.get(pointer(1), p -> "one")).isEqualTo("one"); // miss and load
        assertThat(cache.get(pointer(1), p -> "other")).isEqualTo("one"); // hit: no second load
        assertThat(cache.getIfPresent(pointer(2))).isNull(); // miss
        cache.put(pointer(3), "three");
        assertThat(cache.getIfPresent(pointer(3))).isEqualTo("three"); // hit

        assertThat(cache.stats().hitCount()).isEqualTo(2);
        assertThat(cache.stats().missCount()).isEqualTo(2);
        assertThat(cache.stats().loadSuccessCount()).isEqualTo(1);

        cache.put(pointer(4), "four");
        cache.put(pointer(5), "five"); // 4 x 40 bytes > 100
        await().atMost(PATIENCE).untilAsserted(() -> {
            cache.getIfPresent(pointer(4));
            assertThat(cache.stats().evictionCount()).isGreaterThanOrEqualTo(2);
        });
    }

    @Test
    void failedLoadIsNotCachedAndPropagates() {
        AtomCache<String> cache = new AtomCache<>(1_000, s -> 1);
        assertThatThrownBy(() -> cache.get(pointer(9), p -> {
            throw new CorruptionException("Corrupt " + p + ": test");
        })).isInstanceOf(CorruptionException.class).hasMessageContaining("atom 7:9");
        assertThat(cache.getIfPresent(pointer(9))).isNull();
        assertThat(cache.get(pointer(9), p -> "repaired")).isEqualTo("repaired");
        assertThat(cache.stats().loadFailureCount()).isEqualTo(1);
    }

    @Test
    void aRetiredAtomStaysCachedUntilAsManyNewerAtomsAreRetiredAsTheWindowKeeps() {
        AtomCache<String> cache = new AtomCache<>(1_000_000, s -> 10);
        int window = AtomCache.RETIRED_KEPT;
        for (int i = 0; i <= window; i++) {
            cache.put(pointer(i), "v" + i);
        }
        for (int i = 0; i < window; i++) {
            cache.retire(pointer(i));
        }
        // a reader of a snapshot a few commits old still finds the versions just replaced
        assertThat(cache.getIfPresent(pointer(0))).isEqualTo("v0");
        assertThat(cache.getIfPresent(pointer(window - 1))).isEqualTo("v" + (window - 1));

        cache.retire(pointer(window));
        assertThat(cache.getIfPresent(pointer(0))).as("oldest retired atom").isNull();
        assertThat(cache.getIfPresent(pointer(1))).isEqualTo("v1");
        assertThat(cache.getIfPresent(pointer(window))).isEqualTo("v" + window);
    }

    @Test
    void invalidateAllEmptiesTheCache() {
        AtomCache<String> cache = new AtomCache<>(1_000, s -> 10);
        for (int i = 0; i < 20; i++) {
            cache.put(pointer(i), "v" + i);
        }
        cache.invalidateAll();
        assertThat(cache.getIfPresent(pointer(3))).isNull();
        await().atMost(PATIENCE).until(() -> cache.estimatedSize() == 0 && cache.weightedSize() == 0);
    }
}
