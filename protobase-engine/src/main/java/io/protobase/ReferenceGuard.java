package io.protobase;

import io.protobase.codec.AtomReferences;
import io.protobase.codec.OutOfLineReference;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.ReferenceRecorder;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;

/**
 * Keeps commits from publishing references to atoms that compaction has released, or is about to
 * release. A transaction may write an object read in an earlier transaction (a collection kept by the
 * application); once the version it came from is no longer retained, its atoms, or atoms below them,
 * may be released. Without this guard the commit would succeed and its data be unreadable.
 *
 * <p>Three parts:
 * <ol>
 * <li><b>Recording</b>: the atom store pushes through {@link #recording}; while a thread commits (a
 *     {@link Context} is open), the pointers in the atoms it pushes to atoms it did not push itself
 *     are noted, with the out-of-line values they hold. The encoder of each atom reports its references
 *     ({@link ReferenceRecorder}), those of the bytes it copied from an older atom included, and those
 *     inside a value it stores out of line (whose chunks are raw bytes); an atom pushed without them
 *     has its bytes read for them.</li>
 * <li><b>Admission</b>: before the commit is published, each noted pointer is checked against what
 *     the last release pass found live. One it cannot vouch for (an atom older than the pass that the
 *     pass did not reach) has its graph read, down to atoms it vouches for; if
 *     anything is gone the commit fails with {@link StaleReferenceException}. The pointers are then
 *     registered until the commit is published (a published version is retained as usual).</li>
 * <li><b>Release</b>: a release pass counts the registered pointers among the live roots, both when
 *     it starts and, holding the write side of the space's pin lock (which admission takes for
 *     reading), right before it releases anything; it then records what it found live for the next
 *     admissions.</li>
 * </ol>
 * An admission and the final step of a release pass therefore never overlap: a pointer admitted
 * before the final step keeps its graph, one admitted after it is checked against what that pass
 * kept. What this cannot see: an object whose atoms were written by a commit that then failed, and
 * that referenced atoms released since; such atoms were never admitted anywhere. And a stale object
 * that only the leader of a group commit writes (a root rebased onto a newer version, which its own
 * commit did not encode) is refused for the whole batch: every commit of that batch fails with the
 * exception, not only the one that wrote the object.
 */
final class ReferenceGuard {

    private final ReentrantReadWriteLock lock;
    private final AtomGraph graph;
    private final SegmentReclaimer reclaimer;
    private final ThreadLocal<Context> current = new ThreadLocal<>();
    private final Map<Context, Context> registered = new ConcurrentHashMap<>();
    /**
     * Whether the storage's {@link SegmentReclaimer#retiring} is asked about every reference a commit makes
     * even before the first release pass: a storage several writers share refuses references on its own.
     */
    private final boolean eachReferenceAsked;
    /** What the last release pass found live; {@code null} before the first (nothing was released). */
    private volatile LiveSet lastPass;
    /**
     * The newest atom pushed through {@link #recording}: storages give pointers in push order (segment
     * ids rise, offsets rise within a segment), so an atom newer than a pass's mark was pushed after it.
     */
    private final AtomicReference<AtomPointer> newest = new AtomicReference<>();
    /**
     * The graph each push with complete references tells what the atom references ({@link #rememberPushes}), so
     * that compaction's walks neither read nor scan new atoms; {@code null} until then.
     */
    private volatile AtomGraph rememberPushes;

    /**
     * Storage order: positive when {@code a} was pushed after {@code b}. Only for atoms of one writer
     * ({@link SegmentReclaimer#sameWriter}).
     */
    private static int newer(AtomPointer a, AtomPointer b) {
        int c = Long.compare(a.segmentId(), b.segmentId());
        return c != 0 ? c : Long.compare(a.offset(), b.offset());
    }

    /**
     * @param lock      the space's pin lock: admissions take its read side, a release's final step its write side
     * @param storage   the space's storage, to read what an admission cannot vouch for
     * @param reclaimer the storage's reclaimer
     */
    ReferenceGuard(ReentrantReadWriteLock lock, SharedStorage storage, SegmentReclaimer reclaimer) {
        this.lock = lock;
        this.reclaimer = reclaimer;
        this.eachReferenceAsked = reclaimer.refusesReferences();
        // an atom of a segment every node of a cluster released may still be readable here for the readers that
        // reached it before, but a commit must not reference it: the check reads it as gone
        this.graph = new AtomGraph(new RetiringUnreadable(storage));
    }

