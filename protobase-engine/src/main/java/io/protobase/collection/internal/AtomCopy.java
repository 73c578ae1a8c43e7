package io.protobase.collection.internal;

import io.protobase.codec.OutOfLineReference;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

/**
 * Copies graphs into one target storage ({@link AtomGraph#copyTo}), children first, each atom once:
 * the copy of an atom is its bytes with every pointer replaced by the pointer of the child's copy.
 * Not thread-safe.
 */
public final class AtomCopy {

    private final SharedStorage target;
    private long bytes;
    private final AtomRewriter rewriter;

    AtomCopy(AtomGraph graph, SharedStorage target) {
        this.target = target;
        this.rewriter = new AtomRewriter(graph, true) {
            @Override
            AtomPointer rewriteAtom(Frame atom) {
                return push(replaceAll(atom.pointer, atom.bytes()));
            }

            @Override
            OutOfLineReference rewriteValue(OutOfLineReference reference, byte[] record, boolean inside,
                                            Object holder) {
                return pushValue(reference, record, holder, AtomCopy.this::push);
            }
        };
    }

    /** Copies the graph under {@code root} (what is not copied yet) and returns the root's new pointer. */
    public AtomPointer copy(AtomPointer root) {
        return rewriter.rewriteGraph(root);
    }

    /**
     * Copies the atom {@code source} as {@code atom}, a version of its bytes the caller changed
     * (such as a space root trimmed of its history links), after the graphs those bytes reference.
     * Later references to {@code source} lead to this copy.
     */
    public AtomPointer copyAtom(AtomPointer source, byte[] atom) {
        rewriter.forEachReference(source, atom, this::copy);
        AtomPointer p = push(rewriter.replaceAll(source, atom));
        rewriter.done.put(source, p);
        return p;
    }

    /** Atoms written to the target so far. */
    public long atoms() {
        return rewriter.done.size();
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
