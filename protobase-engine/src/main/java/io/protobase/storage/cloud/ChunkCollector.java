package io.protobase.storage.cloud;

import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Garbage collection in the bucket, the only part of the cloud storage that deletes objects. It
 * keeps the {@code segments=} (live) and {@code released=} lists the next root object carries,
 * lends the engine's compaction a {@link SegmentReclaimer} over them, and, on the uploader thread
 * after a successful round, deletes the chunks of segments released longer than
 * {@code gc-grace} ago and the orphan chunks a LIST pass has seen for that long. Releasing a
 * segment drops its local copies at once, or once uploaded; its chunks stay until the grace has
 * passed since the first root object that no longer lists it as live, so a reader holding an older
 * root never meets a hole. The schedule lives in the root object and survives restarts. A failed
 * pass is logged and retried at the next one; commits never see it. Protocol:
 * {@code docs/cloud.md}.
 */
final class ChunkCollector {

    private static final Logger LOG = LoggerFactory.getLogger(CloudFileStorage.class);

    /** The lists of a root object about to be written, the releases it makes public and their stamp. */
    record Lists(NavigableSet<Long> live, NavigableMap<Long, Long> pending, List<Long> dropped, long stamp) {
    }

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final StandaloneFileStorage wal;
    private final CloudFileStorage.Options options;
    /** Time source of the schedule (release stamps, grace, orphan ages). */
    private final Clock clock;
    private final long epoch;
    private final RootObjectWriter rootWriter;
    private final UploadProgress progress;
    private final WriterHealth health;
    private final String storage;
    private final SegmentReclaimer reclaimer = new Reclaimer();

    /** Guards the lists below. */
    private final Object gcLock = new Object();
    /** The segments the last published root object lists as live. */
    private NavigableSet<Long> live;
    /** Released segments the last published root lists, with their release stamps: deleted after the grace. */
    private NavigableMap<Long, Long> pendingDeletion;
    /** Segments released since the last published root → the commit sequence a root must reach to drop them. */
    private final Map<Long, Long> releasing = new HashMap<>();
    /** Every segment released while open or pending deletion at open: reads into them fail (read without the lock). */
    private final Set<Long> released = ConcurrentHashMap.newKeySet();
    /** Whether the root object must be written again for the GC state alone (deletions done, a list computed). */
    private boolean gcRootStale;
    /** Deletes due chunks and keeps the orphans' ages (uploader thread only). */
    private final ChunkSweeper sweeper;
    /** Clock millis of the next orphan LIST pass (uploader thread only). */
    private long nextOrphanPass;
    private final AtomicLong deletedSegments = new AtomicLong();
    private final AtomicLong deletedOrphans = new AtomicLong();
    private volatile String lastGcFailure;

    /**
     * Takes the live and released lists from the root object this writer claimed, and seeds the
     * orphan ages from one LIST of the bucket, which also tells the sizes of the chunks. A root
     * written before the storage kept a live list counts every segment in the bucket as live.
     */
    ChunkCollector(CloudBlockProvider provider, StandaloneFileStorage wal, CloudFileStorage.Options options,
            Clock clock, long epoch, RootObjectWriter rootWriter, UploadProgress progress, WriterHealth health,
            String storage, RootObject claimed) {
        this.provider = provider;
        this.store = provider.store();
        this.wal = wal;
        this.options = options;
        this.clock = clock;
        this.epoch = epoch;
        this.rootWriter = rootWriter;
        this.progress = progress;
        this.health = health;
        this.storage = storage;
        this.sweeper = new ChunkSweeper(provider, options.gcGrace().toMillis());
        List<ObjectStore.ObjectInfo> listing = store.list(provider.segmentsPrefix());
        NavigableSet<Long> found = new TreeSet<>();
        for (ObjectStore.ObjectInfo info : listing) {
            long segment = provider.registerListed(info);
            if (segment >= 0) {
                found.add(segment);
            }
        }
        long now = clock.millis();
        synchronized (gcLock) {
            live = claimed.segments() == null ? found : new TreeSet<>(claimed.segments());
            gcRootStale = claimed.segments() == null;
            pendingDeletion = new TreeMap<>(claimed.released());
            released.addAll(pendingDeletion.keySet());
        }
        noteOrphans(listing, now);
        nextOrphanPass = now + options.gcGrace().toMillis();
    }

    SegmentReclaimer reclaimer() {
        return reclaimer;
    }

    boolean isReleased(long segment) {
        return released.contains(segment);
    }