    /** Whether {@code p} is in a segment no commit may reference any more ({@link SegmentReclaimer#retiring}). */
    private boolean retiring(AtomPointer p) {
        return reclaimer.retiring(p.segmentId());
    }

    /**
     * From now on, tells {@code compaction} (the compactor's graph) what each atom pushed with its references
     * reported references ({@link AtomGraph#pushed}): the background compactor walks every new atom soon
     * after, and would otherwise read and scan what the encoder already knew. Not done without a background
     * compactor, whose walks would not come to take that memory back.
     */
    void rememberPushes(AtomGraph compaction) {
        rememberPushes = compaction;
    }

    /** {@code storage} with its pushes noted in the context open on the pushing thread, if any. */
    SharedStorage recording(SharedStorage storage) {
        return new RecordingStorage(storage);
    }

    /** Opens a context on this thread: the pointers its pushes write to atoms it did not push are noted. */
    Context open() {
        Context c = new Context(current.get());
        current.set(c);
        return c;
    }

    /**
     * Checks the pointers {@code c} noted and registers them until {@code c} is closed.
     *
     * @throws StaleReferenceException when one leads to an atom that was released
     */
    void admit(Context c) {
        if (c.nothingNoted()) {
            return;
        }
        lock.readLock().lock();
        try {
            LiveSet known = lastPass;
            if (known != null || eachReferenceAsked) {
                c.flatten();
                for (AtomPointer p : c.refs) {
                    if (retiring(p)) {
                        throw staleRetiring(p);
                    }
                }
                for (OutOfLineReference v : c.values) {
                    if (retiring(v.first())) {
                        throw staleRetiring(v.first());
                    }
                }
            }
            if (known != null) {
                for (AtomPointer p : c.refs) {
                    if (!known.contains(p)) {
                        requireWhole(p, List.of(p), List.of(), known);
                    }
                }
                for (OutOfLineReference v : c.values) {
                    if (!known.contains(v.first())) {
                        requireWhole(v.first(), List.of(), List.of(v), known);
                    }
                }
            }
            // a context notes nothing after its admission (a batch its thread then leads has a context of its
            // own), so it is registered as it is; with nothing to check (no release pass yet, no segment a
            // reference could be refused for) the references it noted are only listed when a pass asks
            c.admitted = true;
            registered.put(c, c);
        } finally {
            lock.readLock().unlock();
        }
    }

    private StaleReferenceException staleRetiring(AtomPointer p) {
        return new StaleReferenceException(String.valueOf(p), new SegmentReleasedException("Atom " + p
                + " is in segment " + p.segmentId() + ", which compaction released", p.segmentId()));
    }

    private void requireWhole(AtomPointer named, List<AtomPointer> refs, List<OutOfLineReference> values,
                              LiveSet known) {
        try {
            graph.requireWhole(refs, values, known::contains);
        } catch (CorruptionException e) {
            throw new StaleReferenceException(String.valueOf(named), e);
        }
    }

    /** What was admitted for commits not yet published: live roots for a release pass. */
    Admitted registered() {
        List<AtomPointer> refs = new ArrayList<>();
        List<OutOfLineReference> values = new ArrayList<>();
        registered.values().forEach(c -> c.admitted(refs, values));
        return new Admitted(refs, values);
    }

    /**
     * References admitted for a commit: pointers, and out-of-line values (a value's chunks may hold
     * references of their own, which a walk from the value finds and a walk from a chunk does not).
     */
    record Admitted(List<AtomPointer> refs, List<OutOfLineReference> values) {
    }

    /**
     * Records what a release pass found live, called holding the write side of the pin lock once it
     * released: {@code live} tells the atoms (and the first chunks of the out-of-line values) it reached,
     * and {@code root} is the space's current root. Atoms newer than both the root and every atom pushed
     * through {@link #recording} so far are pushed after this call. {@code live} may change after the
     * pass (compaction keeps its count of live atoms up to date between passes): it must then only
     * lose atoms before a later pass releases them, and only gain atoms that pass keeps, so that an
     * admission it vouches for is either counted by the next pass's final step or refers to an atom
     * still kept.
     */
    void passed(Predicate<AtomPointer> live, AtomPointer root) {
        AtomPointer mark = newest.get();
        if (mark == null || (root != null && reclaimer.sameWriter(root.segmentId(), mark.segmentId())
                && newer(root, mark) > 0)) {
            mark = root;
        }
        lastPass = new LiveSet(live, mark, reclaimer);
    }

