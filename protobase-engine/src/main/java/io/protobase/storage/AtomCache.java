package io.protobase.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;

import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * A bounded cache of decoded atoms keyed by {@link AtomPointer}, on Caffeine. Atoms are immutable,
 * so a cached value never goes stale and may be shared by every transaction and thread.
 *
 * <p>The bound is in bytes: each entry weighs the encoded size of its atom (the decoded form is
 * typically two to four times larger on the heap). Loads are single-flight: concurrent readers of
 * the same missing pointer wait for one load instead of decoding the atom several times.
 *
 * @param <V> the decoded form of an atom
 */
public final class AtomCache<V> {

    /** How many retired atoms stay cached (see {@link #retire}) before the oldest is dropped. */
    public static final int RETIRED_KEPT = 1024;

    private final Cache<AtomPointer, V> cache;
    private final long maximumBytes;
    /** Ring of the last {@link #RETIRED_KEPT} retired pointers; guarded by itself. */
    private final AtomPointer[] retired = new AtomPointer[RETIRED_KEPT];
    private int retiredNext;

    /**
     * @param maximumBytes upper bound of the summed weights
     * @param weigher the encoded size in bytes of a decoded atom
     */
    public AtomCache(long maximumBytes, ToIntFunction<V> weigher) {
        this.maximumBytes = maximumBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maximumBytes)
                .weigher((AtomPointer k, V v) -> Math.max(1, weigher.applyAsInt(v)))
                .recordStats()
                // maintenance (eviction) on the calling thread: handing it to a pool costs a thread
                // wake-up on most writes, more than the work itself
                .executor(Runnable::run)
                .build();
    }

    /** Returns the cached atom, loading it once through {@code loader} when absent. */
    public V get(AtomPointer pointer, Function<AtomPointer, V> loader) {
        return cache.get(pointer, loader);
    }

    /** Returns the cached atom or {@code null}. */
    public V getIfPresent(AtomPointer pointer) {
        return cache.getIfPresent(pointer);
    }

    /** Adds an atom this process just wrote (write-through), so the next reader skips decoding. */
    public void put(AtomPointer pointer, V value) {
        cache.put(pointer, value);
    }

    /**
     * Marks an atom as superseded (a node a commit just replaced by a new version) and drops the atom
     * retired {@link #RETIRED_KEPT} retirements ago. Without this a steady stream of path-copying commits
     * fills the cache with superseded versions that the frequency-based admission prefers to the new
     * ones; dropping each at once instead makes every transaction whose snapshot is a few commits old
     * (all of them, under concurrent writers) read and decode the replaced nodes from storage again.
     */
    public void retire(AtomPointer pointer) {
        AtomPointer oldest;
        synchronized (retired) {
            oldest = retired[retiredNext];
            retired[retiredNext] = pointer;
            retiredNext = (retiredNext + 1) % RETIRED_KEPT;
        }
        if (oldest != null) {
            cache.invalidate(oldest);
        }
    }

    /** Returns hit, miss, load and eviction counts since creation. */
    public CacheStats stats() {
        return cache.stats();
    }

    /** Returns the current summed weight in bytes (approximate under concurrent updates). */
    public long weightedSize() {
        return cache.policy().eviction().flatMap(e -> e.weightedSize().stream().boxed().findFirst()).orElse(0L);
    }

    /** Returns the configured bound in bytes. */
    public long maximumBytes() {
        return maximumBytes;
    }

    /** Returns the number of cached atoms (approximate). */
    public long estimatedSize() {
        return cache.estimatedSize();
    }

    /** Drops every entry. */
    public void invalidateAll() {
        synchronized (retired) {
            java.util.Arrays.fill(retired, null);
        }
        cache.invalidateAll();
    }
}
