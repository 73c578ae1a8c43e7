package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.Tags;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.UnaryOperator;

/**
 * The atoms of a storage as a graph: which atoms an atom references, which atoms a set of roots
 * reaches, and how to copy what they reach into another storage. The engine's space reclamation
 * (live bytes per segment, compaction) and its online backup are built on it.
 *
 * <p>An atom references another through a pointer in its bytes, in one of three places (see
 * {@code docs/atom-format.md}): the child slots of an internal tree node, the root of a collection
 * value, and a {@link Tags#POINTER} value. {@link #scan} is the one method that knows where pointers
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
 * <p>Atoms are written children before parents, so a well-formed graph has no cycles; one found
 * while copying is reported as corruption. Thread-safe: instances hold no mutable state.
 */
public final class AtomGraph {

    /** Told where one pointer of an atom is: the pointer and the range of bytes that encode it. */
    @FunctionalInterface
    interface PointerSink {
        void pointer(AtomPointer pointer, int start, int end);
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

    private final SharedStorage storage;

    /** A graph of the atoms of {@code storage}. */
    public AtomGraph(SharedStorage storage) {
        this.storage = storage;
    }

    /** Tells {@code action} every pointer in the atom {@code atom} whose bytes are {@code bytes}, in byte order. */
    public static void forEachChild(AtomPointer atom, byte[] bytes, Consumer<AtomPointer> action) {
        scan(atom, bytes, (p, start, end) -> action.accept(p));
    }