    /** Whether a root object must be written for the GC state even with nothing new to upload. */
    boolean needsRoot(long sequence) {
        synchronized (gcLock) {
            return gcRootStale || releasing.values().stream().anyMatch(s -> s <= sequence);
        }
    }

    /**
     * The lists for the root of commit {@code sequence}: the segments this round uploaded join the
     * live list; a segment released at or before {@code sequence} leaves it (that root, and every
     * later one, cannot reach it) and is stamped with now, from when the grace counts. Nothing changes
     * here until the root is written ({@link #published}): a failed round stamps again.
     */
    Lists nextLists(long sequence, Set<Long> touched) {
        long now = clock.millis();
        synchronized (gcLock) {
            NavigableSet<Long> nextLive = new TreeSet<>(live);
            nextLive.addAll(touched);
            NavigableMap<Long, Long> nextPending = new TreeMap<>(pendingDeletion);
            List<Long> dropped = new ArrayList<>();
            releasing.forEach((id, at) -> {
                if (at <= sequence) {
                    nextPending.putIfAbsent(id, now);
                    dropped.add(id);
                }
            });
            nextLive.removeAll(nextPending.keySet());
            return new Lists(nextLive, nextPending, dropped, now);
        }
    }

    /**
     * Adopts the lists of the root just written. The releases it made public were stamped before the
     * PUT; a reader may have read the older root until the PUT returned, so the grace counts from now,
     * and the next root records the later stamp (a crash before that leaves only the earlier one).
     */
    void published(Lists lists) {
        long written = clock.millis();
        synchronized (gcLock) {
            live = lists.live();
            pendingDeletion = lists.pending();
            lists.dropped().forEach(releasing::remove);
            gcRootStale = false;
            if (written != lists.stamp()) {
                for (long id : lists.dropped()) {
                    if (pendingDeletion.replace(id, lists.stamp(), written)) {
                        gcRootStale = true;
                    }
                }
            }
        }
    }

    /** Deletes the local copies of a released segment: its log file and its cached blocks. */
    void dropLocal(long segment) {
        provider.dropSegment(segment);
        wal.log().releaseSegment(segment);
    }

    /**
     * Deletes the chunks of a round whose root object was never written because another writer
     * took over: no root names them. A failure only leaves them for the new writer's orphan pass.
     */
    void discardRound(List<String> written) {
        for (String key : written) {
            try {
                store.delete(key); // never referenced by any root
            } catch (RuntimeException d) {
                LOG.warn("Cannot remove the unreferenced object {}: {}", key, d.getMessage());
            }
        }
    }

    /**
     * One pass (uploader thread, after a successful round): deletes the chunks of segments released
     * longer than the grace ago, then, every grace period or when asked, LISTs the bucket for orphans.
     * A failure is logged and retried at the next pass; commits never see it.
     *
     * <p>A scheduled pass stops starting deletions once it has taken {@link ChunkSweeper#PASS_BUDGET_MILLIS}, and
     * the next round's pass goes on where it stopped; a requested pass
     * ({@link UploadProgress#awaitGarbageCollection}) runs to the end.
     */
    void collect() {
        long now = clock.millis();
        UploadProgress.GcPass pass = progress.takeGcPass();
        if (pass == UploadProgress.GcPass.NONE) {
            return;
        }
        boolean requested = pass == UploadProgress.GcPass.REQUESTED;
        long stopAt = requested ? Long.MAX_VALUE : now + ChunkSweeper.PASS_BUDGET_MILLIS;
        boolean orphanPass = requested || now >= nextOrphanPass;
        try {
            deleteDueSegments(now, stopAt);
            if (orphanPass && clock.millis() < stopAt && collectOrphans(now, stopAt)) {
                nextOrphanPass = now + options.gcGrace().toMillis();
            }
            if (lastGcFailure != null) {
                LOG.info("Garbage collection in {} works again", store.describe());
            }
            lastGcFailure = null;
        } catch (RuntimeException e) {
            if (lastGcFailure == null) {
                LOG.warn("Garbage collection in {} failed; it is retried at the next pass and commits are not "
                        + "affected: {}", store.describe(), e.getMessage());
            }
            lastGcFailure = e.getMessage();
        }
    }

    private void deleteDueSegments(long now, long stopAt) {
        List<Long> due;
        synchronized (gcLock) {
            due = sweeper.due(pendingDeletion, now);
        }
        ChunkSweeper.withinBudget(due, clock, stopAt, id -> {
            sweeper.deleteChunks(id);
            synchronized (gcLock) {
                pendingDeletion.remove(id);
                gcRootStale = true;
            }
            deletedSegments.incrementAndGet();
        });
    }

