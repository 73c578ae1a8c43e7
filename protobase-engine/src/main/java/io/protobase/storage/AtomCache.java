package io.protobase.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
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
 * <p>The atoms this process just wrote ({@link #put}) go first into a small front of the most recent ones
 * ({@link #RECENT_KEPT} at most, and at most an eighth of the bound), and into Caffeine only when the front
 * passes them on. Most of them are the upper nodes of a tree, which the next commits replace at once: they
 * then never cost Caffeine a write, an invalidation and the maintenance each of those runs (in a one-key
 * commit, more than encoding the nodes). The bound counts both.
 *
 * @param <V> the decoded form of an atom
 */
public final class AtomCache<V> {

    /** How many retired atoms stay cached (see {@link #retire}) before the oldest is dropped. */
    public static final int RETIRED_KEPT = 1024;

    /** How many atoms written lately stay in the front of the cache before Caffeine takes them (see {@link #put}). */
    public static final int RECENT_KEPT = 1024;

    private final Cache<AtomPointer, V> cache;
    private final long maximumBytes;
    private final ToIntFunction<V> weigher;
    /** The atoms written lately, by pointer: each also in {@link #recentOrder}. */
    private final ConcurrentHashMap<AtomPointer, Recent<V>> recent = new ConcurrentHashMap<>();
    /** The same atoms, oldest first; guarded by itself, as {@link #recentBytes} is. */
    private final ArrayDeque<Recent<V>> recentOrder = new ArrayDeque<>();
    private long recentBytes;
    /** The weight the front holds at most; the rest of {@link #maximumBytes} is Caffeine's. */
    private final long recentBytesLimit;
    private final LongAdder recentHits = new LongAdder();
    /** Ring of the last {@link #RETIRED_KEPT} retired pointers; guarded by itself. */
    private final AtomPointer[] retired = new AtomPointer[RETIRED_KEPT];
    private int retiredNext;

    /**
     * @param maximumBytes upper bound of the summed weights
     * @param weigher the encoded size in bytes of a decoded atom
     */
    public AtomCache(long maximumBytes, ToIntFunction<V> weigher) {
        this.maximumBytes = maximumBytes;
        this.weigher = weigher;
        this.recentBytesLimit = maximumBytes / 8;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(Math.max(1, maximumBytes - recentBytesLimit))
                .weigher((AtomPointer k, V v) -> Math.max(1, weigher.applyAsInt(v)))
                .recordStats()
                // maintenance (eviction) on the calling thread: handing it to a pool costs a thread
                // wake-up on most writes, more than the work itself
                .executor(Runnable::run)
                .build();
    }

    /** Returns the cached atom, loading it once through {@code loader} when absent. */
    public V get(AtomPointer pointer, Function<AtomPointer, V> loader) {
        Recent<V> r = recent.get(pointer);
        if (r != null) {
            recentHits.increment();
            return r.value;
        }
        return cache.get(pointer, loader);
    }

    /** Returns the cached atom or {@code null}. */
    public V getIfPresent(AtomPointer pointer) {
        Recent<V> r = recent.get(pointer);
        if (r != null) {
            recentHits.increment();
            return r.value;
        }
        return cache.getIfPresent(pointer);
    }

    /**
     * Adds an atom this process just wrote (write-through), so the next reader skips decoding. It goes into
     * the front of recent atoms; the oldest there go on to Caffeine, unless they were {@link #retire retired}
     * meanwhile, which drops them.
     */
    public void put(AtomPointer pointer, V value) {
        int weight = Math.max(1, weigher.applyAsInt(value));
        if (weight > recentBytesLimit) {
            cache.put(pointer, value);
            return;
        }
        Recent<V> added = new Recent<>(pointer, value, weight);
        List<Recent<V>> passed = null;
        synchronized (recentOrder) {
            recent.put(pointer, added);
            recentOrder.addLast(added);
            recentBytes += weight;
            while (recentOrder.size() > RECENT_KEPT || recentBytes > recentBytesLimit) {
                Recent<V> oldest = recentOrder.pollFirst();
                recentBytes -= oldest.weight;
                if (passed == null) {
                    passed = new ArrayList<>(2);
                }
                passed.add(oldest);
            }
        }
        if (passed != null) {
            for (Recent<V> r : passed) {
                if (!r.retired) {
                    // in Caffeine before it leaves the front: a reader finds it in one or the other
                    cache.put(r.pointer, r.value);
                    if (r.retired) {
                        retireCached(r.pointer);
                    }
                }
                recent.remove(r.pointer, r);
            }
        }
    }

    /**
     * Marks an atom as superseded (a node a commit just replaced by a new version) and drops the atom
     * retired {@link #RETIRED_KEPT} retirements ago. Without this a steady stream of path-copying commits
     * fills the cache with superseded versions that the frequency-based admission prefers to the new
     * ones; dropping each at once instead makes every transaction whose snapshot is a few commits old
     * (all of them, under concurrent writers) read and decode the replaced nodes from storage again. An atom
     * still in the front of recent atoms ({@link #put}) stays there until the front passes it on, and then
     * leaves the cache, without a write to Caffeine.
     */
    public void retire(AtomPointer pointer) {
        Recent<V> r = recent.get(pointer);
        if (r != null) {
            // still in the front of recent atoms: it leaves the cache when the front passes it on
            r.retired = true;
            return;
        }
        retireCached(pointer);
    }

    private void retireCached(AtomPointer pointer) {
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
        CacheStats s = cache.stats();
        return CacheStats.of(s.hitCount() + recentHits.sum(), s.missCount(), s.loadSuccessCount(),
                s.loadFailureCount(), s.totalLoadTime(), s.evictionCount(), s.evictionWeight());
    }

    /** Returns the current summed weight in bytes (approximate under concurrent updates). */
    public long weightedSize() {
        long front;
        synchronized (recentOrder) {
            front = recentBytes;
        }
        return front + cache.policy().eviction()
                .flatMap(e -> e.weightedSize().stream().boxed().findFirst()).orElse(0L);
    }

    /** Returns the configured bound in bytes. */
    public long maximumBytes() {
        return maximumBytes;
    }

    /** Returns the number of cached atoms (approximate). */
    public long estimatedSize() {
        return recent.size() + cache.estimatedSize();
    }

    /** Drops every entry. */
    public void invalidateAll() {
        synchronized (retired) {
            java.util.Arrays.fill(retired, null);
        }
        synchronized (recentOrder) {
            recentOrder.clear();
            recent.clear();
            recentBytes = 0;
        }
        cache.invalidateAll();
    }

    /** An atom in the front of recent ones. */
    private static final class Recent<V> {
        final AtomPointer pointer;
        final V value;
        final int weight;
        volatile boolean retired;

        Recent(AtomPointer pointer, V value, int weight) {
            this.pointer = pointer;
            this.value = value;
            this.weight = weight;
        }
    }
}
