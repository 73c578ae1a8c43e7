package io.protobase;

import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.AtomRelocation;
import io.protobase.collection.internal.LiveAtoms;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Space reclamation for one object space ({@link ObjectSpace#compact()}): rewrites the live atoms
 * of the emptiest segments as an ordinary commit, then has the storage release the segments no
 * retained version reaches any more.
 *
 * <p>A run has three steps. <b>Choose</b>: the live bytes of each segment are summed over every
 * retained version ({@link SpaceRetention#retainedRoots()}), by a walk on demand, or, for a background
 * run, as the previous run's release step measured them (among the segments sealed then; atoms that
 * died since only make a segment look fuller); a sealed segment is a victim when its live fraction is
 * below the threshold, emptiest first, and the victims are rewritten when together they hold at least
 * the floor of dead bytes (segments are sized to the live data, so one alone may never reach it; a run its
 * budget or history's room limits takes its share of them, a step of that gain).
 * <b>Rewrite</b>: the current version's atoms that live in a victim, and every atom above them up to
 * the catalog, are pushed again
 * and published as a new version by compare-and-set of the root; when a commit wins the race, the
 * rewrite is redone on the new version, reusing what was already copied, so a user commit never fails
 * because of compaction. The rewrite does not enter an atom of the current version whose reach (the
 * segments from the oldest one below it to its own) holds no victim, so it costs the atoms above the
 * victims' atoms and the new ones, not the whole tree. <b>Release</b>: liveness is brought up to date
 * for the versions retained at that moment ({@link LiveAtoms}: reference counts kept from one pass to
 * the next, so a pass costs the atoms that changed since the previous one, not a walk of every retained
 * version): first those kept whatever they cost (current, written, pinned), then the versions kept for
 * history, newest first, until they would take more space than history's bound
 * ({@link #boundHistory}); the older ones are dropped from history, and a version carrying that floor
 * is made durable before anything is released. The storage then releases the sealed segments that
 * none of the retained versions reaches and that no commit in flight may be writing into. An older
 * retained version still reaching a victim keeps it: a later run releases it once that version has
 * left the history and is no longer pinned.
 *
 * <p>One run at a time; commits continue meanwhile. Runs on demand ({@link ObjectSpace#compact()})
 * rewrite every segment below the threshold. Background runs start at the interval and whenever
 * commits have written {@link #triggerBytes()} since the last run (but not before three times the
 * previous run's duration has passed, {@link #MAX_BACKGROUND_SHARE}), and rewrite at most a budget of live
 * bytes each (the bytes-per-second budget times the time since the previous run, unused budget kept up
 * to one interval's worth), emptiest segments first, so that compaction never competes with the
 * application for more than that share of the storage's bandwidth. A background run that rewrote or
 * released anything is followed by another once that share allows, commits or not, and one its budget
 * stopped by another once the budget allows, so that space comes back soon after a burst of commits
 * rather than at the next interval. Each run also has the storage seal
 * segments at {@link #triggerBytes()} (at least 1 MiB), so that space goes back in steps in proportion
 * to the live data.
 */
final class Compactor {

    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    /** The least bytes written that start a background run, so that a tiny store is not compacted per commit. */
    private static final long MIN_TRIGGER_BYTES = 256L * 1024;
    /**
     * The most time runs started by commits take of the compactor thread: after a run, the next one
     * started by commits waits three times as long as it took, so that compaction takes at most a quarter
     * of a core from the application however fast it writes (the interval's runs come on top).
     */
    private static final double MAX_BACKGROUND_SHARE = 0.25;
    /** How soon after a run that found nothing to take while commits ran the next looks again. */
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Segments are never limited below 1 MiB. */
    private static final long MIN_SEGMENT_BYTES = 1L << 20;
    /** History may always take 1 MiB, so that a small store keeps a useful history. */
    static final long MIN_HISTORY_BYTES = 1L << 20;

    private final SharedStorage storage;
    private final SpaceVersions versions;
    private final SpaceRetention retention;
    private final CommitPipeline pipeline;
    private final SegmentReclaimer reclaimer;
    private final AtomGraph graph;
    /**
     * What the current version reaches, what the versions kept whatever they cost reach (with the references
     * admitted for commits in flight), and what every retained version reaches: counted from one release pass
     * to the next ({@link LiveAtoms}), so that a pass costs the atoms that changed since the previous one, not
     * a walk of every retained version. Only used by runs.
     */
    private LiveAtoms currentAtoms;
    private LiveAtoms keptAtoms;
    private LiveAtoms retainedAtoms;
    private final double liveFraction;
    /** The live fraction of background runs that start with no commit since the previous run. */
    private final double idleLiveFraction;
    private final long minDeadBytes;
    /** The bytes this space has pushed to the storage since it opened. */
    private final LongSupplier bytesWritten;
    /** {@link #bytesWritten} when the last run started. */
    private volatile long writtenAtLastRun;
    /** {@link #bytesWritten} when the last run ended; unchanged since means the commits pause. */
    private volatile long writtenAfterLastRun = -1;
    /** The current version's live bytes at the last run; negative before the first. */
    private volatile long liveBytes = -1;
    /** A background run was asked for by {@link #published()} and has not started yet. */
    private final AtomicBoolean nudged = new AtomicBoolean();
    /** A background run is scheduled for when the budget allows the segment the last run could not take. */
    private final AtomicBoolean waitingForBudget = new AtomicBoolean();
    /** The background budget in live bytes per second; the most a background run may save up. */
    private volatile long bytesPerSecond;
    private volatile long maxPerRun;
    /** The segment size limit last given to the storage; only read and written by runs. */
    private long limitedTo;
    /**
     * How many more live bytes the last run would have needed to rewrite the next segment it chose, when
     * its budget stopped it; else 0. Only used by runs.
     */
    private long budgetWanted;
    /** The space the history kept took at the last release pass ({@link #boundHistory}); only used by runs. */
    private volatile long historyExtra;
    /** What the last release pass measured; {@code null} before it. Only read and written by runs. */
    private Liveness lastLiveness;
    /** No run is started by commits before this time ({@link System#nanoTime()}): see {@link #MAX_BACKGROUND_SHARE}. */
    private volatile long notBefore = System.nanoTime();
    /** Background budget not used by the previous run ({@link #backgroundRun}); only used by that thread. */
    private long saved;
    /** When the last background run started ({@link System#nanoTime()}). */
    private volatile long lastBackgroundRun;
    private volatile BooleanSupplier closing = () -> false;
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong bytesRewritten = new AtomicLong();
    private final AtomicLong segmentsReleased = new AtomicLong();
    private final AtomicLong bytesReleased = new AtomicLong();
    private volatile String lastError;
    /** Runs the background compaction; {@code null} when it is off. */
    private volatile ScheduledExecutorService background;

    Compactor(SharedStorage storage, SpaceVersions versions, SpaceRetention retention, CommitPipeline pipeline,
            SegmentReclaimer reclaimer, AtomGraph graph, LongSupplier bytesWritten,
            ObjectSpace.CompactionSettings settings) {
        this.storage = storage;
        this.versions = versions;
        this.retention = retention;
        this.pipeline = pipeline;
        this.reclaimer = reclaimer;
        this.graph = graph;
        freshCounts();
        this.bytesWritten = bytesWritten;
        this.liveFraction = settings.liveFraction();
        this.idleLiveFraction = Math.max(settings.liveFraction(), settings.idleLiveFraction());
        this.minDeadBytes = settings.minDeadBytes();
        this.writtenAtLastRun = bytesWritten.getAsLong();
    }

    /**
     * Runs once, rewriting segments while the live bytes they hold stay within {@code maxLiveBytes}
     * (a segment nothing reaches costs nothing and is always taken). Counts the run, or records its failure.
     *
     * @param measure walk every retained version to choose the victims, rather than trust the liveness the
     *                previous run measured (background runs trust it)
     */
    CompactionResult run(long maxLiveBytes, boolean measure) {
        return run(maxLiveBytes, measure, liveFraction);
    }

    /** As {@link #run(long, boolean)}, rewriting the sealed segments less live than {@code threshold}. */
    private synchronized CompactionResult run(long maxLiveBytes, boolean measure, double threshold) {
        try {
            CompactionResult result = runOnce(maxLiveBytes, measure, threshold);
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
     * Runs every {@code interval} on a daemon thread, and whenever {@link #published()} finds that
     * commits wrote {@link #triggerBytes()} since the last run, until {@link #stopBackground()}. Each
     * run rewrites at most {@code bytesPerSecond} times the time since the previous one (at most the
     * interval) of live bytes. A run that fails is logged and tried again later; none starts once
     * {@code closing} holds.
     */
    void startBackground(Duration interval, long bytesPerSecond, BooleanSupplier closing) {
        this.bytesPerSecond = bytesPerSecond;
        this.maxPerRun = (long) Math.min(Long.MAX_VALUE, bytesPerSecond * (interval.toNanos() / 1e9));
        this.closing = closing;
        this.lastBackgroundRun = System.nanoTime();
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "protobase-compactor");
            t.setDaemon(true);
            return t;
        });
        // a run scheduled to continue the work is dropped when the space closes, not waited for
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        thread.scheduleWithFixedDelay(this::backgroundRun, interval.toNanos(), interval.toNanos(),
                TimeUnit.NANOSECONDS);
        background = thread;
    }

    /**
     * A commit was published: asks for a background run once commits wrote {@link #triggerBytes()}
     * since the last one. Cheap, never blocks and never throws: it runs on the committing thread.
     */
    void published() {
        ScheduledExecutorService thread = background;
        if (thread == null || bytesWritten.getAsLong() - writtenAtLastRun < triggerBytes()
                || System.nanoTime() - notBefore < 0 || !nudged.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(this::backgroundRun);
        } catch (RejectedExecutionException e) {
            nudged.set(false); // stopping: the space is closing
        }
    }

    /**
     * The bytes written after which a background run starts, and (at least 1 MiB) the size at which the
     * storage seals segments: a quarter of the live bytes, at least the minimum of dead bytes and 256 KiB.
     */
    private long triggerBytes() {
        long live = liveBytes;
        return Math.max(Math.max(minDeadBytes, MIN_TRIGGER_BYTES), live < 0 ? 0 : live / 4);
    }

    private void backgroundRun() {
        nudged.set(false);
        if (closing.getAsBoolean()) {
            return;
        }
        long now = System.nanoTime();
        // a token bucket: budget not used by a run is kept for the next, up to one interval's worth, so that
        // frequent small runs can still rewrite a segment with more live bytes than one run earns
        long budget = (long) Math.min(maxPerRun, saved + bytesPerSecond * ((now - lastBackgroundRun) / 1e9));
        lastBackgroundRun = now;
        // no commit since the previous run: the storage is the compactor's, so it packs the segments tighter
        boolean idle = bytesWritten.getAsLong() == writtenAfterLastRun;
        try {
            CompactionResult result = run(Math.max(1, budget), false, idle ? idleLiveFraction : liveFraction);
            saved = Math.max(0, budget - result.bytesRewritten());
            // a run walks every retained version: runs started by commits take at most a share of one core
            long took = System.nanoTime() - now;
            long pause = (long) (took * (1 - MAX_BACKGROUND_SHARE) / MAX_BACKGROUND_SHARE);
            notBefore = System.nanoTime() + pause;
            if (result.segmentsRewritten() > 0 || result.segmentsReleased() > 0) {
                // work remains (what this run moved is released by a later one): keep going once the pause
                // is over, so that space comes back soon after commits stop, not at the next interval
                continueAfter(pause);
            } else if (!idle && budgetWanted == 0) {
                // nothing to take while commits run: look again a second after they pause, when the idle
                // live fraction applies, rather than at the next interval
                continueAfter(Math.max(pause, IDLE_CHECK_NANOS));
            } else if (budgetWanted > 0 && saved + budgetWanted <= maxPerRun
                    && waitingForBudget.compareAndSet(false, true)) {
                // the budget stopped it: go on once the budget has grown enough for the next segment (commits
                // may still start runs meanwhile, so this wait does not hold their nudges back)
                schedule(() -> {
                    waitingForBudget.set(false);
                    backgroundRun();
                }, Math.max(pause, (long) (budgetWanted * 1e9 / bytesPerSecond)), () -> waitingForBudget.set(false));
            }
        } catch (RuntimeException e) {
            if (!closing.getAsBoolean()) {
                LOG.warn("Background compaction of {} failed; it runs again after more commits or the next "
                        + "interval: {}", storage.describe(), e.toString());
            }
        }
    }

    /** Schedules a background run after {@code pause} nanoseconds, unless one is asked for already. */
    private void continueAfter(long pause) {
        if (nudged.compareAndSet(false, true)) {
            schedule(this::backgroundRun, pause, () -> nudged.set(false));
        }
    }

    /** Schedules {@code run} after {@code pause} nanoseconds; {@code dropped} when it cannot be (closing). */
    private void schedule(Runnable run, long pause, Runnable dropped) {
        ScheduledExecutorService thread = background;
        if (thread == null || closing.getAsBoolean()) {
            dropped.run();
            return;
        }
        try {
            thread.schedule(run, pause, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            dropped.run(); // stopping: the space is closing
        }
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

    /** The current version's live bytes at the last run; negative before the first. */
    long liveBytes() {
        return liveBytes;
    }

    /** The space history held back from reclamation at the last run (see {@link #boundHistory}). */
    long historyBytes() {
        return historyExtra;
    }

    /** The failure of the last run that failed, or {@code null}. */
    String lastError() {
        return lastError;
    }

    private CompactionResult runOnce(long maxLiveBytes, boolean measure, double threshold) {
        budgetWanted = 0;
        writtenAtLastRun = bytesWritten.getAsLong();
        // a background run chooses its victims by the liveness the previous run's release pass measured,
        // among the segments it saw sealed (atoms that died since only make a segment look fuller than it
        // is), which saves a walk of every retained version per run; a run on demand walks afresh
        Liveness known = measure ? null : lastLiveness;
        if (known == null) {
            // segments sealed during the walk may hold atoms it did not count: only those before count as measured
            long writingBefore = reclaimer.writingSegment();
            SpaceRetention.RetainedRoots retained = retention.retainedRoots();
            AtomGraph.Reach reach = measuringReach(retained);
            reach.add(retained.kept());
            Map<Long, Long> kept = Map.copyOf(reach.liveBytesBySegment());
            reach.add(retained.roots());
            known = new Liveness(Map.copyOf(reach.liveBytesBySegment()), kept, writingBefore);
        }
        Map<Long, Long> live = known.bytesBySegment();
        Map<Long, Long> keptLive = known.keptBySegment();
        List<SegmentReclaimer.Segment> segments = reclaimer.segments();
        // segments sized to the live data, so that superseded atoms are given back in small steps
        long segmentLimit = Math.max(MIN_SEGMENT_BYTES, triggerBytes());
        if (segmentLimit != limitedTo) {
            reclaimer.limitSegmentSize(segmentLimit);
            limitedTo = segmentLimit;
        }
        long measuredBelow = known.writingSegment();
        segments = segments.stream().filter(s -> before(s.id(), measuredBelow)).toList();
        List<SegmentReclaimer.Segment> victims = new ArrayList<>();
        for (SegmentReclaimer.Segment s : segments) {
            long liveBytes = live.getOrDefault(s.id(), 0L);
            // a segment history still reaches waits: moving the current version's atoms out of it would free
            // nothing before that history goes, and would keep two copies meanwhile (history's bound charges it
            // for the segment, see boundHistory, so that it goes)
            boolean historyReaches = liveBytes > keptLive.getOrDefault(s.id(), 0L);
            if (s.sealed() && liveBytes < threshold * s.bytes() && !historyReaches) {
                victims.add(s);
            }
        }
        victims.sort(Comparator.comparingDouble(s -> (double) live.getOrDefault(s.id(), 0L) / Math.max(1, s.bytes())));
        Set<Long> ids = new HashSet<>();
        long budget = maxLiveBytes;
        // the versions before this run's will reach the segments it moves out of: history is charged for them
        // (boundHistory), so a run moves no more than history has room for, one segment at least, and never
        // drops by itself the history the bound keeps
        long room = retention.spaceBounded() ? historyBudget() - historyExtra : Long.MAX_VALUE;
        // the floor weighs what the victims hold together, not what this run's share of them holds: a run the
        // budget or history's room limits is one step of that gain
        long dead = 0;
        for (SegmentReclaimer.Segment s : victims) {
            dead += s.bytes() - live.getOrDefault(s.id(), 0L);
        }
        boolean rewrites = false;
        for (SegmentReclaimer.Segment s : victims) {
            long liveBytes = live.getOrDefault(s.id(), 0L);
            if (liveBytes > 0 && (liveBytes > budget || (rewrites && s.bytes() > room))) {
                if (liveBytes > budget) {
                    budgetWanted = liveBytes - budget;
                }
                break;
            }
            budget -= liveBytes;
            if (liveBytes > 0) {
                room -= s.bytes();
            }
            rewrites |= liveBytes > 0;
            ids.add(s.id());
        }
        if (rewrites && dead < minDeadBytes) {
            // too little to gain for a commit: segments nothing reaches are released all the same
            ids.clear();
        }
        NavigableSet<Long> moving = new TreeSet<>(ids);
        AtomRelocation relocation = graph.relocate(ids::contains, p -> movesNothing(p, moving));
        SpaceState published = ids.isEmpty() ? versions.currentState() : pipeline.publishRelocated(relocation);
        long[] releasedBytes = {0};
        List<Long> released = release(releasedBytes, threshold);
        writtenAfterLastRun = bytesWritten.getAsLong();
        return new CompactionResult(ids.size(), relocation.atoms(), relocation.bytes(), released.size(),
                releasedBytes[0], published.sequence());
    }

    /**
     * Counts in {@link #retainedAtoms} the versions kept for history, newest first, while the space they keep
     * from being reclaimed takes at most the history's budget (its space bound times the live bytes, at least
     * {@link #MIN_HISTORY_BYTES}); the first version beyond the budget is counted in this pass, and it and all
     * older ones leave history ({@link SpaceRetention#dropHistoryBefore}) and the count. Versions counted by
     * the previous pass stay counted, so only the newer ones are added; when one takes the space held back
     * past the budget, the oldest counted versions leave first. That space is, per segment history reaches
     * beyond what the kept versions ({@code keptLive}) reach there: what compaction would free but for
     * history, the segment less the kept versions' bytes, when they are few enough for it to be rewritten by
     * this run ({@code threshold}, the idle live fraction once commits pause) (a segment is given back whole
     * or not at all, and compaction leaves alone the segments history reaches); else the bytes of the atoms
     * only history reaches there.
     */
    private void boundHistory(SpaceRetention.RetainedRoots retained, Set<AtomPointer> counted,
            Map<Long, Long> keptLive, Set<AtomPointer> boundary, double threshold) {
        HeldBack held = new HeldBack(keptLive, threshold);
        long budget = historyBudget();
        List<SpaceState> history = retained.history();
        long floor = -1;
        int oldest = history.size() - 1; // versions older than the one added are let go first, oldest first
        for (int i = 0; i < history.size(); i++) {
            SpaceState v = history.get(i);
            if (retained.kept().contains(v.pointer())) {
                continue;
            }
            if (!counted.contains(v.pointer())) {
                retainedAtoms.addRoots(List.of(v.pointer()), List.of(), boundary);
            }
            held.update();
            for (; held.held > budget && oldest > i; oldest--) {
                SpaceState u = history.get(oldest);
                if (!retained.kept().contains(u.pointer())) {
                    retainedAtoms.removeRoot(u.pointer());
                    floor = u.sequence() + 1;
                    held.update();
                }
            }
            if (held.held > budget) {
                // nothing older is left to let go: this version stays counted until the next pass, and leaves
                // history with every older one
                floor = v.sequence() + 1;
                break;
            }
        }
        if (floor >= 0) {
            retention.dropHistoryBefore(floor);
        }
        historyExtra = Math.min(held.held, budget);
    }

    /**
     * The space history holds back from reclamation (see {@link #boundHistory}), per segment, kept up to
     * date from the segments whose live bytes changed.
     */
    private final class HeldBack {
        private final Map<Long, Long> keptLive;
        private final double threshold;
        private final Map<Long, Long> sizes = new HashMap<>();
        private final Map<Long, Long> bySegment = new HashMap<>();
        long held;

        HeldBack(Map<Long, Long> keptLive, double threshold) {
            this.keptLive = keptLive;
            this.threshold = threshold;
            for (SegmentReclaimer.Segment s : reclaimer.segments()) {
                sizes.put(s.id(), s.bytes());
            }
            retainedAtoms.drainTouched();
            retainedAtoms.liveBytesBySegment().keySet().forEach(this::update);
        }

        /** Brings the segments touched since the last call up to date; returns the space held back. */
        long update() {
            retainedAtoms.drainTouched().forEach(this::update);
            return held;
        }

        private void update(long segment) {
            long all = retainedAtoms.liveBytesBySegment().getOrDefault(segment, 0L);
            long kept = keptLive.getOrDefault(segment, 0L);
            long size = sizes.getOrDefault(segment, all);
            // what history holds back: the whole segment when, but for history, compaction would free it
            long extra = all <= kept ? 0 : kept < threshold * size ? size - kept : all - kept;
            Long before = extra == 0 ? bySegment.remove(segment) : bySegment.put(segment, extra);
            held += extra - (before == null ? 0 : before);
        }
    }

    /**
     * Whether nothing the atom {@code p} of the current version reaches lies in a {@code moving} segment, as
     * far as {@link #currentAtoms} knows it (an atom it has not counted yet is entered): it lies in the
     * segments from the oldest it reaches to its own.
     */
    private boolean movesNothing(AtomPointer p, NavigableSet<Long> moving) {
        long oldest = currentAtoms.oldestSegment(p);
        if (oldest < 0) {
            return false;
        }
        Long first = moving.ceiling(oldest);
        return first == null || first > p.segmentId();
    }

    private static List<AtomPointer> union(List<AtomPointer> a, Set<AtomPointer> b) {
        List<AtomPointer> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The most space history may take: its space bound times the live bytes, at least {@link #MIN_HISTORY_BYTES}. */
    private long historyBudget() {
        return Math.max(MIN_HISTORY_BYTES,
                (long) Math.min(Long.MAX_VALUE, retention.historyMaxSpaceRatio() * Math.max(0, liveBytes)));
    }

    /**
     * Starts a reach with the current version alone, to record its live bytes (which size history's
     * budget and the triggers), before the other retained roots are added.
     */
    private AtomGraph.Reach measuringReach(SpaceRetention.RetainedRoots retained) {
        // every space root is a boundary, so that a version's walk stops at the history links to the
        // others; each root added later is walked all the same. The current version is the one retained
        // then: a newer one may link to versions the boundary does not hold
        Set<AtomPointer> boundary = new HashSet<>(retained.expired());
        boundary.addAll(retained.roots());
        List<AtomPointer> current = retained.history().isEmpty() ? List.of()
                : List.of(retained.history().get(0).pointer());
        AtomGraph.Reach reach = graph.reach(current, boundary);
        liveBytes = reach.liveBytesBySegment().values().stream().mapToLong(Long::longValue).sum();
        return reach;
    }

    /**
     * Whether segment {@code id} comes before {@code floor}, a segment this node writes (or wrote when a commit
     * in flight began): a segment of another writer of a shared storage is never written by this node's
     * commits, so it always does ({@link SegmentReclaimer#sameWriter}).
     */
    private boolean before(long id, long floor) {
        return !reclaimer.sameWriter(id, floor) || id < floor;
    }

    /**
     * The live bytes per segment a release pass measured, complete for the segments before
     * {@code writingSegment} (the one being written when it started).
     */
    private record Liveness(Map<Long, Long> bytesBySegment, Map<Long, Long> keptBySegment, long writingSegment) {
    }

    /**
     * Releases the sealed segments nothing retained reaches and no commit in flight may have written
     * into (victims of this run or of earlier ones, or of a run before the space was reopened); returns
     * their ids.
     */
    private List<Long> release(long[] releasedBytes, double threshold) {
        try {
            return countAndRelease(releasedBytes, threshold);
        } catch (RuntimeException | Error e) {
            // a count left half done could take a segment for free that an atom it did not reach needs:
            // the next pass counts everything afresh (into new counts: the reference checks of commits keep
            // reading the old one until that pass's final step, which counts what they admitted meanwhile)
            freshCounts();
            lastLiveness = null;
            throw e;
        }
    }

    /** Starts the counts afresh: new ones, so that the reference checks of commits keep the old until replaced. */
    private void freshCounts() {
        currentAtoms = graph.liveAtoms();
        keptAtoms = graph.liveAtoms();
        retainedAtoms = graph.liveAtoms();
    }

    private List<Long> countAndRelease(long[] releasedBytes, double threshold) {
        SpaceRetention.ReleaseGuard guard = retention.releaseGuard();
        long writingBefore = reclaimer.writingSegment();
        // the counts are brought up to date without any lock; the final step only adds what appeared since
        SpaceRetention.RetainedRoots retained = guard.retained();
        // every space root is a boundary, so that a version's count stops at the history links to the
        // others; each retained root is counted all the same
        Set<AtomPointer> boundary = new HashSet<>(retained.expired());
        boundary.addAll(retained.roots());
        currentAtoms.setRoots(retained.history().isEmpty() ? List.of()
                : List.of(retained.history().get(0).pointer()), List.of(), boundary);
        liveBytes = currentAtoms.totalBytes();
        List<AtomPointer> kept = new ArrayList<>(guard.roots());
        Set<AtomPointer> history = new HashSet<>();
        retained.history().forEach(v -> history.add(v.pointer()));
        kept.removeIf(p -> history.contains(p) && !retained.kept().contains(p));
        keptAtoms.setRoots(kept, guard.values(), boundary);
        Map<Long, Long> keptLive = keptAtoms.snapshot();
        List<AtomPointer> all = new ArrayList<>(kept);
        retained.history().forEach(v -> all.add(v.pointer()));
        if (retention.spaceBounded()) {
            // the history versions the previous pass counted stay counted, and those no longer retained leave;
            // the newer ones are counted newest first, within history's budget
            Set<AtomPointer> counted = new HashSet<>(retainedAtoms.roots());
            counted.retainAll(new HashSet<>(all));
            retainedAtoms.setRoots(union(kept, counted), guard.values(), boundary);
            boundHistory(retained, counted, keptLive, boundary, threshold);
            // the floor must be on disk before anything it gives up is released: a reopened space reads it
            pipeline.publishHistoryFloor();
        } else {
            retainedAtoms.setRoots(all, guard.values(), boundary);
        }
        // the versions published meanwhile are counted before the final step too, so that under its lock (which
        // starting transactions and admissions wait for) it has little left to count
        SpaceRetention.RetainedRoots meanwhile = retention.retainedRoots();
        boundary.addAll(meanwhile.expired());
        boundary.addAll(meanwhile.roots());
        retainedAtoms.addRoots(meanwhile.roots(), List.of(), boundary);
        List<SegmentReclaimer.Segment> free = retention.releaseUnreached(retainedAtoms, boundary, (live, floor) -> {
            List<SegmentReclaimer.Segment> chosen = new ArrayList<>();
            for (SegmentReclaimer.Segment s : reclaimer.segments()) {
                if (s.sealed() && !live.containsKey(s.id()) && before(s.id(), Math.min(floor, guard.inFlightFloor()))) {
                    chosen.add(s);
                }
            }
            return chosen;
        });
        lastLiveness = new Liveness(retainedAtoms.snapshot(), keptLive, writingBefore);
        List<Long> ids = new ArrayList<>();
        for (SegmentReclaimer.Segment s : free) {
            ids.add(s.id());
            releasedBytes[0] += s.bytes();
        }
        graph.forgetSegments(ids);
        return ids;
    }
}
