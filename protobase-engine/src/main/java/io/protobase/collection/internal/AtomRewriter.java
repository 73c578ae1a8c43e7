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
import java.util.function.Predicate;

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
     * Whether every atom is rewritten from its bytes (a copy): they are then read once, when the atom is
     * expanded, rather than its references taken from what walks remembered and its bytes read again.
     */
    private final boolean readsEveryAtom;

    /** The atoms known to stay as they are, with all they reach: done without being entered. */
    private final Predicate<AtomPointer> unchanged;

    AtomRewriter(AtomGraph graph, boolean readsEveryAtom) {
        this(graph, readsEveryAtom, p -> false);
    }

    /**
     * @param unchanged the atoms known to become themselves, with everything they reach (a relocation
     *                  whose caller knows where their atoms lie): they are not entered
     */
    AtomRewriter(AtomGraph graph, boolean readsEveryAtom, Predicate<AtomPointer> unchanged) {
        this.graph = graph;
        this.readsEveryAtom = readsEveryAtom;
        this.unchanged = unchanged;
    }

    /**
     * What becomes of the atom {@code atom}, whose children are all done; its bytes, when needed, are
     * {@link Frame#bytes()}.
     */
    abstract AtomPointer rewriteAtom(Frame atom);

    /**
     * What becomes of an out-of-line value: {@code record} is its encoding behind a record header,
     * with the new pointers, when it may hold references and any of them changed ({@code inside}),
     * else {@code null}.
     */
    abstract OutOfLineReference rewriteValue(OutOfLineReference reference, byte[] record, boolean inside,
                                             Object holder);

    /** Rewrites the graph under {@code root} (what is not done yet) and returns the root's new pointer. */
    final AtomPointer rewriteGraph(AtomPointer root) {
        AtomPointer known = done.get(root);
        if (known != null) {
            return known;
        }
        if (unchanged.test(root)) {
            done.put(root, root);
            return root;
        }
        Set<AtomPointer> inProgress = new HashSet<>();
        ArrayDeque<Frame> path = new ArrayDeque<>();
        path.push(new Frame(root, root));
        while (!path.isEmpty()) {
            Frame f = path.peek();
            if (f.links == null) {
                if (done.containsKey(f.pointer)) {
                    path.pop();
                    continue;
                }
                if (!inProgress.add(f.pointer)) {
                    throw new CorruptionException("Corrupt " + f.referrer + ": it references " + f.pointer
                            + ", which references it back (directly or through other atoms); atoms never form "
                            + "cycles, so one of them is damaged");
                }
                if (readsEveryAtom) {
                    f.bytes = graph.read(f.pointer, f.referrer);
                    f.links = AtomGraph.Links.of(f.pointer, f.bytes);
                } else {
                    f.links = graph.links(f.pointer, f.referrer);
                }
                forEachReference(f.pointer, f.links, child -> {
                    if (!done.containsKey(child)) {
                        if (unchanged.test(child)) {
                            done.put(child, child);
                        } else {
                            path.push(new Frame(child, f.pointer));
                        }
                    }
                });
            } else {
                path.pop();
                inProgress.remove(f.pointer);
                done.put(f.pointer, rewriteAtom(f));
            }
        }
        return done.get(root);
    }

    /**
     * Tells {@code action} the atoms that must be done before {@code atom}, whose bytes are
     * {@code bytes}: see {@link #forEachReference(AtomPointer, AtomGraph.Links, Consumer)}.
     */
    final void forEachReference(AtomPointer atom, byte[] bytes, Consumer<AtomPointer> action) {
        forEachReference(atom, AtomGraph.Links.of(atom, bytes), action);
    }

    /**
     * Tells {@code action} the atoms that must be done before {@code atom}: its pointers, and what
     * its out-of-line values that may hold references reference (their chunks are not atoms of the
     * graph: they are rewritten with the value).
     */
    private void forEachReference(AtomPointer atom, AtomGraph.Links links, Consumer<AtomPointer> action) {
        for (AtomPointer p : links.pointers()) {
            action.accept(p);
        }
        for (OutOfLineReference reference : links.values()) {
            if (!values.containsKey(reference) && OutOfLineValues.mayHoldReferences(reference)) {
                forEachReference(atom, graph.valueLinks(reference, atom), action);
            }
        }
    }

    /** {@code bytes} with every pointer and out-of-line value replaced by what it became. */
    final byte[] replaceAll(AtomPointer atom, byte[] bytes) {
        return AtomGraph.rewrite(atom, bytes, done::get, reference -> value(reference, atom));
    }

    /** Whether the atom {@code atom}, referencing {@code links}, references anything that became something else. */
    final boolean referencesChanged(AtomPointer atom, AtomGraph.Links links) {
        for (AtomPointer p : links.pointers()) {
            if (!p.equals(done.get(p))) {
                return true;
            }
        }
        for (OutOfLineReference reference : links.values()) {
            if (!reference.equals(value(reference, atom))) {
                return true;
            }
        }
        return false;
    }

    private OutOfLineReference value(OutOfLineReference reference, Object holder) {
        OutOfLineReference known = values.get(reference);
        if (known == null) {
            byte[] record = null;
            boolean inside = false;
            if (OutOfLineValues.mayHoldReferences(reference)) {
                AtomGraph.Links links = graph.valueLinks(reference, holder);
                for (AtomPointer p : links.pointers()) {
                    inside |= !p.equals(done.get(p));
                }
                for (OutOfLineReference nested : links.values()) {
                    inside |= !nested.equals(value(nested, holder));
                }
                if (inside) {
                    record = AtomGraph.rewrite(null, graph.valueRecord(reference, holder), done::get,
                            nested -> value(nested, holder));
                }
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

    /** One atom on the path of a rewrite: what it references is held from its expansion until it is done. */
    final class Frame {
        final AtomPointer pointer;
        final AtomPointer referrer;
        AtomGraph.Links links;
        private byte[] bytes;

        Frame(AtomPointer pointer, AtomPointer referrer) {
            this.pointer = pointer;
            this.referrer = referrer;
        }

        /** The atom's bytes, read once (a failure names the atom referencing it). */
        byte[] bytes() {
            if (bytes == null) {
                bytes = graph.read(pointer, referrer);
            }
            return bytes;
        }
    }
}
