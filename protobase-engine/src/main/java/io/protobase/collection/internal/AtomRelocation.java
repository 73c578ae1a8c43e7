package io.protobase.collection.internal;

import io.protobase.codec.OutOfLineReference;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * Rewrites graphs of a storage ({@link AtomGraph#relocate}) so that they no longer reach atoms of the
 * moving segments: an atom in a moving segment is pushed again (a copy in the segment being written),
 * and so is every atom that references a rewritten one, up to the root, with the new pointers; every
 * other atom keeps its pointer. What the caller knows to reach no moving segment is not entered at all.
 * An out-of-line value moves with its chunks when one of them is in a
 * moving segment or something it references moved. Atoms are immutable, so what one call rewrote (or
 * found needing nothing) stays valid for later calls: a second graph that shares most atoms with the
 * first (the next version of a space after a commit) costs only its new atoms. Not thread-safe.
 */
public final class AtomRelocation {

    private final SharedStorage storage;
    private final LongPredicate moving;
    private long atoms;
    private long bytes;
    private final AtomRewriter rewriter;

    AtomRelocation(AtomGraph graph, SharedStorage storage, LongPredicate moving, Predicate<AtomPointer> movesNothing) {
        this.storage = storage;
        this.moving = moving;
        this.rewriter = new AtomRewriter(graph, false, movesNothing) {
            @Override
            AtomPointer rewriteAtom(Frame atom) {
                AtomPointer p = atom.pointer;
                boolean changed = referencesChanged(p, atom.links);
                if (!changed && !moving.test(p.segmentId())) {
                    return p; // neither read nor written: what it references was remembered
                }
                return push(changed ? replaceAll(p, atom.bytes()) : atom.bytes());
            }

            @Override
            OutOfLineReference rewriteValue(OutOfLineReference reference, byte[] record, boolean inside,
                                            Object holder) {
                boolean chunkMoves = reference.chunks().stream().anyMatch(c -> moving.test(c.segmentId()));
                return chunkMoves || inside
                        ? pushValue(reference, record, holder, AtomRelocation.this::push) : reference;
            }
        };
    }

    /** Relocates the graph under {@code root} and returns the root's pointer afterwards (itself if unchanged). */
    public AtomPointer relocate(AtomPointer root) {
        return rewriter.rewriteGraph(root);
    }

    /**
     * Relocates what the atom {@code atom} (bytes not stored, such as a record about to be written)
     * references, and returns its bytes with the new pointers.
     */
    public byte[] relocateIn(byte[] atom) {
        rewriter.forEachReference(null, atom, this::relocate);
        return rewriter.replaceAll(null, atom);
    }

    /** Atoms rewritten so far. */
    public long atoms() {
        return atoms;
    }

    /** Bytes pushed by rewriting so far. */
    public long bytes() {
        return bytes;
    }

    private AtomPointer push(byte[] atom) {
        atoms++;
        bytes += atom.length;
        return storage.push(atom);
    }
}
