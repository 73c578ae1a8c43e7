package io.protobase.storage.cloud;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * The deleting half of garbage collection in the bucket, shared by the single-node cloud storage
 * ({@link ChunkCollector}) and the cloud cluster's leader: deletes the chunks of a released segment
 * once the grace has passed since its release stamp, and keeps the ages of orphan chunks across LIST
 * passes, so that one is deleted only after it was seen orphaned for the whole grace. It decides
 * nothing about what is released or orphaned: the caller passes its lists and the rule for orphans.
 * Not thread-safe: one deleting thread per writer (the uploader's).
 */
public final class ChunkSweeper {

    /**
     * How long a scheduled garbage-collection pass may go on starting deletions ({@link #withinBudget}). A pass
     * runs on the upload loop, and {@code sync} commits wait for that loop's next upload: without a budget a large
     * backlog of deletions under a slow bucket (each request taking a second or two) could hold uploads, and
     * every {@code sync} commit with them, for minutes. The next round's pass goes on where one stopped.
     */
    public static final long PASS_BUDGET_MILLIS = 1_000;

    /**
     * Runs {@code delete} on {@code items} in order, and stops starting more once {@code clock} reads
     * {@code stopAt} or later; it always runs on the first, so that a pass ends even when every request is slow.
     *
     * @return how many items it ran on
     */
    public static <T> int withinBudget(List<T> items, Clock clock, long stopAt, Consumer<T> delete) {
        int done = 0;
        for (T item : items) {
            if (done > 0 && clock.millis() >= stopAt) {
                break;
            }
            delete.accept(item);
            done++;
        }
        return done;
    }

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final long graceMillis;
    /** Orphan chunk keys → clock millis the first LIST pass saw them. */
    private final Map<String, Long> orphansSeen = new HashMap<>();

    /**
     * @param provider the bucket and prefix whose chunks are deleted
     * @param graceMillis how long a released segment's chunks, and an orphan chunk, stay
     */
    public ChunkSweeper(CloudBlockProvider provider, long graceMillis) {
        this.provider = provider;
        this.store = provider.store();
        this.graceMillis = graceMillis;
    }

    /** The segments of {@code released} (id → release stamp) whose grace has passed at {@code now}. */
    public List<Long> due(Map<Long, Long> released, long now) {
        List<Long> due = new ArrayList<>();
        released.forEach((id, at) -> {
            if (now - at >= graceMillis) {
                due.add(id);
            }
        });
        return due;
    }

    /** Deletes every chunk of segment {@code id} (one LIST of its prefix), and forgets their sizes. */
    public void deleteChunks(long id) {
        for (ObjectStore.ObjectInfo info : store.list(provider.segmentPrefix(id))) {
            if (provider.segmentOfChunk(info.key()) == id) {
                store.delete(info.key());
            }
        }
        provider.forgetChunks(id);
    }

    /**
     * Records when each chunk of {@code listing} whose segment {@code orphan} accepts was first seen
     * and returns those seen at least the grace ago. Chunks no longer orphaned (or gone) are forgotten.
     */
    public List<String> dueOrphans(List<ObjectStore.ObjectInfo> listing, LongPredicate orphan, long now) {
        Map<String, Long> seen = new HashMap<>();
        List<String> due = new ArrayList<>();
        for (ObjectStore.ObjectInfo info : listing) {
            long segment = provider.segmentOfChunk(info.key());
            if (segment < 0 || !orphan.test(segment)) {
                continue;
            }
            long since = orphansSeen.getOrDefault(info.key(), now);
            seen.put(info.key(), since);
            if (now - since >= graceMillis) {
                due.add(info.key());
            }
        }
        orphansSeen.clear();
        orphansSeen.putAll(seen);
        return due;
    }

    /** Deletes an orphan chunk {@link #dueOrphans} returned. */
    public void deleteOrphan(String key) {
        store.delete(key);
        orphansSeen.remove(key);
    }

    /** Forgets every orphan seen so far: the next passes count their ages afresh. */
    public void forgetOrphans() {
        orphansSeen.clear();
    }
}