    /** What one thread's commit (or one batch written by a leader) pushes; closed when published or failed. */
    final class Context implements AutoCloseable {
        private final Context outer;
        /**
         * The atoms this context pushed, in push order, which is storage order ({@link #newer}), so a
         * binary search finds one: references between them need no check. Should a storage ever hand
         * out pointers out of that order, {@link #ownUnordered} holds them all instead.
         */
        private final List<AtomPointer> own = new ArrayList<>();
        private Set<AtomPointer> ownUnordered;
        /**
         * The first atom this context pushed. Pushes come in storage order, so no atom older than it is in
         * {@link #own}: most references (the unchanged children of a path-copied node) are told apart by one
         * comparison, without a set lookup.
         */
        private AtomPointer firstOwn;
        /** Pointers {@link #exempt exempted} from the check: a handful per context. */
        private final List<AtomPointer> exempted = new ArrayList<>(2);
        /** Reference lists noted and not yet listed in {@link #refs} and {@link #values} ({@link #flatten}). */
        private final List<AtomReferences> noted = new ArrayList<>();
        /** The noted references, in the order noted; a pointer noted twice is checked twice, which is harmless. */
        private final ArrayList<AtomPointer> refs = new ArrayList<>();
        private final Set<OutOfLineReference> values = new HashSet<>();
        /** Set by {@link #admit}: the context is registered as it is and notes nothing more. */
        private boolean admitted;

        private Context(Context outer) {
            this.outer = outer;
        }

        /**
         * Notes the references {@code known} of an atom, as its encoder reported them. They are only listed
         * ({@link #flatten}) when something asks: most are the unchanged children of a path-copied node, and
         * reading each pointer of them, scattered over the heap, costs more than the rest of the commit.
         */
        private void note(AtomReferences known) {
            requireNotAdmitted();
            if (known.size() > 0) {
                noted.add(known);
            }
        }

        /** Whether nothing was noted: no reference to an atom this context did not push itself, possibly. */
        private boolean nothingNoted() {
            return noted.isEmpty() && refs.isEmpty() && values.isEmpty();
        }

        /** Lists the references noted and not listed yet in {@link #refs} and {@link #values}. */
        private synchronized void flatten() {
            for (AtomReferences known : noted) {
                refs.ensureCapacity(refs.size() + known.size());
                for (int i = 0, n = known.size(); i < n; i++) {
                    Object r = known.reference(i);
                    if (r instanceof AtomPointer p) {
                        if (!isOwn(p)) {
                            refs.add(p);
                        }
                    } else if (r instanceof OutOfLineReference v && !isOwn(v.first())) {
                        values.add(v);
                    }
                }
            }
            noted.clear();
        }

        /** Adds what was admitted for this context to {@code toRefs} and {@code toValues}. */
        private synchronized void admitted(List<AtomPointer> toRefs, List<OutOfLineReference> toValues) {
            flatten();
            toRefs.addAll(refs);
            toValues.addAll(values);
        }

        /** Notes the references of an atom pushed without them: they are read from its bytes. */
        private void note(byte[] atom) {
            requireNotAdmitted();
            AtomGraph.forEachReference(atom, p -> {
                if (!isOwn(p)) {
                    refs.add(p);
                }
            }, v -> {
                if (!isOwn(v.first())) {
                    values.add(v);
                }
            });
        }

        private void requireNotAdmitted() {
            if (admitted) {
                throw new IllegalStateException("A commit's reference context noted references after its admission;"
                        + " the pointers registered for it would change under a release pass");
            }
        }

        private boolean isOwn(AtomPointer p) {
            return firstOwn != null && newer(p, firstOwn) >= 0 && ownContains(p) || exempted.contains(p);
        }

        private boolean ownContains(AtomPointer p) {
            return ownUnordered != null ? ownUnordered.contains(p)
                    : Collections.binarySearch(own, p, ReferenceGuard::newer) >= 0;
        }

        private void pushed(AtomPointer p) {
            if (firstOwn == null) {
                firstOwn = p;
            }
            if (ownUnordered == null && !own.isEmpty() && newer(p, own.get(own.size() - 1)) <= 0) {
                ownUnordered = new HashSet<>(own);
            }
            if (ownUnordered != null) {
                ownUnordered.add(p);
            }
            own.add(p);
        }

        /**
         * Exempts {@code pointers} from the check: the history links of a space root, which may lead past
         * the retention to versions already released (walks of the history stop there).
         */
        void exempt(AtomPointer... pointers) {
            for (AtomPointer p : pointers) {
                if (p != null) {
                    exempted.add(p);
                }
            }
        }

        @Override
        public void close() {
            registered.remove(this);
            current.set(outer);
        }
    }

