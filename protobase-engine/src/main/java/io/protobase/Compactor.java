package io.protobase;

import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.AtomRelocation;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Space reclamation for one object space ({@link ObjectSpace#compact()}): rewrites the live atoms
 * of the emptiest segments as an ordinary commit, then has the storage release the segments no
 * retained version reaches any more.
 *
 * <p>A run has three steps. <b>Choose</b>: the live bytes of each segment are summed over every
 * retained version ({@link SpaceRetention#retainedRoots()}); a sealed segment is a victim when its live
 * fraction is below the threshold and its dead bytes reach the floor, emptiest first. <b>Rewrite</b>:
 * the current version's atoms that live in a victim, and every atom above them up to the catalog, are
 * pushed again and published as a new version by compare-and-set of the root; when a commit wins the
 * race, the rewrite is redone on the new version, reusing what was already copied, so a user commit
 * never fails because of compaction. <b>Release</b>: liveness is computed again, from the versions
 * retained at that moment, and the storage releases the sealed segments that none of them reaches
 * and that no commit in flight may be writing into. An older retained version still reaching a
 * victim keeps it: a later run releases it once that version leaves the retention and is no longer
 * pinned.
 *
 * <p>One run at a time; commits continue meanwhile. Runs on demand ({@link ObjectSpace#compact()})
 * rewrite every segment below the threshold; background runs rewrite at most a budget of live bytes
 * each (the bytes-per-second budget times the interval), emptiest segments first, so that compaction
 * never competes with the application for more than that share of the storage's bandwidth.
 */
final class Compactor {

    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    private final SharedStorage storage;
    private final SpaceVersions versions;
    private final SpaceRetention retention;
    private final CommitPipeline pipeline;
    private final SegmentReclaimer reclaimer;
    private final AtomGraph graph;
    private final double liveFraction;
    private final long minDeadBytes;
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong bytesRewritten = new AtomicLong();
    private final AtomicLong segmentsReleased = new AtomicLong();
    private final AtomicLong bytesReleased = new AtomicLong();
    private volatile String lastError;
    /** Runs the background compaction; {@code null} when it is off. */
    private volatile ScheduledExecutorService background;

    Compactor(SharedStorage storage, SpaceVersions versions, SpaceRetention retention, CommitPipeline pipeline,
            SegmentReclaimer reclaimer, AtomGraph graph, double liveFraction, long minDeadBytes) {
        this.storage = storage;
        this.versions = versions;
        this.retention = retention;
        this.pipeline = pipeline;
        this.reclaimer = reclaimer;
        this.graph = graph;
        this.liveFraction = liveFraction;
        this.minDeadBytes = minDeadBytes;
    }

    /**
     * Runs once, rewriting segments while the live bytes they hold stay within {@code maxLiveBytes}
     * (a segment nothing reaches costs nothing and is always taken). Counts the run, or records its failure.
     */
    synchronized CompactionResult run(long maxLiveBytes) {
        try {
            CompactionResult result = runOnce(maxLiveBytes);
            runs.incrementAndGet();
            bytesRewritten.addAndGet(result.bytesRewritten());
            segmentsReleased.addAndGet(result.segmentsReleased());
            bytesReleased.addAndGet(result.bytesReleased());
            return result;
        } catch (RuntimeException e) {
            lastError = e.toString();
            throw e;
        }
    }

    /**
     * Runs every {@code interval} on a daemon thread, each run rewriting at most {@code bytesPerSecond}
     * times the interval of live bytes, until {@link #stopBackground()}. A run that fails is logged
     * and tried again at the next interval; none starts once {@code closing} holds.
     */
    void startBackground(Duration interval, long bytesPerSecond, BooleanSupplier closing) {
        long perRun = (long) Math.min(Long.MAX_VALUE, bytesPerSecond * (interval.toNanos() / 1e9));
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "protobase-compactor");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(() -> {
            if (closing.getAsBoolean()) {
                return;
            }
            try {
                run(Math.max(1, perRun));
            } catch (RuntimeException e) {
                if (!closing.getAsBoolean()) {
                    LOG.warn("Background compaction of {} failed; it runs again in {}: {}", storage.describe(),
                            interval, e.toString());
                }
            }
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
        background = thread;
    }

    /**
     * Stops the background compaction, if started, and waits for a run in progress, so that it never
     * meets a closed storage.
     */
    void stopBackground() {
        ScheduledExecutorService thread = background;
        if (thread == null) {
            return;
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Background compaction of {} did not stop within 30 s; closing the storage anyway",
                        storage.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long runs() {
        return runs.get();
    }

    long bytesRewritten() {
        return bytesRewritten.get();
    }

    long segmentsReleased() {
        return segmentsReleased.get();
    }

    long bytesReleased() {
        return bytesReleased.get();
    }

    /** The failure of the last run that failed, or {@code null}. */
    String lastError() {
        return lastError;
    }

    private CompactionResult runOnce(long maxLiveBytes) {
        SpaceRetention.RetainedRoots retained = retention.retainedRoots();
        Map<Long, Long> live = graph.liveBytesBySegment(retained.roots(), retained.expired());
        List<SegmentReclaimer.Segment> victims = new ArrayList<>();
        for (SegmentReclaimer.Segment s : reclaimer.segments()) {
            long liveBytes = live.getOrDefault(s.id(), 0L);
            if (s.sealed() && liveBytes < liveFraction * s.bytes() && s.bytes() - liveBytes >= minDeadBytes) {
                victims.add(s);
            }
        }
        victims.sort(Comparator.comparingDouble(s -> (double) live.getOrDefault(s.id(), 0L) / Math.max(1, s.bytes())));
        Set<Long> ids = new HashSet<>();
        long budget = maxLiveBytes;
        for (SegmentReclaimer.Segment s : victims) {
            long liveBytes = live.getOrDefault(s.id(), 0L);
            if (liveBytes > 0 && liveBytes > budget) {
                break;
            }
            budget -= liveBytes;
            ids.add(s.id());
        }
        AtomRelocation relocation = graph.relocate(ids::contains);
        SpaceState published = ids.isEmpty() ? versions.currentState() : pipeline.publishRelocated(relocation);
        long[] releasedBytes = {0};
        List<Long> released = release(releasedBytes);
        return new CompactionResult(ids.size(), relocation.atoms(), relocation.bytes(), released.size(),
                releasedBytes[0], published.sequence());
    }

    /**
     * Releases the sealed segments nothing retained reaches and no commit in flight may have written
     * into (victims of this run or of earlier ones, or of a run before the space was reopened); returns
     * their ids.
     */
    private List<Long> release(long[] releasedBytes) {
        SpaceRetention.ReleaseGuard guard = retention.releaseGuard();
        // the bulk of the walk runs without any lock; the final step only adds what appeared since
        AtomGraph.Reach reach = graph.reach(List.of(), guard.retained().expired());
        reach.add(guard.roots(), guard.values());
        List<SegmentReclaimer.Segment> free = retention.releaseUnreached(reach, (live, floor) -> {
            List<SegmentReclaimer.Segment> chosen = new ArrayList<>();
            for (SegmentReclaimer.Segment s : reclaimer.segments()) {
                if (s.sealed() && !live.containsKey(s.id()) && s.id() < Math.min(floor, guard.inFlightFloor())) {
                    chosen.add(s);
                }
            }
            return chosen;
        });
        List<Long> ids = new ArrayList<>();
        for (SegmentReclaimer.Segment s : free) {
            ids.add(s.id());
            releasedBytes[0] += s.bytes();
        }
        return ids;
    }
}
