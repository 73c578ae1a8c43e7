package io.protobase.collection.internal;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.OutOfLineReference;
import io.protobase.storage.AtomPointer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Rewrites graphs atom by atom, children first, each atom once: the copy (or relocation) and the
 * relocation of compaction differ only in what becomes of one atom and of one out-of-line value.
 * An out-of-line value whose chunks may hold references is treated as part of the atom holding
 * it: what its chunks reference is walked as that atom's children, and the value is written again,
 * with the new pointers, when the atom is.
 */
abstract class AtomRewriter {

    private final AtomGraph graph;

    /** Every atom rewritten so far, by its pointer: its new pointer (itself when unchanged). */
    final Map<AtomPointer, AtomPointer> done = new HashMap<>();
    /** Every out-of-line value rewritten so far: its new reference (itself when unchanged). */
    private final Map<OutOfLineReference, OutOfLineReference> values = new HashMap<>();
    /**
     * The encodings of the out-of-line values read while expanding an atom, kept until the atom
     * is rewritten, so that a value is read from its chunks once.
     */
    private final Map<OutOfLineReference, byte[]> read = new HashMap<>();

    AtomRewriter(AtomGraph graph) {
        this.graph = graph;
    }

    /** What becomes of the atom {@code p}, whose children are all done, given its bytes. */
    abstract AtomPointer rewriteAtom(AtomPointer p, byte[] bytes);

    /**
     * What becomes of an out-of-line value: {@code record} is its encoding behind a record header,
     * with the new pointers, when it may hold references (their targets are all done), else
     * {@code null}; {@code inside} tells whether any of those pointers changed.
     */
    abstract OutOfLineReference rewriteValue(OutOfLineReference reference, byte[] record, boolean inside,
                                             Object holder);

    /** Rewrites the graph under {@code root} (what is not done yet) and returns the root's new pointer. */
    final AtomPointer rewriteGraph(AtomPointer root) {
        AtomPointer known = done.get(root);
        if (known != null) {
            return known;
        }
        Set<AtomPointer> inProgress = new HashSet<>();
        ArrayDeque<Frame> path = new ArrayDeque<>();
        path.push(new Frame(root, root));
        while (!path.isEmpty()) {
            Frame f = path.peek();
            if (f.bytes == null) {
                if (done.containsKey(f.pointer)) {
                    path.pop();
                    continue;
                }
                if (!inProgress.add(f.pointer)) {
                    throw new CorruptionException("Corrupt " + f.referrer + ": it references " + f.pointer
                            + ", which references it back (directly or through other atoms); atoms never form "
                            + "cycles, so one of them is damaged");
                }
                f.bytes = graph.read(f.pointer, f.referrer);
                forEachReference(f.pointer, f.bytes, child -> {
                    if (!done.containsKey(child)) {
                        path.push(new Frame(child, f.pointer));
                    }
                });
            } else {
                path.pop();
                inProgress.remove(f.pointer);
                done.put(f.pointer, rewriteAtom(f.pointer, f.bytes));
            }
        }
        return done.get(root);
    }

    /**
     * Tells {@code action} the atoms that must be done before {@code atom}: its pointers, and what
     * its out-of-line values that may hold references reference (their chunks are not atoms of the
     * graph: they are rewritten with the value).
     */
    final void forEachReference(AtomPointer atom, byte[] bytes, Consumer<AtomPointer> action) {
        AtomGraph.scan(atom, bytes, new AtomGraph.PointerSink() {
            @Override
            public void pointer(AtomPointer pointer, int start, int end) {
                action.accept(pointer);
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                if (!values.containsKey(reference) && OutOfLineValues.mayHoldReferences(reference)) {
                    byte[] record = read.computeIfAbsent(reference, r -> graph.valueRecord(r, atom));
                    AtomGraph.scan(null, record, this);
                }
            }
        });
    }

    /** {@code bytes} with every pointer and out-of-line value replaced by what it became. */
    final byte[] replaceAll(AtomPointer atom, byte[] bytes) {
        return AtomGraph.rewrite(atom, bytes, done::get, reference -> value(reference, atom));
    }

    /** Whether {@code bytes} reference anything that became something else. */
    final boolean referencesChanged(AtomPointer atom, byte[] bytes) {
        boolean[] changed = {false};
        AtomGraph.scan(atom, bytes, new AtomGraph.PointerSink() {
            @Override
            public void pointer(AtomPointer pointer, int start, int end) {
                changed[0] |= !pointer.equals(done.get(pointer));
            }

            @Override
            public void outOfLine(OutOfLineReference reference, int start, int end) {
                changed[0] |= !reference.equals(value(reference, atom));
            }
        });
        return changed[0];
    }

    private OutOfLineReference value(OutOfLineReference reference, Object holder) {
        OutOfLineReference known = values.get(reference);
        if (known == null) {
            byte[] record = null;
            boolean inside = false;
            if (OutOfLineValues.mayHoldReferences(reference)) {
                byte[] original = read.remove(reference);
                if (original == null) {
                    original = graph.valueRecord(reference, holder);
                }
                record = AtomGraph.rewrite(null, original, done::get, nested -> value(nested, holder));
                inside = !java.util.Arrays.equals(record, original);
            }
            known = rewriteValue(reference, record, inside, holder);
            values.put(reference, known);
        }
        return known;
    }

    /**
     * Pushes an out-of-line value again through {@code pusher}: {@code record} (its rewritten encoding
     * behind a record header) when it may hold references, else its chunks as they are.
     */
    final OutOfLineReference pushValue(OutOfLineReference reference, byte[] record, Object holder,
                                   Function<byte[], AtomPointer> pusher) {
        if (record != null) {
            return OutOfLineValues.push(record, OutOfLineValues.RECORD_HEADER,
                    record.length - OutOfLineValues.RECORD_HEADER, reference.depth(), pusher);
        }
        List<AtomPointer> chunks = new ArrayList<>(reference.chunks().size());
        for (AtomPointer chunk : reference.chunks()) {
            byte[] atom = graph.read(chunk, holder);
            AtomReader.chunkPayloadStart(atom, chunk);
            chunks.add(pusher.apply(atom));
        }
        return new OutOfLineReference(reference.depth(), reference.length(), chunks);
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
}
