package io.protobase;

import io.protobase.codec.OutOfLineReference;
import io.protobase.collection.internal.LiveAtoms;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SegmentReclaimer;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Which versions of an object space must stay readable, for reclaiming the space of the others
 * ({@link Compactor}): those within the history retention, the one written and on its way to disk,
 * and those pinned by an open transaction (its snapshot), a live history view or a running backup;
 * and which segments commits not yet published may be writing into.
 *
 * <p>The invariant: compaction's release pass ({@link #releaseGuard()}) never misses a version that
 * is read. Choosing a version and pinning it happen under the read lock of {@link #pinning}; the
 * release pass looks at the retained versions and the commits in flight under the write lock, so no
 * version is picked between that look and the release. A commit marks itself in flight
 * ({@link #markInFlight()}) before it pushes its first atom, with the segment the storage writes then:
 * its atoms are in that segment or later ones, which no published version reaches yet.
 *
 * <p>Thread-safe.
 */
final class SpaceRetention {

    private final SpaceVersions versions;
    private final Clock clock;
    private final Duration historyRetention;
    /** The bound on history's space as a multiple of the live bytes; infinite when time alone bounds it. */
    private final double historyMaxSpaceRatio;
    /** {@code null} when the storage cannot release segments: nothing is then marked in flight. */
    private final SegmentReclaimer reclaimer;
    /**
     * The snapshot of each open transaction, the versions each running backup copies and the version
     * a commit reads while it encodes: they stay readable until their holder lets go.
     */
    private final Map<Object, SpaceState> pins = new ConcurrentHashMap<>();
    /**
     * The version of each history view returned by {@link Database#at}, held weakly: a view has no
     * close, so it pins its version for as long as the application can still reach it.
     */
    private final Map<Database, SpaceState> viewPins = new WeakHashMap<>();
    /**
     * Read: choosing and pinning a version, admitting a commit's references ({@link ReferenceGuard});
     * write: compaction's look at what it must keep.
     */
    private final ReentrantReadWriteLock pinLock;
    /** The references admitted for commits not yet published; {@code null} when {@link #reclaimer} is. */
    private final ReferenceGuard references;
    /**
     * Per commit in flight (from its first pushed atom until it is published or failed): the segment
     * the storage was writing when it began.
     */
    private final Map<Object, Long> inFlight = new ConcurrentHashMap<>();

    /**
     * @param pinLock    the lock of {@link #pinning}, shared with {@code references}, whose admissions take its
     *                   read side
     * @param references the guard of commits' references, {@code null} when the storage releases nothing
     */
    SpaceRetention(SpaceVersions versions, Clock clock, Duration historyRetention, double historyMaxSpaceRatio,
            SegmentReclaimer reclaimer, ReentrantReadWriteLock pinLock, ReferenceGuard references) {
        this.versions = versions;
        this.clock = clock;
        this.historyRetention = historyRetention;
        this.historyMaxSpaceRatio = historyMaxSpaceRatio;
        this.reclaimer = reclaimer;
        this.pinLock = pinLock;
        this.references = references;
    }

    /**
     * Runs {@code chooseAndPin}, which picks a version (the current one, one within the retention) and
     * pins it, or reads it entirely, so that compaction's release pass sees either the pin or a
     * version it keeps anyway. Every read of a version that is not pinned goes through here.
     */
    <T> T pinning(Supplier<T> chooseAndPin) {
        pinLock.readLock().lock();
        try {
            return chooseAndPin.get();
        } finally {
            pinLock.readLock().unlock();
        }
    }

    /** Keeps {@code version} retained for {@code holder} (a transaction, a backup) until {@link #unpin}. */
    void pin(Object holder, SpaceState version) {
        if (version.pointer() != null) {
            pins.put(holder, version);
        }
    }

    /** {@code holder} no longer reads the version it pinned; nothing happens if it pinned none. */
    void unpin(Object holder) {
        pins.remove(holder);
    }

    /** Keeps the version of a history view retained while the application can reach the view. */
    void pinView(Database view, SpaceState version) {
        synchronized (viewPins) {
            viewPins.put(view, version);
        }
    }

    /**
     * Runs {@code copy} on the current version, or with {@code includeHistory} on the versions the
     * history retention keeps, pinned so that nothing reclaims them meanwhile.
     */
    <T> T withPinned(boolean includeHistory, Function<List<SpaceState>, T> copy) {
        List<Object> holders = new ArrayList<>();
        List<SpaceState> chosen = pinning(() -> {
            SpaceState now = versions.currentState();
            List<SpaceState> versionsToCopy = includeHistory ? retainedHistory()
                    : now.pointer() == null ? List.<SpaceState>of() : List.of(now);
            for (SpaceState v : versionsToCopy) {
                Object holder = new Object();
                pin(holder, v);
                holders.add(holder);
            }
            return versionsToCopy;
        });
        try {
            return copy.apply(chosen);
        } finally {
            holders.forEach(this::unpin);
        }
    }

    /**
     * Registers a commit about to push atoms, until {@link #landed} with the returned mark: compaction
     * must not release the segment being written now, nor later ones, before the commit is published.
     */
    Object markInFlight() {
        Object mark = new Object();
        if (reclaimer != null) {
            inFlight.put(mark, reclaimer.writingSegment());
        }
        return mark;
    }

    /** The commit marked with {@code mark} was published or failed: its atoms need no guard any more. */
    void landed(Object mark) {
        inFlight.remove(mark);
    }

    /**
     * The newest state published at or before {@code instant}, or {@code null} if none.
     *
     * @throws HistoryExpiredException when {@code instant} is older than the history retention reaches,
     *         in time or in space
     */
    SpaceState stateAt(String database, Instant instant) {
        Instant horizon = retentionHorizon();
        if (instant.isBefore(horizon)) {
            throw new HistoryExpiredException(database, instant, historyRetention, horizon);
        }
        SpaceState current = versions.currentState();
        SpaceState state;
        try {
            state = versions.walkBack(instant);
        } catch (SegmentReleasedException e) {
            // the way back leads through a version whose space was given back: a bound dropped it
            if (!spaceBounded()) {
                HistoryExpiredException expired = new HistoryExpiredException(database, instant, historyRetention,
                        retentionHorizon());
                expired.initCause(e);
                throw expired;
            }
            throw spaceExpired(database, instant, e);
        }
        if (state != null && state.sequence() != current.sequence() && state.sequence() < versions.historyFloor()) {
            throw spaceExpired(database, instant, null);
        }
        return state;
    }

    private HistoryExpiredException spaceExpired(String database, Instant instant, RuntimeException cause) {
        HistoryExpiredException e = new HistoryExpiredException(database, instant, historyRetention,
                historyMaxSpaceRatio);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /**
     * Whether history is bounded in space as well as in time ({@link #historyMaxSpaceRatio()}); only for a
     * storage that releases segments.
     */
    boolean spaceBounded() {
        return reclaimer != null && !Double.isInfinite(historyMaxSpaceRatio);
    }

    /** The most space history may take, as a multiple of the live data's. */
    double historyMaxSpaceRatio() {
        return historyMaxSpaceRatio;
    }

    /**
     * Versions older than {@code sequence} are no longer kept for history: keeping them would take more
     * space than the bound allows. {@link #stateAt} refuses them from now on, and versions written next
     * carry the floor ({@link SpaceState#historyFloor()}), so that a reopened space refuses them too.
     * Compaction calls it, then publishes a version carrying the floor and waits for it to be durable
     * before its final release step, which no longer counts them (unless pinned).
     */
    void dropHistoryBefore(long sequence) {
        pinLock.writeLock().lock();
        try {
            versions.raiseHistoryFloor(sequence);
        } finally {
            pinLock.writeLock().unlock();
        }
    }

    /** The oldest instant {@link Database#at} reaches now: the clock's time minus the retention. */
    private Instant retentionHorizon() {
        Instant now = clock.instant();
        try {
            return now.minus(historyRetention);
        } catch (ArithmeticException | DateTimeException e) {
            return Instant.MIN; // a retention longer than the calendar: all history
        }
    }

    /**
     * What compaction's release pass must keep, taken at one moment: the retained versions and the
     * oldest segment a commit not yet published may have written into (one in flight, or one that
     * starts later and writes into the segment being written now). Only for a storage that releases
     * segments.
     */
    ReleaseGuard releaseGuard() {
        pinLock.writeLock().lock();
        try {
            // commits that start after this look write into the segment being written now or later ones
            long floor = reclaimer.writingSegment();
            for (long segment : inFlight.values()) {
                floor = Math.min(floor, segment);
            }
            RetainedRoots retained = retainedRoots();
            ReferenceGuard.Admitted admitted = references.registered();
            List<AtomPointer> roots = new ArrayList<>(retained.roots());
            roots.addAll(admitted.refs());
            return new ReleaseGuard(retained, roots, admitted.values(), floor);
        } finally {
            pinLock.writeLock().unlock();
        }
    }

    /**
     * The final step of a release pass: holding the pin lock's write side (no version is pinned and no
     * commit's references are admitted meanwhile), adds to {@code live} the retained versions and
     * admitted references that appeared since its {@link #releaseGuard()} (not entering {@code boundary},
     * nor the space roots known then), has {@code choose} pick the segments to release from the live
     * bytes and the oldest segment a commit in flight may write into, releases them and leaves
     * {@code live} to vouch for the admissions that follow ({@link ReferenceGuard#passed}).
     *
     * @return the segments released
     */
    List<SegmentReclaimer.Segment> releaseUnreached(LiveAtoms live, Set<AtomPointer> boundary,
            BiFunction<Map<Long, Long>, Long, List<SegmentReclaimer.Segment>> choose) {
        List<SegmentReclaimer.Segment> free;
        Runnable durably;
        pinLock.writeLock().lock();
        try {
            RetainedRoots retained = retainedRoots();
            ReferenceGuard.Admitted admitted = references.registered();
            List<AtomPointer> roots = new ArrayList<>(retained.roots());
            roots.addAll(admitted.refs());
            Set<AtomPointer> stops = new HashSet<>(boundary);
            stops.addAll(retained.expired());
            stops.addAll(retained.roots());
            live.addRoots(roots, admitted.values(), stops);
            long floor = reclaimer.writingSegment();
            for (long segment : inFlight.values()) {
                floor = Math.min(floor, segment);
            }
            free = choose.apply(live.liveBytesBySegment(), floor);
            // the segments are unreadable from here on, so that no commit admitted after this lock can
            // reference them; recording that durably (fsyncs on disk) waits until transactions may start again
            durably = reclaimer.releaseDeferred(free.stream().map(SegmentReclaimer.Segment::id).toList());
            references.passed(live::contains, versions.currentState().pointer());
        } finally {
            pinLock.writeLock().unlock();
        }
        durably.run();
        return free;
    }

    /**
     * @param retained      the versions that must stay readable
     * @param roots         the atoms to count live: the retained versions' roots and the references admitted
     *                      for commits not yet published
     * @param values        the out-of-line values admitted for commits not yet published
     * @param inFlightFloor segments from this id on may hold atoms of commits not yet published
     */
    record ReleaseGuard(RetainedRoots retained, List<AtomPointer> roots, List<OutOfLineReference> values,
            long inFlightFloor) {
    }

    /**
     * The versions history retention keeps, newest first: the current one, every one published
     * within the retention, and the one that was current when the retention window opened (the one
     * {@link Database#at} returns for the oldest instant it accepts), except those beyond the space
     * bound ({@link #dropHistoryBefore}). Pinned versions are not included.
     */
    List<SpaceState> retainedHistory() {
        Instant horizon = retentionHorizon();
        long floor = versions.historyFloor();
        List<SpaceState> states = new ArrayList<>();
        for (SpaceState s = versions.currentState(); s != null && s.pointer() != null;
                s = versions.loadHistory(s.previous())) {
            if (!states.isEmpty() && s.sequence() < floor) {
                break; // older versions would take more space than history may
            }
            states.add(s);
            if (!s.createdAt().isAfter(horizon)) {
                break;
            }
        }
        return states;
    }

    /**
     * The space roots whose atoms must stay readable, for reclaiming space: those of
     * {@link #retainedHistory()}, the one written and still on its way to disk, and every one pinned
     * by an open transaction (its snapshot) or a live history view. A walk of the live atoms starts at
     * {@link RetainedRoots#roots()} and does not enter {@link RetainedRoots#expired()}, the versions
     * the history links of retained roots lead to that nothing retains.
     */
    RetainedRoots retainedRoots() {
        List<SpaceState> history = retainedHistory();
        List<SpaceState> kept = new ArrayList<>();
        SpaceState w = versions.written();
        // the version written here is kept while it is ahead of the current one (on its way to disk); once another
        // writer of a shared storage (a cluster node) published on top of it, it is history like any other
        if (w != null && w.pointer() != null && (history.isEmpty() || w.sequence() >= history.get(0).sequence())) {
            kept.add(w);
        }
        kept.addAll(pins.values());
        synchronized (viewPins) {
            kept.addAll(viewPins.values());
        }
        if (!history.isEmpty()) {
            kept.add(history.get(0)); // the current version
        }
        Set<AtomPointer> roots = new LinkedHashSet<>();
        history.forEach(s -> roots.add(s.pointer()));
        kept.forEach(s -> roots.add(s.pointer()));
        Set<AtomPointer> expired = new LinkedHashSet<>();
        for (SpaceState s : history) {
            addUnretainedLinks(s, roots, expired);
        }
        for (SpaceState s : kept) {
            addUnretainedLinks(s, roots, expired);
        }
        Set<AtomPointer> keptRoots = new LinkedHashSet<>();
        kept.forEach(s -> keptRoots.add(s.pointer()));
        return new RetainedRoots(Set.copyOf(roots), Set.copyOf(expired), List.copyOf(history), Set.copyOf(keptRoots));
    }

    private static void addUnretainedLinks(SpaceState s, Set<AtomPointer> roots, Set<AtomPointer> expired) {
        for (AtomPointer link : new AtomPointer[] {s.previous(), s.jump()}) {
            if (link != null && !roots.contains(link)) {
                expired.add(link);
            }
        }
    }

    /**
     * What reclaiming space must keep ({@link #retainedRoots()}).
     *
     * @param roots space roots still readable
     * @param expired space roots only reachable through the history links of {@code roots}: not live
     * @param history the versions kept for history ({@link #retainedHistory()}), newest first
     * @param kept the space roots kept whatever their cost: the current version, the one on its way to
     *             disk, and those pinned by transactions, history views and backups
     */
    record RetainedRoots(Set<AtomPointer> roots, Set<AtomPointer> expired, List<SpaceState> history,
            Set<AtomPointer> kept) {
    }
}