    /**
     * Deletes the orphans seen for the grace, after checking that this writer still holds the
     * current epoch (a zombie deletes nothing: the live list it knows is not the newest).
     *
     * @return whether nothing due is left (the pass ran out of its budget otherwise: the next one lists again)
     */
    private boolean collectOrphans(long now, long stopAt) {
        List<String> due = noteOrphans(store.list(provider.segmentsPrefix()), now);
        if (due.isEmpty() || rootWriter.currentEpoch() != epoch) {
            return true;
        }
        int deleted = ChunkSweeper.withinBudget(due, clock, stopAt, key -> {
            sweeper.deleteOrphan(key);
            deletedOrphans.incrementAndGet();
        });
        LOG.info("Deleted {} of {} orphan chunk(s) left in {} by earlier writers", deleted, due.size(),
                store.describe());
        return deleted == due.size();
    }

    /**
     * Records when each orphan of {@code listing} was first seen and returns those seen at least the
     * grace ago. An orphan is a chunk of a segment of an older log (its id's epoch is below this
     * log's) that neither the live list nor a pending release names: no root this writer inherited
     * reaches it, and no writer will name it later, since a log continues only under the writer
     * that holds its cache directory. This log's own chunks are never orphans: the ones above the
     * watermark are the round in progress.
     */
    private List<String> noteOrphans(List<ObjectStore.ObjectInfo> listing, long now) {
        long thisLog = wal.log().currentSegmentId() >>> 32;
        Set<Long> named;
        synchronized (gcLock) {
            named = new HashSet<>(live);
            named.addAll(pendingDeletion.keySet());
            named.addAll(releasing.keySet());
        }
        return sweeper.dueOrphans(listing, segment -> segment >>> 32 < thisLog && !named.contains(segment), now);
    }

    /** Released segments whose chunks are not deleted yet (waiting for a root object or for the grace). */
    int pendingSegmentDeletions() {
        synchronized (gcLock) {
            Set<Long> ids = new HashSet<>(releasing.keySet());
            ids.addAll(pendingDeletion.keySet());
            return ids.size();
        }
    }

    long deletedSegments() {
        return deletedSegments.get();
    }

    long deletedOrphanChunks() {
        return deletedOrphans.get();
    }

    Optional<String> failure() {
        return Optional.ofNullable(lastGcFailure);
    }

    /**
     * The segments of the root object's live list and of the local log. Releasing drops the local
     * copies at once, or once uploaded for a segment the bucket does not hold yet (a root being
     * uploaded may still reach it), and schedules the chunks for deletion after the grace.
     */
    private final class Reclaimer implements SegmentReclaimer {

        @Override
        public List<Segment> segments() {
            health.ensureOpen("read the segment list");
            long writing = wal.log().currentSegmentId();
            NavigableSet<Long> ids;
            synchronized (gcLock) {
                ids = new TreeSet<>(live);
                ids.addAll(wal.log().segmentIds());
                ids.removeAll(released);
            }
            List<Segment> list = new ArrayList<>();
            for (long id : ids) {
                long local = wal.log().segmentLength(id);
                list.add(new Segment(id, local >= 0 ? local : provider.chunkBytes(id), id != writing));
            }
            return list;
        }

        @Override
        public long writingSegment() {
            health.ensureOpen("read the segment being written");
            return wal.log().currentSegmentId();
        }

        @Override
        public void limitSegmentSize(long bytes) {
            wal.reclaimer().orElseThrow().limitSegmentSize(bytes);
        }

        @Override
        public void release(Collection<Long> ids) {
            health.ensureOpen("release segments");
            long writing = wal.log().currentSegmentId();
            if (ids.contains(writing)) {
                throw new IllegalArgumentException("Cannot release segment " + writing + " of " + storage
                        + ": it is still being written");
            }
            long sequence = wal.log().committedPosition().sequence();
            List<Long> accepted = new ArrayList<>();
            synchronized (gcLock) { // one batch: the same root object drops them all
                for (long id : ids) {
                    if (released.contains(id) || !(live.contains(id) || wal.log().hasSegment(id))) {
                        continue; // released already, or unknown: nothing to do
                    }
                    released.add(id);
                    releasing.put(id, sequence);
                    accepted.add(id);
                }
            }
            for (long id : accepted) {
                if (progress.isUploaded(id)) {
                    dropLocal(id);
                }
            }
        }
    }
}