    /** The atoms a release pass found live, and the newest atom pushed then. */
    private static final class LiveSet {
        private final Predicate<AtomPointer> live;
        private final AtomPointer newest;
        private final SegmentReclaimer reclaimer;

        LiveSet(Predicate<AtomPointer> live, AtomPointer newest, SegmentReclaimer reclaimer) {
            this.live = live;
            this.newest = newest;
            this.reclaimer = reclaimer;
        }

        /**
         * Whether the pass vouches for {@code p}: found live then, or written after it by this writer (an atom
         * of another writer of a shared storage is never taken as newer by its id).
         */
        boolean contains(AtomPointer p) {
            if (newest != null && reclaimer.sameWriter(p.segmentId(), newest.segmentId()) && newer(p, newest) > 0) {
                return true;
            }
            return live.test(p);
        }
    }

    /**
     * The space's storage as the admission check reads it: an atom of a {@link SegmentReclaimer#retiring}
     * segment reads as released, so that a graph reaching one is refused. Reads only.
     */
    private final class RetiringUnreadable implements SharedStorage {
        private final SharedStorage delegate;

        RetiringUnreadable(SharedStorage delegate) {
            this.delegate = delegate;
        }

        @Override
        public AtomPointer push(byte[] atom) {
            throw new IllegalStateException("The admission check only reads " + delegate.describe());
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            if (retiring(pointer)) {
                throw new SegmentReleasedException("Atom " + pointer + " is in segment " + pointer.segmentId()
                        + " of " + delegate.describe() + ", which compaction released", pointer.segmentId());
            }
            return delegate.read(pointer);
        }

        @Override
        public AtomPointer readRoot() {
            return delegate.readRoot();
        }

        @Override
        public AtomPointer readRootToCommitOn() {
            return delegate.readRootToCommitOn();
        }

        @Override
        public CommitLock acquireCommitLock(Duration timeout) {
            throw new IllegalStateException("The admission check only reads " + delegate.describe());
        }

        @Override
        public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
            throw new IllegalStateException("The admission check only reads " + delegate.describe());
        }

        @Override
        public void flush() {
            delegate.flush();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            // the space closes its storage itself
        }
    }

    /** The space's storage as its atom store sees it: every push noted in the pushing thread's context. */
    private final class RecordingStorage implements SharedStorage, ReferenceRecorder {
        private final SharedStorage delegate;

        RecordingStorage(SharedStorage delegate) {
            this.delegate = delegate;
        }

        @Override
        public AtomPointer push(byte[] atom) {
            return push(atom, AtomReferences.UNKNOWN, false);
        }

        @Override
        public AtomPointer pushOwned(byte[] atom) {
            return push(atom, AtomReferences.UNKNOWN, true);
        }

        @Override
        public AtomPointer push(byte[] atom, AtomReferences references) {
            return push(atom, references, true);
        }

        private AtomPointer push(byte[] atom, AtomReferences references, boolean owned) {
            Context c = current.get();
            if (c != null) {
                if (references.complete()) {
                    c.note(references);
                } else {
                    c.note(atom);
                }
            }
            AtomPointer p = owned ? delegate.pushOwned(atom) : delegate.push(atom);
            if (c != null) {
                c.pushed(p);
            }
            AtomGraph remembering = rememberPushes;
            if (remembering != null) {
                remembering.pushed(p, atom.length, references);
            }
            newest.accumulateAndGet(p, (a, b) -> a == null || newer(b, a) > 0 ? b : a);
            return p;
        }

        @Override
        public void held(AtomReferences references) {
            Context c = current.get();
            if (c != null) {
                c.note(references);
            }
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            return delegate.read(pointer);
        }

        @Override
        public AtomPointer readRoot() {
            return delegate.readRoot();
        }

        @Override
        public AtomPointer readRootToCommitOn() {
            return delegate.readRootToCommitOn();
        }

        /** The atom store only pushes and reads: the commit pipeline takes the lock on the storage itself. */
        @Override
        public CommitLock acquireCommitLock(Duration timeout) {
            throw new IllegalStateException("The atom store's view of " + delegate.describe()
                    + " takes no commit lock: roots are published by the commit pipeline on the storage");
        }

        /** The atom store only pushes and reads: the commit pipeline publishes roots on the storage itself. */
        @Override
        public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
            throw new IllegalStateException("The atom store's view of " + delegate.describe()
                    + " publishes no root: roots are published by the commit pipeline on the storage");
        }

        @Override
        public Optional<SegmentReclaimer> reclaimer() {
            return delegate.reclaimer();
        }

        @Override
        public void flush() {
            delegate.flush();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
