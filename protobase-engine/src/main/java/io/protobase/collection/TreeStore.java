package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReferences;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.OutOfLineReference;
import io.protobase.codec.Tags;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.internal.ReferenceRecorder;
import io.protobase.collection.internal.TreeKind;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Binds the collection layer to a {@link SharedStorage}: saves trees and records as atoms (children
 * before parents, each node once), loads nodes lazily through the shared {@link AtomCache}, and
 * decodes records whose collections stay lazy until read. One per object space; thread-safe.
 *
 * <p>Node and value layouts are specified in {@code docs/atom-format.md}. Enum constants decode to
 * their enum only if the type was registered ({@link #registerEnum}) or written by this process;
 * otherwise to {@link io.protobase.codec.EnumValue}: no class named in the data is ever loaded.
 *
 * <p>A value whose encoding exceeds {@link #INLINE_LIMIT} bytes, as a tree leaf's value or a record's
 * attribute, is stored out of line: in chunk atoms of its own (at most {@link Tags#MAX_CHUNK_BYTES}
 * each), with an {@link OutOfLineReference} in its place. A node or record holding it stays small, a
 * commit that changes a neighbour rewrites the reference and not the value, and a reader that does not
 * need the value never reads it. The value is loaded through the same cache as the nodes.
 *
 * <p>The encodings live beside this class: {@link ValueCodec} writes and reads records, collections
 * and out-of-line values, {@link NodeCodec} tree nodes. This class binds them to the storage, the
 * cache and the counters, and keeps what the cache holds detached from the trees being built.
 *
 * <p>The engine reaches it through {@link AtomStore}, which says what each operation promises.
 */
final class TreeStore implements AtomStore {

    /**
     * Above this many encoded bytes a leaf value or record attribute is stored out of line. A node of
     * {@link Node#MIN} entries of values just below the limit then still fits {@link Node#MAX_BYTES};
     * a reference costs about 20 bytes and one more read, under 2 % of a value it replaces.
     */
    static final int INLINE_LIMIT = Node.MAX_BYTES / Node.MIN;

    private final SharedStorage storage;
    /** The storage, when it notes the references of what is pushed (then encoders report them), else {@code null}. */
    private final ReferenceRecorder recorder;
    /** Decoded nodes ({@link Node}) and values stored out of line ({@link ValueCodec.LoadedValue}), by pointer. */
    private final AtomCache<Object> cache;
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder atomsWritten = new LongAdder();
    /** Records, collections, out-of-line values and the registries decoding needs. */
    private final ValueCodec codec;
    /** Tree nodes to atoms and back. */
    private final NodeCodec nodes;

    /**
     * @param storage where atoms live
     * @param cacheBytes bound of the decoded-node cache, in encoded bytes
     */
    TreeStore(SharedStorage storage, long cacheBytes) {
        this.storage = storage;
        this.recorder = storage instanceof ReferenceRecorder r ? r : null;
        // a cached node keeps its decoded entries and its encoded bytes (for re-encoding copies cheaply)
        this.cache = new AtomCache<>(cacheBytes,
                a -> a instanceof Node n ? 2 * n.weight + 64 : ((ValueCodec.LoadedValue) a).reference().length() + 64);
        this.codec = new ValueCodec(this, cache);
        this.nodes = new NodeCodec(this, codec, cache);
    }

    @Override
    public SharedStorage storage() {
        return storage;
    }

    @Override
    public AtomCache<?> cache() {
        return cache;
    }

    @Override
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    @Override
    public long bytesRead() {
        return bytesRead.sum();
    }

    @Override
    public long atomsWritten() {
        return atomsWritten.sum();
    }

    @Override
    public void registerIndexExtractor(String name, java.util.function.Function<Object, ?> extractor) {
        codec.registerIndexExtractor(name, extractor);
    }

    @Override
    public void registerEnum(Class<? extends Enum<?>> type) {
        codec.registerEnum(type);
    }

    @Override
    public void persist(Object value) {
        if (value instanceof ProtoCollection c) {
            saveTree(c.tree);
        } else if (value instanceof DbObject o) {
            for (int i = 0; i < o.count(); i++) {
                persist(o.valueAt(i));
            }
        } else if (value instanceof List<?> list) {
            for (Object e : list) {
                persist(e);
            }
        }
    }

    /**
     * Only nodes this version created are visited (the children it shares with the version it was
     * copied from are pointers, not nodes), and only the leaf values that hold saved nodes in memory.
     * Walks with a queue rather than by recursion: the saved collections held in memory may chain
     * through one another further than a thread's stack reaches (a chain of values stored by earlier
     * commits counts one level of nesting each time it is stored again).
     */
    @Override
    public void retireUnpublished(Object value) {
        java.util.ArrayDeque<Object> pending = new java.util.ArrayDeque<>();
        if (value != null) {
            pending.push(value);
        }
        while (!pending.isEmpty()) {
            Object next = pending.pop();
            if (next instanceof Node n) {
                if (n.pointer == null) {
                    continue;
                }
                cache.retire(n.pointer);
                if (n.vals != null) {
                    for (int i = 0; i < n.size; i++) {
                        Object v = n.vals[i];
                        if (n.leaf) {
                            // a value the cached copy holds as it is (detachedValue kept it) has no saved
                            // node in memory below it: a record of scalars, say, is not visited
                            if (v != null && !(v instanceof EncodedValue)
                                    && (n.detachedVals == null || n.detachedVals[i] != v)) {
                                pending.push(v);
                            }
                        } else if (v instanceof Node child) {
                            pending.push(child);
                        }
                    }
                }
                continue;
            }
            // otherwise a value (a stored value is never a node)
            Object v = next;
            if (v instanceof ProtoCollection c) {
                pushRoot(pending, c.tree.root());
                c.indexes.mapEntries(e -> {
                    pushRoot(pending, e.tree.root());
                    return e;
                });
            } else if (v instanceof DbObject o) {
                for (int i = 0; i < o.count(); i++) {
                    pending.push(o.valueAt(i));
                }
            } else if (v instanceof List<?> list) {
                for (Object e : list) {
                    if (e != null) {
                        pending.push(e);
                    }
                }
            }
        }
    }

    private static void pushRoot(java.util.ArrayDeque<Object> pending, Object root) {
        if (root instanceof Node n) {
            pending.push(n);
        }
    }

    @Override
    public AtomPointer writeRecord(Object value) {
        AtomWriter w = codec.writer(256).begin(Tags.ATOM_RECORD);
        w.writeValue(value);
        return push(w.toByteArray(), w.references());
    }

    @Override
    public Object readRecord(AtomPointer pointer) {
        return codec.decodeRecord(read(pointer), pointer);
    }

    @Override
    public byte[] encodeValue(Object value) {
        AtomWriter w = codec.inlineWriter(64).begin(Tags.ATOM_RECORD);
        w.writeValue(value);
        return w.toByteArray();
    }

    @Override
    public Object decodeValue(byte[] bytes) {
        return codec.decodeRecord(bytes, "value");
    }

    /**
     * Tells a storage that notes references ({@link ReferenceRecorder}) those inside a value about to move
     * out of line, {@code encoding} being the value's bytes: complete {@code references} as its writer
     * collected them, or, when they are not, found by scanning the bytes.
     */
    void held(AtomReferences references, byte[] encoding) {
        if (recorder == null) {
            return;
        }
        if (!references.complete()) {
            byte[] record = new byte[encoding.length + 2];
            record[0] = Tags.OUT_OF_LINE_VERSION;
            record[1] = Tags.ATOM_RECORD;
            System.arraycopy(encoding, 0, record, 2, encoding.length);
            references = AtomGraph.references(record);
        }
        if (references.size() > 0) {
            recorder.held(references);
        }
    }

    /** Whether the storage is told the references of each atom pushed: encoders then collect them. */
    boolean recordsReferences() {
        return recorder != null;
    }

    /**
     * Pushes an atom, counting it; {@code references} are its references as its encoder wrote them, for a
     * storage that notes them ({@link ReferenceRecorder}). {@code bytes} is handed over
     * ({@link SharedStorage#pushOwned}): every caller pushes an array it just encoded and never changes.
     */
    AtomPointer push(byte[] bytes, AtomReferences references) {
        AtomPointer p = recorder != null ? recorder.push(bytes, references) : storage.pushOwned(bytes);
        bytesWritten.add(bytes.length);
        atomsWritten.increment();
        return p;
    }

    /** Reads an atom from storage (past the cache), counting its bytes. */
    byte[] read(AtomPointer p) {
        byte[] b = storage.read(p);
        bytesRead.add(b.length);
        return b;
    }

    // ------------------------------------------------------------------ nodes

    AtomPointer saveTree(Tree t) {
        Object root = t.root();
        if (root == null) {
            return null;
        }
        if (root instanceof AtomPointer p) {
            return p;
        }
        return nodes.save((Node) root, t.kind());
    }

    /** {@code value} with every saved collection inside it re-rooted at its pointer. */
    Object detachedValue(Object v) {
        // scalars first, by exact or superclass checks: an interface check (List) on every field of
        // every value of a saved leaf costs more than the rest of this method
        if (v == null || v instanceof Boolean || v instanceof EncodedValue || v instanceof Integer
                || v instanceof Long || v instanceof Double) {
            return v;
        }
        EncodedValue ref = codec.outOfLineReference(v);
        if (ref != null) {
            return ref;
        }
        if (v instanceof String || v instanceof Number) {
            return v;
        }
        if (v instanceof ProtoCollection c) {
            ProtoCollection r;
            if (c.tree.root() instanceof Node root && root.pointer != null) {
                r = c.withTree(new Tree(c.tree.kind(), root.pointer, c.tree.size(), this));
            } else {
                r = c.lineage == null ? c : c.withLineage(null);
            }
            if (!r.indexes.isEmpty()) {
                Indexes detachedIndexes = r.indexes.mapEntries(e -> (RepeatedKeysDictionary) detachedValue(e));
                if (detachedIndexes != r.indexes) {
                    r = r.withIndexes(detachedIndexes);
                }
            }
            return r;
        }
        if (v instanceof DbObject o) {
            DbObject r = o;
            for (int i = 0; i < o.count(); i++) {
                Object a = o.valueAt(i);
                Object d = detachedValue(a);
                if (d != a) {
                    r = r.withStoredAt(i, d);
                }
            }
            return r;
        }
        if (v instanceof List<?> list) {
            boolean changed = false;
            Object[] out = new Object[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = detachedValue(list.get(i));
                changed |= out[i] != list.get(i);
            }
            return changed ? java.util.Collections.unmodifiableList(java.util.Arrays.asList(out)) : v;
        }
        return v;
    }

    @Override
    public byte[] cachedAtom(AtomPointer pointer) {
        // the volatile read of the node's pointer makes the atom written before it visible
        return cache.getIfPresent(pointer) instanceof Node n && n.pointer != null ? n.atom : null;
    }

    @Override
    public Dictionary detached(Dictionary d) {
        return (Dictionary) detachedValue(d);
    }

    Node loadNode(AtomPointer p, TreeKind kind) {
        if (!(cache.get(p, nodes::decode) instanceof Node n)) {
            throw new CorruptionException("Corrupt " + p + ": expected a node of a " + kind
                    + " tree, found a chunk of an out-of-line value; the referencing atom is damaged");
        }
        if (n.kindTag != kind.ordinal() + 1) {
            throw new CorruptionException("Corrupt " + p + ": expected a node of a " + kind + " tree, found a "
                    + (n.kindTag == 0 ? "non-tree atom" : TreeKind.values()[n.kindTag - 1] + " tree node")
                    + "; the referencing atom is damaged");
        }
        return n;
    }
}
