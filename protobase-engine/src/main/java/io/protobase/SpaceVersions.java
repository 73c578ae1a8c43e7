package io.protobase;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.protobase.collection.Dictionary;
import io.protobase.collection.internal.AtomStore;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SharedStorage;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * The chain of space roots of one object space as this process knows it: the current version, the
 * newest one written under the commit lock and still on its way to disk, and a cache of decoded
 * older versions for history reads.
 *
 * <p>Versions only move forward: {@link #advance} never replaces a version by an older one, whether
 * the newer one was published here ({@link CommitPipeline}) or found in the storage root, moved by
 * another process ({@link #currentState()}). The written version runs ahead of the current one while
 * its durability wait runs; the next batch builds on it ({@link #baseState()}), so a batch need not
 * wait for the previous one's fsync before writing.
 *
 * <p>Each version links to the previous one and to a "jump" ancestor (sequence {@code s & (s - 1)}),
 * so that finding the version of an instant reads O(log² n) records ({@link #walkBack}).
 *
 * <p>Thread-safe.
 */
final class SpaceVersions {

    private final SharedStorage storage;
    private final AtomStore store;
    private final Clock clock;
    /** Refuses every read of the current version once the space is closed. */
    private final Runnable ensureOpen;
    private final Cache<AtomPointer, SpaceState> history = Caffeine.newBuilder().maximumSize(4096).build();
    private final Object stateLock = new Object();
    private volatile SpaceState current;
    /**
     * Versions below this sequence are no longer kept for history (history reached its space bound);
     * carried by every version written from now on. Only grows.
     */
    private volatile long historyFloor;
    /** The newest state written under the commit lock; ahead of {@link #current} while its fsync runs. */
    private volatile SpaceState written;
    /** The durability of {@link #written}, for a request that adds nothing on top of it. */
    private volatile PendingRoot lastPending = PendingRoot.DURABLE;

    /**
     * Loads the version the storage root points at.
     *
     * @param ensureOpen throws {@link StorageClosedException} once the space is closed
     */
    SpaceVersions(SharedStorage storage, AtomStore store, Clock clock, Runnable ensureOpen) {
        this.storage = storage;
        this.store = store;
        this.clock = clock;
        this.ensureOpen = ensureOpen;
        this.current = loadState(storage.readRoot());
        this.historyFloor = current.historyFloor();
    }

    /**
     * The sequence below which no version is kept for history: the highest floor raised here or carried
     * by the current version (which another process may have raised).
     */
    long historyFloor() {
        return Math.max(historyFloor, current.historyFloor());
    }

    /** No version below {@code sequence} is kept for history from now on; versions written next carry it. */
    void raiseHistoryFloor(long sequence) {
        synchronized (stateLock) {
            historyFloor = Math.max(historyFloor, sequence);
        }
    }

    /** The current version as last seen, without looking at the storage root (counters). */
    SpaceState current() {
        return current;
    }

    /** The latest published state, reloaded if another process moved the storage root. */
    SpaceState currentState() {
        ensureOpen.run();
        return stateAt(storage.readRoot());
    }

    /**
     * The latest published state as the storage offers it to build a commit on
     * ({@link SharedStorage#readRootToCommitOn()}): perhaps older than {@link #currentState()}, since the
     * compare-and-set of the root decides anyway.
     */
    SpaceState stateToCommitOn() {
        ensureOpen.run();
        return stateAt(storage.readRootToCommitOn());
    }

    /** The state at {@code root} as the current one, loaded (and advanced to) if it is not the one seen last. */
    private SpaceState stateAt(AtomPointer root) {
        SpaceState s = current;
        if (!Objects.equals(root, s.pointer())) {
            advance(loadState(root));
            s = current;
        }
        return s;
    }

    /**
     * The state the next batch builds on: the newest one written under the commit lock, which may
     * still be on its way to disk, or the current one.
     */
    SpaceState baseState() {
        SpaceState c = stateToCommitOn();
        SpaceState w = written;
        return w != null && w.sequence() > c.sequence() ? w : c;
    }

    /** The newest version this process knows, written or current, without looking at the storage root. */
    SpaceState latest() {
        SpaceState c = current;
        SpaceState w = written;
        return w != null && w.sequence() > c.sequence() ? w : c;
    }

    /** The version written under the commit lock and perhaps not yet durable, or {@code null}. */
    SpaceState written() {
        return written;
    }

    /** The durability of {@code s}: that of its write when it is the written version, else durable. */
    PendingRoot pendingOf(SpaceState s) {
        return s == written ? lastPending : PendingRoot.DURABLE;
    }

    /**
     * Records {@code next}, just compare-and-set at {@code pointer} with durability {@code pending},
     * as the written version.
     *
     * @param catalog the catalog {@code next} carries, detached from this transaction's nodes
     * @return the version as readers will see it
     */
    SpaceState recordWritten(SpaceState next, AtomPointer pointer, Dictionary catalog, PendingRoot pending) {
        SpaceState published = new SpaceState(pointer, next.sequence(), next.createdAt(), next.previous(),
                next.jump(), store.detached(catalog), next.historyFloor());
        history.put(pointer, published);
        written = published;
        lastPending = pending;
        return published;
    }

    /** The compare-and-set of a written version lost: another process moved the root. */
    void writeLost() {
        written = null;
    }

    /** Makes {@code s} the current state unless a newer one already is (states only move forward). */
    void advance(SpaceState s) {
        synchronized (stateLock) {
            if (current == null || s.sequence() > current.sequence()
                    || (s.sequence() == current.sequence() && !Objects.equals(s.pointer(), current.pointer()))) {
                current = s;
            }
        }
    }

    SpaceState loadState(AtomPointer pointer) {
        if (pointer == null) {
            return SpaceState.initial();
        }
        return history.get(pointer, p -> SpaceState.fromRecord(p, store.readRecord(p)));
    }

    /**
     * Follows a history link ({@link SpaceState#previous()} or {@link SpaceState#jump()}): the version
     * it leads to, or {@code null} when compaction released it. Links of retained versions may lead
     * past the retention, to versions whose atoms are gone; walks of the history stop there.
     */
    SpaceState loadHistory(AtomPointer link) {
        try {
            return loadState(link);
        } catch (SegmentReleasedException e) {
            return null;
        }
    }

    /** The newest state published at or before {@code instant}, or {@code null} if none. */
    SpaceState walkBack(Instant instant) {
        SpaceState s = currentState();
        while (s != null && s.pointer() != null && s.createdAt().isAfter(instant)) {
            SpaceState jump = s.jump() == null ? null : loadHistory(s.jump());
            if (jump != null && jump.createdAt().isAfter(instant)) {
                s = jump;
            } else {
                s = s.previous() == null ? null : loadState(s.previous());
            }
        }
        return s == null || s.pointer() == null ? null : s;
    }

    /** The version following {@code prev} with {@code catalog}, stamped now, not yet written. */
    SpaceState next(SpaceState prev, Dictionary catalog) {
        long seq = prev.sequence() + 1;
        Instant now = clock.instant();
        Instant created = now.isAfter(prev.createdAt()) ? now : prev.createdAt();
        long target = seq & (seq - 1);
        AtomPointer jump = null;
        if (target > 0) {
            SpaceState s = prev;
            while (s != null && s.sequence() > target) {
                long jumpSeq = s.sequence() & (s.sequence() - 1);
                s = loadHistory(s.jump() != null && jumpSeq >= target ? s.jump() : s.previous());
            }
            jump = s != null && s.sequence() == target ? s.pointer() : null;
        }
        return new SpaceState(null, seq, created, prev.pointer(), jump, catalog,
                Math.max(prev.historyFloor(), historyFloor));
    }
}
