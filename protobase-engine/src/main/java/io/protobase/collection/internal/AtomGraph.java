package io.protobase.collection.internal;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomReferences;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.OutOfLineReference;
import io.protobase.codec.Tags;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The atoms of a storage as a graph: which atoms an atom references, and which atoms a set of roots
 * reaches. The engine's space reclamation (live bytes per segment, compaction) and its online backup
 * are built on it. Rewriting a graph, children first, is the job of {@link AtomRewriter}, behind
 * {@link AtomCopy} (into another storage, for a backup) and {@link AtomRelocation} (out of segments
 * to release, for compaction), which this class starts.
 *
 * <p>An atom references another through a pointer in its bytes, in one of four places (see
 * {@code docs/atom-format.md}): the child slots of an internal tree node, the root of a collection
 * value, a {@link Tags#POINTER} value, and the chunk list of a value stored out of line
 * ({@link Tags#OUT_OF_LINE}), whose chunks may in turn hold any of these inside the value's encoding
 * (a chunk itself is raw bytes). {@link #scan} is the one method that knows where pointers
 * sit in the encoding; a new kind of reference is a new case there and nowhere else. It reads the
 * encoding without decoding it (no value, key or node object is built), with an explicit work stack
 * instead of recursion, and checks the structure as it goes: a malformed atom fails with a
 * {@link CorruptionException} naming its pointer and the byte offset.
 *
 * <p>Walks across atoms are iterative too, and hold pointers rather than atoms: a graph of millions
 * of atoms costs the set of pointers already visited, plus, while copying, the bytes of the atoms
 * on the path from the root being copied to the atom being copied (each atom is copied after all
 * of its children, so that it can be re-encoded with their new pointers).
 *
 * <p>Atoms are immutable and a pointer is never given to another atom, so what an atom references
 * never changes: walks remember it ({@link Links}), up to a bound on memory, and a walk that meets
 * the atom again (the next compaction's, over a version sharing most atoms with the last) reads and
 * scans only the atoms that are new to it. A check that a graph is whole ({@link #requireWhole})
 * and every copy read the bytes themselves.
 *
 * <p>Atoms are written children before parents, so a well-formed graph has no cycles; one found
 * while copying is reported as corruption. Thread-safe.
 */
public final class AtomGraph {

    /** Told where the references of an atom are, in byte order. */
    interface PointerSink {
        /** A pointer, encoded in bytes {@code [start, end)}. */
        void pointer(AtomPointer pointer, int start, int end);

        /** A value stored out of line: its reference, tag included, in bytes {@code [start, end)}. */
        void outOfLine(OutOfLineReference reference, int start, int end);
    }

    /** Told of each atom of a walk, once. */
    @FunctionalInterface
    public interface AtomVisitor {
        /**
         * @param pointer the atom
         * @param bytes its encoded size
         */
        void visit(AtomPointer pointer, int bytes);
    }

    /**
     * The most memory the remembered references of atoms take, in estimated bytes: enough for the
     * tree nodes of a store of several gigabytes. Past it, everything is forgotten at once, and the
     * walks that follow read again what they need.
     */
    private static final long MAX_LINKS_WEIGHT = 64L << 20;

    private final SharedStorage storage;
    /**
     * What each atom walked references, by segment, then by pointer: a released segment is forgotten
     * in one step.
     */
    private final Map<Long, Map<AtomPointer, Links>> links = new ConcurrentHashMap<>();
    /**
     * What each out-of-line value that may hold references references, by the segment of its first
     * chunk, then by its reference.
     */
    private final Map<Long, Map<OutOfLineReference, Links>> valueLinks = new ConcurrentHashMap<>();
    /** The estimated memory {@link #links} and {@link #valueLinks} take. */
    private final AtomicLong linksWeight = new AtomicLong();

    /** Bytes of atoms at hand in memory, by pointer, or {@code null}: read before the storage is. */
    private final Function<AtomPointer, byte[]> atHand;

    /** A graph of the atoms of {@code storage}. */
    public AtomGraph(SharedStorage storage) {
        this(storage, p -> null);
    }

    /**
     * A graph of the atoms of {@code storage}, whose walks take an atom's bytes from {@code atHand}
     * when it has them (the decoded nodes a store caches keep their atoms), and read the storage
     * otherwise.
     */
    public AtomGraph(SharedStorage storage, Function<AtomPointer, byte[]> atHand) {
        this.storage = storage;
        this.atHand = atHand;
    }

    /**
     * What one atom (or the record of one out-of-line value) references, as {@link #scan} finds it:
     * its encoded size, its pointers other than the chunks of its out-of-line values, and those
     * values' references.
     */
    record Links(int bytes, AtomPointer[] pointers, OutOfLineReference[] values) {

        private static final AtomPointer[] NO_POINTERS = {};
        private static final OutOfLineReference[] NO_VALUES = {};

        static Links of(AtomPointer atom, byte[] bytes) {
            List<AtomPointer> pointers = new ArrayList<>();
            List<OutOfLineReference> values = new ArrayList<>();
            forEachReference(atom, bytes, pointers::add, values::add);
            return new Links(bytes.length, pointers.isEmpty() ? NO_POINTERS : pointers.toArray(NO_POINTERS),
                    values.isEmpty() ? NO_VALUES : values.toArray(NO_VALUES));
        }

        /** The estimated memory this takes where it is remembered, its key included. */
        int weight() {
            return 96 + 40 * pointers.length + 120 * values.length;
        }
    }

    /** What the atom {@code p} references, remembered or read (a failure names {@code referrer}). */
    Links links(AtomPointer p, Object referrer) {
        Map<AtomPointer, Links> segment = links.get(p.segmentId());
        Links l = segment == null ? null : segment.get(p);
        if (l == null) {
            byte[] bytes = atHand.apply(p);
            l = Links.of(p, bytes != null ? bytes : read(p, referrer));
            remember(links, p.segmentId(), p, l);
        }
        return l;
    }

    /** What the out-of-line value {@code reference} (one that may hold references) references. */
    Links valueLinks(OutOfLineReference reference, Object holder) {
        long segmentId = reference.first().segmentId();
        Map<OutOfLineReference, Links> segment = valueLinks.get(segmentId);
        Links l = segment == null ? null : segment.get(reference);
        if (l == null) {
            l = Links.of(null, valueRecord(reference, holder));
            remember(valueLinks, segmentId, reference, l);
        }
        return l;
    }

    private <K> void remember(Map<Long, Map<K, Links>> memo, long segmentId, K key, Links l) {
        if (linksWeight.addAndGet(l.weight()) > MAX_LINKS_WEIGHT) {
            links.clear();
            valueLinks.clear();
            linksWeight.set(l.weight());
        }
        memo.computeIfAbsent(segmentId, id -> new ConcurrentHashMap<>()).put(key, l);
    }

    /**
     * Forgets what the atoms of the released segments {@code ids} reference: nothing retained reaches
     * them any more, so no walk asks, and the memory goes back at once.
     */
    public void forgetSegments(Collection<Long> ids) {
        for (long id : ids) {
            forget(links.remove(id));
            forget(valueLinks.remove(id));
        }
    }

    private void forget(Map<?, Links> segment) {
        if (segment != null) {
            long weight = 0;
            for (Links l : segment.values()) {
                weight += l.weight();
            }
            linksWeight.addAndGet(-weight);
        }
    }

    /**
     * Tells {@code action} every pointer in the atom {@code atom} whose bytes are {@code bytes}, in byte
     * order: the chunks of its out-of-line values included, not what the values in those chunks
     * reference (that takes reading them).
     */
    public static void forEachChild(AtomPointer atom, byte[] bytes, Consumer<AtomPointer> action) {
        scan(atom, bytes, new PointerSink() {
            @Override
            public void pointer(AtomPointer pointer, int start, int end) {
                action.accept(pointer);
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                reference.chunks().forEach(action);
            }
        });
    }

    /**
     * Visits every atom reachable from {@code roots}, each once, in no particular order, without
     * entering the atoms of {@code boundary} (nor what only they reach): a walk of the live atoms
     * uses it to stop at history that is no longer retained. The boundary stops the links between
     * atoms, never a root: an atom given as a root is live, and is walked even if the boundary holds
     * it. The chunks of an out-of-line value are
     * visited with their sizes, and read only when the value may hold references (a record, a list),
     * to walk on through them.
     *
     * @throws CorruptionException when an atom is malformed or a pointer leads to nothing
     */
    public void forEachReachable(Collection<AtomPointer> roots, Set<AtomPointer> boundary, AtomVisitor visitor) {
        walk(new HashSet<>(), roots, List.of(), boundary::contains, false, visitor);
    }

    /**
     * Tells {@code pointers} every pointer in {@code atom} except the chunks of its out-of-line values,
     * and {@code values} each of those values' references: what a walk from the atom starts from.
     */
    public static void forEachReference(byte[] atom, Consumer<AtomPointer> pointers,
                                        Consumer<OutOfLineReference> values) {
        forEachReference(null, atom, pointers, values);
    }

    /** {@link #forEachReference(byte[], Consumer, Consumer)}; {@code atom} names the bytes in errors. */
    private static void forEachReference(AtomPointer atom, byte[] bytes, Consumer<AtomPointer> pointers,
                                         Consumer<OutOfLineReference> values) {
        scan(atom, bytes, new PointerSink() {
            @Override
            public void pointer(AtomPointer pointer, int start, int end) {
                pointers.accept(pointer);
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                values.accept(reference);
            }
        });
    }

    /**
     * The references of the atom {@code atom}, with where each starts, as {@link #forEachReference} finds
     * them: what an encoder that tracks references ({@link AtomWriter#trackReferences}) reports, found by
     * reading the bytes.
     *
     * @throws CorruptionException when the atom is malformed
     */
    public static AtomReferences references(byte[] atom) {
        AtomReferences.Builder b = new AtomReferences.Builder();
        scan(null, atom, builderSink(b, 0));
        return b.build();
    }

    /**
     * The references in the value encoded in bytes {@code [start, end)} of the atom {@code atom}, with
     * their offsets in the atom: what copying the value's bytes into another atom copies.
     *
     * @throws CorruptionException when the bytes are not one well-formed value
     */
    public static AtomReferences valueReferences(byte[] atom, int start, int end) {
        byte tag = atom[start];
        if (tag == Tags.NULL || tag == Tags.TRUE || tag == Tags.FALSE || tag == Tags.INT || tag == Tags.LONG
                || tag == Tags.DOUBLE || tag == Tags.STRING) {
            return AtomReferences.NONE; // a scalar: nothing to find (scan would skip it the same way)
        }
        AtomReferences.Builder b = new AtomReferences.Builder();
        scanValue(atom, start, end, builderSink(b, 0));
        return b.build();
    }

    private static PointerSink builderSink(AtomReferences.Builder b, int delta) {
        return new PointerSink() {
            @Override
            public void pointer(AtomPointer pointer, int start, int end) {
                b.pointer(start + delta, pointer);
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                b.outOfLine(start + delta, reference);
            }
        };
    }

    /**
     * The walk behind {@link #forEachReachable} and {@link Reach}: visits what {@code roots} and the
     * out-of-line values {@code valueRoots} reach and {@code visited} does not hold yet, adding it
     * there, without following a link into an atom {@code stop} accepts (the roots themselves are
     * always entered: a root that is also behind a boundary, such as a version that was only history
     * when a reach started and is retained again when it completes, is live). With
     * {@code readChunks}, every atom and the chunks of every out-of-line value are read (so that a
     * missing one fails the walk); without, what an atom references is taken from what walks
     * remembered ({@link #links}) where they did.
     */
    private void walk(Set<AtomPointer> visited, Collection<AtomPointer> roots,
                      Collection<OutOfLineReference> valueRoots, Predicate<AtomPointer> stop, boolean readChunks,
                      AtomVisitor visitor) {
        ArrayDeque<AtomPointer> pending = new ArrayDeque<>();
        ArrayDeque<AtomPointer> referrers = new ArrayDeque<>();
        final class Sink implements PointerSink {
            AtomPointer holder;
            /** While the roots are taken: they are entered whatever {@code stop} says. */
            boolean takingRoots;

            @Override
            public void pointer(AtomPointer child, int start, int end) {
                if (child != null && !visited.contains(child) && (takingRoots || !stop.test(child))) {
                    pending.push(child);
                    referrers.push(holder == null ? child : holder);
                }
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                if (visited.contains(reference.first()) || (!takingRoots && stop.test(reference.first()))) {
                    return; // the same value, referenced again: walked already
                }
                Object from = holder == null ? "an admitted reference" : holder;
                for (int i = 0; i < reference.chunks().size(); i++) {
                    AtomPointer chunk = reference.chunks().get(i);
                    if (visited.add(chunk)) {
                        visitor.visit(chunk, readChunks && !OutOfLineValues.mayHoldReferences(reference)
                                ? read(chunk, from).length : OutOfLineValues.chunkAtomBytes(reference, i));
                    }
                }
                if (OutOfLineValues.mayHoldReferences(reference)) {
                    boolean wasRoot = takingRoots;
                    takingRoots = false; // what a root value holds is linked to, not a root
                    if (readChunks) {
                        scan(null, valueRecord(reference, from), this);
                    } else {
                        follow(valueLinks(reference, from));
                    }
                    takingRoots = wasRoot;
                }
            }

            void follow(Links l) {
                for (AtomPointer child : l.pointers()) {
                    pointer(child, 0, 0);
                }
                for (OutOfLineReference value : l.values()) {
                    outOfLine(value, 0, 0);
                }
            }
        }
        Sink sink = new Sink();
        sink.takingRoots = true;
        for (AtomPointer root : roots) {
            sink.pointer(root, 0, 0);
        }
        for (OutOfLineReference value : valueRoots) {
            sink.outOfLine(value, 0, 0);
        }
        sink.takingRoots = false;
        while (!pending.isEmpty()) {
            AtomPointer p = pending.pop();
            AtomPointer referrer = referrers.pop();
            if (!visited.add(p)) {
                continue;
            }
            sink.holder = p;
            if (readChunks) {
                byte[] bytes = read(p, referrer);
                visitor.visit(p, bytes.length);
                scan(p, bytes, sink);
            } else {
                Links l = links(p, referrer);
                visitor.visit(p, l.bytes());
                sink.follow(l);
            }
        }
    }

    /** Starts a {@link Reach} from {@code roots}, not entering {@code boundary}. */
    public Reach reach(Collection<AtomPointer> roots, Set<AtomPointer> boundary) {
        Reach r = new Reach(boundary);
        r.add(roots);
        return r;
    }

    /**
     * The atoms a growing set of roots reaches, each atom read once however often roots are added:
     * compaction's count of what must stay, taken at one moment and completed at another with the
     * roots that appeared meanwhile. Not thread-safe.
     */
    public final class Reach {

        private final Set<AtomPointer> boundary;
        private final Set<AtomPointer> atoms = new HashSet<>();
        private final Map<Long, Long> bytesBySegment = new HashMap<>();

        private Reach(Set<AtomPointer> boundary) {
            this.boundary = new HashSet<>(boundary);
        }

        /**
         * Stops later additions at {@code more} atoms too (history that left the retention since); a
         * root added later is walked even if it is among them.
         */
        public void stopAt(Set<AtomPointer> more) {
            boundary.addAll(more);
        }

        /** Adds what {@code roots} reach (and was not reached yet). */
        public void add(Collection<AtomPointer> roots) {
            add(roots, List.of());
        }

        /** Adds what {@code roots} and the out-of-line values {@code values} reach (and was not reached yet). */
        public void add(Collection<AtomPointer> roots, Collection<OutOfLineReference> values) {
            walk(atoms, roots, values, boundary::contains, false,
                    (p, size) -> bytesBySegment.merge(p.segmentId(), (long) size, Long::sum));
        }

        /** The live bytes of each segment holding any of the atoms reached. */
        public Map<Long, Long> liveBytesBySegment() {
            return bytesBySegment;
        }

        /** The atoms reached, chunks included. */
        public Set<AtomPointer> atoms() {
            return atoms;
        }
    }

    /**
     * Reads every atom {@code roots} and the out-of-line values {@code values} reach, except those
     * {@code known} accepts (and what only they reach), so that an atom that cannot be read fails here
     * rather than later: a check that a graph is whole.
     *
     * @throws CorruptionException (a {@code SegmentReleasedException} when it was released) naming the
     *         first atom that cannot be read
     */
    public void requireWhole(Collection<AtomPointer> roots, Collection<OutOfLineReference> values,
                             Predicate<AtomPointer> known) {
        walk(new HashSet<>(), roots, values, known, true, (p, size) -> { });
    }

    /**
     * Sums the encoded sizes of the atoms reachable from {@code roots} (not entering {@code boundary})
     * per segment: the live bytes of each segment, which compaction weighs against its size.
     */
    public Map<Long, Long> liveBytesBySegment(Collection<AtomPointer> roots, Set<AtomPointer> boundary) {
        Map<Long, Long> live = new HashMap<>();
        forEachReachable(roots, boundary, (p, size) -> live.merge(p.segmentId(), (long) size, Long::sum));
        return live;
    }

    /** Starts copying graphs of this storage into {@code target}; atoms shared between copies are copied once. */
    public AtomCopy copyTo(SharedStorage target) {
        return new AtomCopy(this, target);
    }

    /**
     * Starts moving the atoms of the segments {@code moving} accepts out of them, within this storage:
     * what compaction rewrites so that those segments can be released.
     */
    public AtomRelocation relocate(LongPredicate moving) {
        return relocate(moving, p -> false);
    }

    /**
     * As {@link #relocate(LongPredicate)}, not entering the atoms {@code movesNothing} accepts: the caller
     * knows that nothing they reach lies in a moving segment, so they keep their pointers unread.
     */
    public AtomRelocation relocate(LongPredicate moving, Predicate<AtomPointer> movesNothing) {
        return new AtomRelocation(this, storage, moving, movesNothing);
    }

    /**
     * Starts a count of the atoms a changing set of roots reaches, kept up to date from one set of roots
     * to the next ({@link LiveAtoms}).
     */
    public LiveAtoms liveAtoms() {
        return new LiveAtoms(this);
    }

    /** The encoding of an out-of-line value behind a record header, read from its chunks. */
    byte[] valueRecord(OutOfLineReference reference, Object holder) {
        return OutOfLineValues.record(reference, holder, chunk -> read(chunk, holder));
    }

    /** Reads the atom {@code p}; a failure names {@code referrer}, the atom (or value) referencing it. */
    byte[] read(AtomPointer p, Object referrer) {
        try {
            return storage.read(p);
        } catch (CorruptionException e) {
            if (referrer == null || referrer.equals(p)) {
                throw e;
            }
            throw new CorruptionException("Cannot read " + p + ", referenced by " + referrer + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * The atom {@code bytes} with every pointer {@code p} replaced by {@code replacement.apply(p)},
     * the chunks of out-of-line values included (their values are copied as they are).
     */
    static byte[] rewrite(AtomPointer atom, byte[] bytes, UnaryOperator<AtomPointer> replacement) {
        return rewrite(atom, bytes, replacement, reference -> new OutOfLineReference(reference.depth(),
                reference.length(), reference.chunks().stream().map(c -> replaced(c, replacement, atom)).toList()));
    }

    /**
     * The atom {@code bytes} with every pointer and out-of-line reference replaced. Pointers are
     * variable-length, so the atom may change size; nothing in the format records the length of a
     * range that holds a pointer, so splicing is exact.
     */
    static byte[] rewrite(AtomPointer atom, byte[] bytes, UnaryOperator<AtomPointer> replacement,
                          UnaryOperator<OutOfLineReference> values) {
        AtomWriter out = new AtomWriter(null, bytes.length + 16);
        int[] copiedUpTo = {0};
        scan(atom, bytes, new PointerSink() {
            @Override
            public void pointer(AtomPointer p, int start, int end) {
                AtomPointer q = replaced(p, replacement, atom);
                out.writeRaw(bytes, copiedUpTo[0], start - copiedUpTo[0]);
                out.writePointer(q);
                copiedUpTo[0] = end;
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                OutOfLineReference q = values.apply(reference);
                out.writeRaw(bytes, copiedUpTo[0], start - copiedUpTo[0]);
                out.writeOutOfLine(q);
                copiedUpTo[0] = end;
            }
        });
        out.writeRaw(bytes, copiedUpTo[0], bytes.length - copiedUpTo[0]);
        return out.toByteArray();
    }

    private static AtomPointer replaced(AtomPointer p, UnaryOperator<AtomPointer> replacement, AtomPointer atom) {
        AtomPointer q = replacement.apply(p);
        if (q == null) {
            throw new IllegalStateException("no replacement for " + p + " in " + atom);
        }
        return q;
    }

    // work items of scan(): what the bytes at the read position hold
    private static final int VALUE = 0;
    private static final int FIXED_LONG = 1;
    /** Internal node slot: subtree count, then child pointer. */
    private static final int CHILD = 2;
    /** Record attribute: name, then value. */
    private static final int ATTRIBUTE = 3;
    /** Index declaration of an indexed collection: name, kind, path unless an extractor, then entries. */
    private static final int INDEX = 4;

    /**
     * Finds every pointer in one atom. The one place that knows where references sit in the atom
     * format: tree node slots, collection roots, {@link Tags#POINTER} values and out-of-line
     * references (a {@link Tags#ATOM_CHUNK} holds none of its own). Items still to read
     * are kept on a stack (pushed in reverse order), so nesting costs no Java stack.
     *
     * @param atom names the atom in error messages ({@code null} when it has no pointer yet)
     */
    static void scan(AtomPointer atom, byte[] bytes, PointerSink sink) {
        AtomReader r = new AtomReader(bytes, atom, null);
        try {
            int[] todo = new int[16];
            int top = 0;
            byte kind = r.begin();
            if (kind == Tags.ATOM_CHUNK) {
                AtomReader.chunkPayloadStart(bytes, atom); // checks the format version: raw bytes follow
                return;
            }
            if (kind == Tags.ATOM_RECORD) {
                todo[top++] = VALUE;
            } else if (kind == Tags.ATOM_LEAF || kind == Tags.ATOM_INTERNAL) {
                boolean leaf = kind == Tags.ATOM_LEAF;
                int k = r.readByte();
                if (k < 0 || k >= TreeKind.values().length) {
                    throw r.corrupt("unknown tree kind " + k);
                }
                TreeKind tree = TreeKind.values()[k];
                int size = r.readCount(1);
                if (size == 0 || size > TreeKind.MAX_NODE_ENTRIES + 1) {
                    throw r.corrupt("node size " + size + " outside 1.." + (TreeKind.MAX_NODE_ENTRIES + 1));
                }
                todo = new int[size * 4 + 16]; // at most a value and three key items per entry
                for (int i = size - 1; i >= 0; i--) {
                    if (!leaf) {
                        todo[top++] = CHILD;
                    } else if (tree.valued) {
                        todo[top++] = VALUE;
                    }
                    if (tree.keyed && (leaf || i > 0)) {
                        switch (tree) {
                            case SORTED -> todo[top++] = VALUE;
                            case HASHED, HASHED_SET -> {
                                todo[top++] = VALUE;
                                todo[top++] = FIXED_LONG;
                            }
                            case PAIRED, PAIRED_EXACT, PAIRED_BY_VALUE -> {
                                todo[top++] = VALUE;
                                todo[top++] = FIXED_LONG;
                                todo[top++] = VALUE;
                            }
                            default -> throw r.corrupt("keys in a " + tree + " tree");
                        }
                    }
                }
            } else {
                throw r.corrupt("unknown atom kind " + kind);
            }
            scanItems(r, todo, top, sink);
            r.end();
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + (atom == null ? "atom" : atom) + ": " + e, e);
        }
    }

    /**
     * Finds every pointer in the value encoded in bytes {@code [start, end)} of the atom {@code bytes}
     * (as {@link #scan} would, its byte offsets those of the atom).
     */
    private static void scanValue(byte[] bytes, int start, int end, PointerSink sink) {
        AtomReader r = new AtomReader(bytes, null, null);
        try {
            r.seek(start);
            int[] todo = new int[16];
            todo[0] = VALUE;
            scanItems(r, todo, 1, sink);
            if (r.position() != end) {
                throw r.corrupt("a value ends at byte " + r.position() + ", its slot at byte " + end);
            }
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt value: " + e, e);
        }
    }

    /** Reads the items on {@code todo} (the top one first) and what they hold, telling {@code sink} each pointer. */
    private static void scanItems(AtomReader r, int[] todo, int top, PointerSink sink) {
        while (top > 0) {
            int item = todo[--top];
            int more = 0; // items this one adds
            int moreKind = VALUE;
            switch (item) {
                case FIXED_LONG -> r.skip(8);
                case CHILD -> {
                    if (r.readVarLong() <= 0) {
                        throw r.corrupt("subtree count not positive");
                    }
                    pointer(r, sink);
                }
                case ATTRIBUTE -> {
                    r.skip(r.readCount(1));
                    more = 1;
                }
                case INDEX -> {
                    r.skip(r.readCount(1));
                    byte indexKind = r.readByte();
                    if ((indexKind & 1) == 0) {
                        r.skip(r.readCount(1));
                    }
                    more = 1;
                }
                default -> {
                    byte tag = r.readByte();
                    switch (tag) {
                        case Tags.NULL, Tags.FALSE, Tags.TRUE -> {
                        }
                        case Tags.INT, Tags.LONG, Tags.LOCAL_DATE -> r.readVarLong();
                        case Tags.DOUBLE -> r.skip(8);
                        case Tags.UUID -> r.skip(16);
                        case Tags.BIG_DECIMAL -> {
                            r.readVarLong();
                            r.skip(r.readCount(1));
                        }
                        case Tags.BIG_INTEGER, Tags.STRING, Tags.BYTES -> r.skip(r.readCount(1));
                        case Tags.INSTANT, Tags.DURATION, Tags.LOCAL_DATE_TIME -> {
                            r.readVarLong();
                            r.readVarLong();
                        }
                        case Tags.ENUM -> {
                            r.skip(r.readCount(1));
                            r.skip(r.readCount(1));
                        }
                        case Tags.POINTER -> pointer(r, sink);
                        case Tags.OUT_OF_LINE -> {
                            int start = r.position() - 1;
                            OutOfLineReference reference = r.readOutOfLine();
                            sink.outOfLine(reference, start, r.position());
                        }
                        case Tags.LIST -> more = r.readCount(1);
                        case Tags.DB_OBJECT -> {
                            more = r.readCount(2);
                            moreKind = ATTRIBUTE;
                        }
                        case Tags.INDEXED -> {
                            // the collection comes after its index declarations: push it first
                            int indexes = r.readCount(3);
                            todo = ensure(todo, top + 1);
                            todo[top++] = VALUE;
                            more = indexes;
                            moreKind = INDEX;
                        }
                        case Tags.DICTIONARY, Tags.HASH_DICTIONARY, Tags.PROTO_LIST, Tags.PROTO_SET ->
                                collectionRoot(r, 1, sink);
                        case Tags.COUNTED_SET -> collectionRoot(r, 2, sink);
                        case Tags.REPEATED_KEYS_DICTIONARY -> collectionRoot(r, 3, sink);
                        default -> throw r.corrupt("unknown value tag " + tag);
                    }
                }
            }
            todo = ensure(todo, top + more);
            for (int i = 0; i < more; i++) {
                todo[top++] = moreKind;
            }
        }
    }

    /** A collection value after its tag: {@code counts} varints (size first), a root flag, the root pointer if set. */
    private static void collectionRoot(AtomReader r, int counts, PointerSink sink) {
        long size = r.readVarLong();
        for (int i = 1; i < counts; i++) {
            r.readVarLong();
        }
        byte flag = r.readByte();
        if (flag == 1) {
            pointer(r, sink);
        } else if (flag != 0 || size != 0) {
            throw r.corrupt("bad collection root flag " + flag + " for size " + size);
        }
    }

    private static void pointer(AtomReader r, PointerSink sink) {
        int start = r.position();
        AtomPointer p = r.readPointer();
        sink.pointer(p, start, r.position());
    }

    private static int[] ensure(int[] todo, int size) {
        return size <= todo.length ? todo : Arrays.copyOf(todo, Math.max(size, todo.length * 2));
    }
}