    /**
     * Visits every atom reachable from {@code roots}, each once, in no particular order, without
     * entering the atoms of {@code boundary} (nor what only they reach): a walk of the live atoms
     * uses it to stop at history that is no longer retained.
     *
     * @throws CorruptionException when an atom is malformed or a pointer leads to nothing
     */
    public void forEachReachable(Collection<AtomPointer> roots, Set<AtomPointer> boundary, AtomVisitor visitor) {
        Set<AtomPointer> visited = new HashSet<>();
        ArrayDeque<AtomPointer> pending = new ArrayDeque<>();
        ArrayDeque<AtomPointer> referrers = new ArrayDeque<>();
        for (AtomPointer root : roots) {
            if (root != null && !boundary.contains(root)) {
                pending.push(root);
                referrers.push(root);
            }
        }
        while (!pending.isEmpty()) {
            AtomPointer p = pending.pop();
            AtomPointer referrer = referrers.pop();
            if (!visited.add(p)) {
                continue;
            }
            byte[] bytes = read(p, referrer);
            visitor.visit(p, bytes.length);
            forEachChild(p, bytes, child -> {
                if (!visited.contains(child) && !boundary.contains(child)) {
                    pending.push(child);
                    referrers.push(p);
                }
            });
        }
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
    public Copy copyTo(SharedStorage target) {
        return new Copy(target);
    }

    /**
     * Copies graphs into one target storage, children first, each atom once: the copy of an atom is
     * its bytes with every pointer replaced by the pointer of the child's copy. Not thread-safe.
     */
    public final class Copy {

        private final SharedStorage target;
        private final Map<AtomPointer, AtomPointer> copied = new HashMap<>();
        private long bytes;

        private Copy(SharedStorage target) {
            this.target = target;
        }

        /** Copies the graph under {@code root} (what is not copied yet) and returns the root's new pointer. */
        public AtomPointer copy(AtomPointer root) {
            AtomPointer done = copied.get(root);
            if (done != null) {
                return done;
            }
            Set<AtomPointer> inProgress = new HashSet<>();
            ArrayDeque<Frame> path = new ArrayDeque<>();
            path.push(new Frame(root, root));
            while (!path.isEmpty()) {
                Frame f = path.peek();
                if (f.bytes == null) {
                    if (copied.containsKey(f.pointer)) {
                        path.pop();
                        continue;
                    }
                    if (!inProgress.add(f.pointer)) {
                        throw new CorruptionException("Corrupt " + f.referrer + ": it references " + f.pointer
                                + ", which references it back (directly or through other atoms); atoms never form "
                                + "cycles, so one of them is damaged");
                    }
                    f.bytes = read(f.pointer, f.referrer);
                    forEachChild(f.pointer, f.bytes, child -> {
                        if (!copied.containsKey(child)) {
                            path.push(new Frame(child, f.pointer));
                        }
                    });
                } else {
                    path.pop();
                    inProgress.remove(f.pointer);
                    copied.put(f.pointer, push(rewrite(f.pointer, f.bytes, copied::get)));
                }
            }
            return copied.get(root);
        }

        /**
         * Copies the atom {@code source} as {@code atom}, a version of its bytes the caller changed
         * (such as a space root trimmed of its history links), after the graphs those bytes reference.
         * Later references to {@code source} lead to this copy.
         */
        public AtomPointer copyAtom(AtomPointer source, byte[] atom) {
            forEachChild(source, atom, this::copy);
            AtomPointer p = push(rewrite(source, atom, copied::get));
            copied.put(source, p);
            return p;
        }

        /** Atoms written to the target so far. */
        public long atoms() {
            return copied.size();
        }

        /** Bytes written to the target so far. */
        public long bytes() {
            return bytes;
        }

        private AtomPointer push(byte[] atom) {
            bytes += atom.length;
            return target.push(atom);
        }
    }

    /**
     * Starts moving the atoms of the segments {@code moving} accepts out of them, within this storage:
     * what compaction rewrites so that those segments can be released.
     */
    public Relocation relocate(LongPredicate moving) {
        return new Relocation(moving);
    }

    /**
     * Rewrites graphs of this storage so that they no longer reach atoms of the moving segments: an
     * atom in a moving segment is pushed again (a copy in the segment being written), and so is every
     * atom that references a rewritten one, up to the root, with the new pointers; every other atom
     * keeps its pointer. Atoms are immutable, so what one call rewrote (or found needing nothing)
     * stays valid for later calls: a second graph that shares most atoms with the first (the next
     * version of a space after a commit) costs only its new atoms. Not thread-safe.
     */
    public final class Relocation {

        private final LongPredicate moving;
        /** Every atom walked so far: itself when nothing under it moves, else its rewritten copy. */
        private final Map<AtomPointer, AtomPointer> relocated = new HashMap<>();
        private long atoms;
        private long bytes;

        private Relocation(LongPredicate moving) {
            this.moving = moving;
        }

        /** Relocates the graph under {@code root} and returns the root's pointer afterwards (itself if unchanged). */
        public AtomPointer relocate(AtomPointer root) {
            AtomPointer done = relocated.get(root);
            if (done != null) {
                return done;
            }
            Set<AtomPointer> inProgress = new HashSet<>();
            ArrayDeque<Frame> path = new ArrayDeque<>();
            path.push(new Frame(root, root));
            while (!path.isEmpty()) {
                Frame f = path.peek();
                if (f.bytes == null) {
                    if (relocated.containsKey(f.pointer)) {
                        path.pop();
                        continue;
                    }
                    if (!inProgress.add(f.pointer)) {
                        throw new CorruptionException("Corrupt " + f.referrer + ": it references " + f.pointer
                                + ", which references it back (directly or through other atoms); atoms never form "
                                + "cycles, so one of them is damaged");
                    }
                    f.bytes = read(f.pointer, f.referrer);
                    forEachChild(f.pointer, f.bytes, child -> {
                        if (!relocated.containsKey(child)) {
                            path.push(new Frame(child, f.pointer));
                        }
                    });
                } else {
                    path.pop();
                    inProgress.remove(f.pointer);
                    relocated.put(f.pointer, relocateAtom(f.pointer, f.bytes));
                }
            }
            return relocated.get(root);
        }

        /**
         * Relocates what the atom {@code atom} (bytes not stored, such as a record about to be written)
         * references, and returns its bytes with the new pointers.
         */
        public byte[] relocateIn(byte[] atom) {
            forEachChild(null, atom, this::relocate);
            return rewrite(null, atom, relocated::get);
        }

        /** Atoms rewritten so far. */
        public long atoms() {
            return atoms;
        }

        /** Bytes pushed by rewriting so far. */
        public long bytes() {
            return bytes;
        }

        private AtomPointer relocateAtom(AtomPointer p, byte[] atomBytes) {
            boolean[] childMoved = {false};
            forEachChild(p, atomBytes, child -> childMoved[0] |= !relocated.get(child).equals(child));
            if (!childMoved[0] && !moving.test(p.segmentId())) {
                return p;
            }
            byte[] copy = childMoved[0] ? rewrite(p, atomBytes, relocated::get) : atomBytes;
            atoms++;
            bytes += copy.length;
            return storage.push(copy);
        }
    }

    /** One atom on the path of a copy: its bytes are held from its expansion until its copy is written. */
    private static final class Frame {
        final AtomPointer pointer;
        final AtomPointer referrer;
        byte[] bytes;

        Frame(AtomPointer pointer, AtomPointer referrer) {
            this.pointer = pointer;
            this.referrer = referrer;
        }
    }

    private byte[] read(AtomPointer p, AtomPointer referrer) {
        try {
            return storage.read(p);
        } catch (CorruptionException e) {
            if (referrer == null || referrer.equals(p)) {
                throw e;
            }
            throw new CorruptionException("Cannot read " + p + ", referenced by " + referrer + ": " + e.getMessage(), e);
        }
    }

    /**
     * The atom {@code bytes} with every pointer {@code p} replaced by {@code replacement.apply(p)}.
     * Pointers are variable-length, so the atom may change size; nothing in the format records the
     * length of a range that holds a pointer, so splicing is exact.
     */
    static byte[] rewrite(AtomPointer atom, byte[] bytes, UnaryOperator<AtomPointer> replacement) {
        AtomWriter out = new AtomWriter(null, bytes.length + 16);
        int[] copiedUpTo = {0};
        scan(atom, bytes, (p, start, end) -> {
            AtomPointer q = replacement.apply(p);
            if (q == null) {
                throw new IllegalStateException("no replacement for " + p + " in " + atom);
            }
            out.writeRaw(bytes, copiedUpTo[0], start - copiedUpTo[0]);
            out.writePointer(q);
            copiedUpTo[0] = end;
        });
        out.writeRaw(bytes, copiedUpTo[0], bytes.length - copiedUpTo[0]);
        return out.toByteArray();
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
     * format: tree node slots, collection roots and {@link Tags#POINTER} values. Items still to read
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
                if (size == 0 || size > Node.MAX + 1) {
                    throw r.corrupt("node size " + size + " outside 1.." + (Node.MAX + 1));
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
                            case PAIRED -> {
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
            r.end();
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + (atom == null ? "atom" : atom) + ": " + e, e);
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
