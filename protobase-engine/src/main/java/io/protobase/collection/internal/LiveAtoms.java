package io.protobase.collection.internal;

import io.protobase.codec.OutOfLineReference;
import io.protobase.storage.AtomPointer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The atoms a changing set of roots reaches, counted from one call to the next rather than walked
 * afresh: compaction's live bytes per segment, kept up to date at the cost of what changed. Each
 * atom reached holds a count of the references to it (from counted atoms, and one per root naming
 * it); an atom enters with its first reference, and leaves, with what only it reached, when its
 * count falls to zero. Atoms are immutable and written children first, so the graph has no cycles
 * and the counts are exact: replacing the roots of one version by those of the next costs the
 * atoms the new version added and those the old one lost, not the atoms they share.
 *
 * <p>What an atom references is taken from {@link AtomGraph#links} (remembered, or read) when the
 * atom enters, and kept with its count, so that it leaves without another read. An out-of-line
 * value is counted as one member, named by its first chunk: its chunks' bytes go to their segments,
 * and, when it may hold references, what its encoding references is counted below it. Links into
 * a boundary (space roots: the history links between versions) are not counted, as a walk does not
 * follow them ({@link AtomGraph#forEachReachable}); a root is counted even when a boundary names it.
 *
 * <p>Written by one thread at a time; {@link #contains} may be called from any thread meanwhile (it
 * sees each atom's membership at some moment of a change: an atom is removed before what only it
 * reaches, and added before what it reaches).
 */
public final class LiveAtoms {

    private final AtomGraph graph;
    /** Every atom (or out-of-line value, by its first chunk) reached: how it is counted. */
    private final Map<AtomPointer, Member> members = new ConcurrentHashMap<>();
    private final Map<Long, Long> bytesBySegment = new HashMap<>();
    private long totalBytes;
    /** The roots counted: each adds one to its member's count. */
    private final Set<AtomPointer> roots = new LinkedHashSet<>();
    private final Set<OutOfLineReference> valueRoots = new LinkedHashSet<>();
    /** The segments whose bytes changed since {@link #drainTouched()} last emptied it. */
    private final Set<Long> touched = new HashSet<>();

    LiveAtoms(AtomGraph graph) {
        this.graph = graph;
    }

    /** One atom or out-of-line value reached, with what it references where it was counted. */
    private static final class Member {
        int count;
        /** Its encoded size, for an atom; 0 for a value (its chunks are counted from {@link #value}). */
        final int bytes;
        /** What it references and is counted: the boundary's atoms left out. */
        final AtomPointer[] pointers;
        final OutOfLineReference[] values;
        /** The value, when this member is one; else {@code null}. */
        final OutOfLineReference value;
        /** The oldest segment anything it reaches lies in (itself included); -1 until asked. */
        long oldestSegment = -1;

        Member(int bytes, AtomPointer[] pointers, OutOfLineReference[] values, OutOfLineReference value) {
            this.bytes = bytes;
            this.pointers = pointers;
            this.values = values;
            this.value = value;
        }
    }

    /**
     * Makes {@code atoms} and {@code values} the roots: the ones new to the roots are counted, with what
     * they reach (not entering {@code boundary}), then the ones no longer named leave, with what only
     * they reached. Counting first means what the old and new roots share is never uncounted.
     */
    public void setRoots(Collection<AtomPointer> atoms, Collection<OutOfLineReference> values,
                         Set<AtomPointer> boundary) {
        Set<AtomPointer> newAtoms = new LinkedHashSet<>(atoms);
        newAtoms.remove(null);
        Set<OutOfLineReference> newValues = new LinkedHashSet<>(values);
        addRoots(newAtoms, newValues, boundary);
        List<AtomPointer> goneAtoms = new ArrayList<>();
        for (AtomPointer p : roots) {
            if (!newAtoms.contains(p)) {
                goneAtoms.add(p);
            }
        }
        List<OutOfLineReference> goneValues = new ArrayList<>();
        for (OutOfLineReference v : valueRoots) {
            if (!newValues.contains(v)) {
                goneValues.add(v);
            }
        }
        goneAtoms.forEach(this::removeRoot);
        goneValues.forEach(this::removeRoot);
    }

    /** Adds {@code atoms} and {@code values} to the roots (those not among them yet), not entering {@code boundary}. */
    public void addRoots(Collection<AtomPointer> atoms, Collection<OutOfLineReference> values,
                         Set<AtomPointer> boundary) {
        for (AtomPointer p : atoms) {
            if (p != null && roots.add(p)) {
                count(p, boundary);
            }
        }
        for (OutOfLineReference v : values) {
            if (valueRoots.add(v)) {
                count(v, boundary);
            }
        }
    }

    /** Takes {@code root} out of the roots, if it is one: what only it reached leaves. */
    public void removeRoot(AtomPointer root) {
        if (roots.remove(root)) {
            uncount(root);
        }
    }

    private void removeRoot(OutOfLineReference root) {
        if (valueRoots.remove(root)) {
            uncount(root);
        }
    }

    /** The roots counted now. */
    public Set<AtomPointer> roots() {
        return Set.copyOf(roots);
    }

    /** Whether {@code p}, an atom or the first chunk of an out-of-line value, is reached. Any thread. */
    public boolean contains(AtomPointer p) {
        return members.containsKey(p);
    }

    /** The bytes reached in each segment holding any (a segment without any is absent). */
    public Map<Long, Long> liveBytesBySegment() {
        return bytesBySegment;
    }

    /** The bytes reached in all. */
    public long totalBytes() {
        return totalBytes;
    }

    /** How many atoms and out-of-line values are reached. */
    public int size() {
        return members.size();
    }

    /**
     * The oldest segment that anything {@code p} reaches lies in ({@code p} included), or -1 when {@code p}
     * is not reached: an atom is written after everything it references, so what it reaches lies in the
     * segments from that one to its own. Worked out once per atom, from those below it.
     */
    public long oldestSegment(AtomPointer p) {
        Member top = members.get(p);
        if (top == null) {
            return -1;
        }
        if (top.oldestSegment >= 0) {
            return top.oldestSegment;
        }
        ArrayDeque<AtomPointer> path = new ArrayDeque<>();
        path.push(p);
        while (!path.isEmpty()) {
            AtomPointer q = path.peek();
            Member m = members.get(q);
            if (m.oldestSegment >= 0) {
                path.pop(); // named twice below one atom: worked out already
                continue;
            }
            boolean ready = true;
            long oldest = m.value == null ? q.segmentId() : Long.MAX_VALUE;
            if (m.value != null) {
                for (AtomPointer chunk : m.value.chunks()) {
                    oldest = Math.min(oldest, chunk.segmentId());
                }
            }
            for (AtomPointer c : m.pointers) {
                long o = members.get(c).oldestSegment;
                if (o < 0) {
                    path.push(c);
                    ready = false;
                }
                oldest = Math.min(oldest, o);
            }
            for (OutOfLineReference v : m.values) {
                long o = members.get(v.first()).oldestSegment;
                if (o < 0) {
                    path.push(v.first());
                    ready = false;
                }
                oldest = Math.min(oldest, o);
            }
            if (ready) {
                m.oldestSegment = oldest;
                path.pop();
            }
        }
        return top.oldestSegment;
    }

    /** Adds one reference to {@code root} (an atom or a value), counting what it newly reaches. */
    private void count(Object root, Set<AtomPointer> boundary) {
        ArrayDeque<Object> pending = new ArrayDeque<>();
        ArrayDeque<Object> referrers = new ArrayDeque<>();
        pending.push(root);
        referrers.push(root);
        while (!pending.isEmpty()) {
            Object item = pending.pop();
            Object referrer = referrers.pop();
            AtomPointer key = item instanceof OutOfLineReference v ? v.first() : (AtomPointer) item;
            Member m = members.get(key);
            if (m != null) {
                m.count++;
                continue;
            }
            AtomGraph.Links links;
            if (item instanceof OutOfLineReference v) {
                links = OutOfLineValues.mayHoldReferences(v)
                        ? graph.valueLinks(v, referrer instanceof AtomPointer ? referrer : "an admitted reference")
                        : null;
                m = new Member(0, links == null ? NO_POINTERS : unbounded(links.pointers(), boundary),
                        links == null ? NO_VALUES : unboundedValues(links.values(), boundary), v);
                for (int i = 0; i < v.chunks().size(); i++) {
                    add(v.chunks().get(i).segmentId(), OutOfLineValues.chunkAtomBytes(v, i));
                }
            } else {
                AtomPointer p = (AtomPointer) item;
                links = graph.links(p, referrer);
                m = new Member(links.bytes(), unbounded(links.pointers(), boundary),
                        unboundedValues(links.values(), boundary), null);
                add(p.segmentId(), links.bytes());
            }
            m.count = 1;
            members.put(key, m);
            for (AtomPointer c : m.pointers) {
                pending.push(c);
                referrers.push(key);
            }
            for (OutOfLineReference c : m.values) {
                pending.push(c);
                referrers.push(key);
            }
        }
    }

    /** Takes one reference from {@code root}; what falls to no reference leaves, with what only it reached. */
    private void uncount(Object root) {
        ArrayDeque<Object> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            Object item = pending.pop();
            AtomPointer key = item instanceof OutOfLineReference v ? v.first() : (AtomPointer) item;
            Member m = members.get(key);
            if (m == null || --m.count > 0) {
                continue;
            }
            // leaves before what it reaches: a reader never sees it without what is below it
            members.remove(key);
            if (m.value != null) {
                for (int i = 0; i < m.value.chunks().size(); i++) {
                    add(m.value.chunks().get(i).segmentId(), -OutOfLineValues.chunkAtomBytes(m.value, i));
                }
            } else {
                add(key.segmentId(), -m.bytes);
            }
            for (AtomPointer c : m.pointers) {
                pending.push(c);
            }
            for (OutOfLineReference c : m.values) {
                pending.push(c);
            }
        }
    }

    /** The segments whose live bytes changed since the last call (or since the start), emptied by the call. */
    public Set<Long> drainTouched() {
        Set<Long> changed = Set.copyOf(touched);
        touched.clear();
        return changed;
    }

    private void add(long segment, long bytes) {
        touched.add(segment);
        totalBytes += bytes;
        bytesBySegment.merge(segment, bytes, (a, b) -> a + b == 0 ? null : a + b);
    }

    private static final AtomPointer[] NO_POINTERS = {};
    private static final OutOfLineReference[] NO_VALUES = {};

    private static AtomPointer[] unbounded(AtomPointer[] pointers, Set<AtomPointer> boundary) {
        for (AtomPointer p : pointers) {
            if (p == null || boundary.contains(p)) {
                List<AtomPointer> kept = new ArrayList<>(pointers.length);
                for (AtomPointer q : pointers) {
                    if (q != null && !boundary.contains(q)) {
                        kept.add(q);
                    }
                }
                return kept.toArray(NO_POINTERS);
            }
        }
        return pointers; // the common case: shared with what the graph remembers, no copy
    }

    private static OutOfLineReference[] unboundedValues(OutOfLineReference[] values, Set<AtomPointer> boundary) {
        for (OutOfLineReference v : values) {
            if (boundary.contains(v.first())) {
                List<OutOfLineReference> kept = new ArrayList<>(values.length);
                for (OutOfLineReference w : values) {
                    if (!boundary.contains(w.first())) {
                        kept.add(w);
                    }
                }
                return kept.toArray(NO_VALUES);
            }
        }
        return values;
    }

    /** A copy of {@link #liveBytesBySegment()} as an immutable map. */
    public Map<Long, Long> snapshot() {
        return Map.copyOf(bytesBySegment);
    }
}
