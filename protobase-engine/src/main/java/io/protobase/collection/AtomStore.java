package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.OutOfLineReference;
import io.protobase.codec.Tags;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>This is engine plumbing used by {@code ObjectSpace}, not application API.
 */
public final class AtomStore {

    /**
     * Above this many encoded bytes a leaf value or record attribute is stored out of line. A node of
     * {@link Node#MIN} entries of values just below the limit then still fits {@link Node#MAX_BYTES};
     * a reference costs about 20 bytes and one more read, under 2 % of a value it replaces.
     */
    public static final int INLINE_LIMIT = Node.MAX_BYTES / Node.MIN;

    private final SharedStorage storage;
    /** Decoded nodes ({@link Node}) and values stored out of line ({@link LoadedValue}), by pointer. */
    private final AtomCache<Object> cache;
    /**
     * The reference of each value this process stored out of line, by the identity of the value
     * object, for as long as that object lives: a record or node holding the value and written again
     * (a copy in a later commit, the other half of a split) writes the reference instead of the value's
     * bytes, and the saved node kept in the cache holds the reference, not the value.
     */
    private final Cache<Object, EncodedValue> storedOutOfLine = Caffeine.newBuilder().weakKeys().build();
    private final Map<String, Class<? extends Enum<?>>> enums = new ConcurrentHashMap<>();
    private final Map<String, java.util.function.Function<Object, ?>> extractors = new ConcurrentHashMap<>();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder atomsWritten = new LongAdder();
    /** Encodes what is stored, moving large values out of line; and decodes every atom. */
    private final Codec codec = new Codec(true);
    /** Encodes values inline only ({@link #encodeValue}): no atom pushed as a side effect. */
    private final Codec inlineCodec = new Codec(false);

    /**
     * @param storage where atoms live
     * @param cacheBytes bound of the decoded-node cache, in encoded bytes
     */
    public AtomStore(SharedStorage storage, long cacheBytes) {
        this.storage = storage;
        // a cached node keeps its decoded entries and its encoded bytes (for re-encoding copies cheaply)
        this.cache = new AtomCache<>(cacheBytes,
                a -> a instanceof Node n ? 2 * n.weight + 64 : ((LoadedValue) a).reference.length() + 64);
    }

    /** The storage underneath. */
    public SharedStorage storage() {
        return storage;
    }

    /** The node cache (for statistics). */
    public AtomCache<?> cache() {
        return cache;
    }

    /** Bytes pushed to storage by this store. */
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Bytes read from storage by this store (cache misses). */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** Atoms pushed to storage by this store. */
    public long atomsWritten() {
        return atomsWritten.sum();
    }

    /** Lets constants of {@code type} decode to the enum itself. */
    /**
     * Registers the function of an extractor index under its name, so collections read back with
     * that index can be changed (the name is stored, the function cannot be).
     */
    public void registerIndexExtractor(String name, java.util.function.Function<Object, ?> extractor) {
        extractors.put(name, extractor);
    }

    public void registerEnum(Class<? extends Enum<?>> type) {
        enums.put(type.getName(), type);
    }

    /** Saves every unsaved tree reachable from {@code value} (so a later encode is cheap). */
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
     * Retires from the cache (see {@link AtomCache#retire}) the nodes of {@code value} that were saved
     * but will never be published: a transaction's version of a root written before the commit lock
     * and then rebased onto a concurrent commit, or refused. Only nodes this version created are
     * visited (the children it shares with the version it was copied from are pointers, not nodes).
     *
     * <p>Walks with a queue rather than by recursion: the saved collections held in memory may chain
     * through one another further than a thread's stack reaches (a chain of values stored by earlier
     * commits counts one level of nesting each time it is stored again).
     */
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
                            if (v != null && !(v instanceof EncodedValue)) {
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

    /** Writes {@code value} (typically a {@link DbObject}) as one record atom, saving its collections first. */
    public AtomPointer writeRecord(Object value) {
        AtomWriter w = new AtomWriter(codec, 256).begin(Tags.ATOM_RECORD);
        w.writeValue(value);
        return push(w.toByteArray());
    }

    /** Reads a record atom; collections inside load lazily from this store. */
    public Object readRecord(AtomPointer pointer) {
        return decodeRecord(read(pointer), pointer);
    }

    /** Encodes a value the way it is stored inside atoms (used by tests and tools). */
    public byte[] encodeValue(Object value) {
        AtomWriter w = new AtomWriter(inlineCodec, 64).begin(Tags.ATOM_RECORD);
        w.writeValue(value);
        return w.toByteArray();
    }

    /** Decodes bytes produced by {@link #encodeValue}; malformed input gives {@link CorruptionException}. */
    public Object decodeValue(byte[] bytes) {
        return decodeRecord(bytes, "value");
    }

    private Object decodeRecord(byte[] bytes, Object source) {
        AtomReader r = new AtomReader(bytes, source, codec);
        try {
            byte kind = r.begin();
            if (kind != Tags.ATOM_RECORD) {
                throw r.corrupt("expected a record atom, found kind " + kind);
            }
            Object v = r.readValue();
            r.end();
            return v;
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + source + ": " + e, e);
        }
    }

    /** A value stored out of line, as decoded and cached, with the reference it was loaded by. */
    private record LoadedValue(OutOfLineReference reference, Object value) {
    }

    /**
     * Writes {@code v}, the value of a leaf entry or record attribute: inline, or, when its encoding
     * exceeds {@link #INLINE_LIMIT} and {@code storing}, as a reference to chunk atoms pushed now (or
     * pushed before for the same value object). An encoded value of this store is copied as it is,
     * unless it is a large value stored inline by a build without out-of-line values: that one moves
     * out of line the first time its node is rewritten.
     *
     * @return the reference written, when {@code v} was moved out of line now, else {@code null}
     */
    private EncodedValue writeSlot(AtomWriter w, Object v, boolean storing) {
        // what the slot holds: the value, or its encoding, by whose identity a reference is remembered
        Object slot = v;
        if (v instanceof EncodedValue e) {
            if (e.store == this && (e.outOfLine() || !storing || e.end - e.start <= INLINE_LIMIT)) {
                w.writeRawFrom(e.atom, e.start, e.end - e.start);
                return null;
            }
            EncodedValue known = storing ? storedOutOfLine.getIfPresent(e) : null;
            if (known != null && reusable(known)) {
                w.writeRawFrom(known.atom, known.start, known.end - known.start);
                return known;
            }
            v = e.decode();
        }
        int start = w.size();
        w.writeValue(v);
        if (!storing || w.size() - start <= INLINE_LIMIT) {
            return null;
        }
        EncodedValue ref = storedOutOfLine.getIfPresent(slot);
        if (ref == null || !reusable(ref)) {
            ref = pushOutOfLine(w.copyOfRange(start, w.size()), Values.depth(v));
            storedOutOfLine.put(slot, ref);
        }
        w.truncate(start);
        w.writeRawFrom(ref.atom, ref.start, ref.end - ref.start);
        return ref;
    }

    /**
     * Whether a commit may write {@code ref}, a reference this process stored earlier, instead of
     * pushing the value again. Its chunks may since have become unreachable (the value deleted, or
     * moved by compaction) and their segment released. A commit in flight keeps the segment being
     * written when it started, and every later one, from being released until it is published, so
     * chunks in the segment being written now are safe to reference; older ones are pushed again.
     */
    private boolean reusable(EncodedValue ref) {
        return storage.reclaimer()
                .map(r -> ((AtomPointer) ref.source).segmentId() >= r.writingSegment())
                .orElse(true);
    }

    /** Pushes {@code encoding} as chunk atoms and returns the reference to write in its place. */
    private EncodedValue pushOutOfLine(byte[] encoding, int depth) {
        OutOfLineReference reference = OutOfLineValues.push(encoding, 0, encoding.length, depth, this::push);
        AtomWriter w = new AtomWriter(null, 32).begin(Tags.ATOM_RECORD);
        w.writeOutOfLine(reference);
        byte[] atom = w.toByteArray();
        return new EncodedValue(this, atom, 2, atom.length, reference.first());
    }

    /**
     * Loads a value stored out of line, through the cache keyed by its first chunk. A cached value
     * loaded by another reference to that chunk means a damaged atom: chunks are never shared.
     */
    private Object loadOutOfLine(OutOfLineReference reference, Object holder) {
        Object cached = cache.get(reference.first(), p -> readOutOfLine(reference, holder));
        if (!(cached instanceof LoadedValue loaded)) {
            throw new CorruptionException("Corrupt " + holder + ": its out-of-line value points at "
                    + reference.first() + ", which is a tree node, not a chunk");
        }
        if (!loaded.reference.equals(reference)) {
            throw new CorruptionException("Corrupt " + holder + ": its out-of-line value starting at "
                    + reference.first() + " (" + reference.length() + " bytes) is cached for another reference ("
                    + loaded.reference.length() + " bytes)");
        }
        return loaded.value;
    }

    private LoadedValue readOutOfLine(OutOfLineReference reference, Object holder) {
        Object source = "out-of-line value at " + reference.first() + " of " + holder;
        return new LoadedValue(reference, decodeRecord(concatenated(reference, holder), source));
    }

    private byte[] concatenated(OutOfLineReference reference, Object holder) {
        return OutOfLineValues.record(reference, holder, this::read);
    }

    private AtomPointer push(byte[] bytes) {
        AtomPointer p = storage.push(bytes);
        bytesWritten.add(bytes.length);
        atomsWritten.increment();
        return p;
    }

    private byte[] read(AtomPointer p) {
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
        return saveNode((Node) root, t.kind());
    }

    private AtomPointer saveNode(Node n, TreeKind kind) {
        AtomPointer existing = n.pointer;
        if (existing != null) {
            return existing;
        }
        // read once: another thread saving the same shared node clears it when done
        Node base = n.base;
        int[] reuse = matchBase(n, base, kind);
        if (!n.leaf) {
            for (int i = 0; i < n.size; i++) {
                if ((reuse == null || reuse[i] < 0) && n.vals[i] instanceof Node child) {
                    saveNode(child, kind);
                }
            }
        }
        AtomWriter w = new AtomWriter(codec, reuse != null ? base.atom.length + 64 : n.size * 24 + 16)
                .begin(n.leaf ? Tags.ATOM_LEAF : Tags.ATOM_INTERNAL);
        w.writeByte(kind.ordinal());
        w.writeVarLong(n.size);
        int[] offsets = new int[n.size + 1];
        EncodedValue[] moved = null;
        for (int i = 0; i < n.size; i++) {
            offsets[i] = w.size();
            int j = reuse == null ? -1 : reuse[i];
            if (j >= 0) {
                w.writeRawFrom(base.atom, base.offsets[j], base.offsets[j + 1] - base.offsets[j]);
            } else {
                EncodedValue ref = writeEntry(w, n, kind, i);
                if (ref != null) {
                    moved = moved != null ? moved : new EncodedValue[n.size];
                    moved[i] = ref;
                }
            }
        }
        offsets[n.size] = w.size();
        byte[] bytes = w.toByteArray();
        assert reuse == null || sameEncoding(bytes, encodeFully(n, kind, moved))
                : "spliced encoding of a node differs from its full encoding";
        AtomPointer p = push(bytes);
        Node cached = detached(n, reuse, base, moved);
        n.weight = bytes.length;
        n.bytes = bytes.length;
        n.kindTag = (byte) (kind.ordinal() + 1);
        n.atom = bytes;
        n.offsets = offsets;
        n.detachedVals = cached.vals;
        n.base = null;
        n.pointer = p;
        cached.weight = bytes.length;
        cached.bytes = bytes.length;
        cached.kindTag = n.kindTag;
        cached.atom = bytes;
        cached.offsets = offsets;
        cached.detachedVals = cached.vals;
        cached.pointer = p;
        cache.put(p, cached);
        if (base != null && base.pointer != null) {
            // this node replaces its base in the new version of the tree
            cache.retire(base.pointer);
        }
        return p;
    }

    /**
     * A copy of a just-saved node whose children and collection values refer to atoms by pointer,
     * so that caching it does not pin the in-memory subtree below it: the cache's byte bound then
     * really bounds what it retains.
     */
    private Node detached(Node n, int[] reuse, Node base, EncodedValue[] moved) {
        Object[] vals = null;
        if (n.vals != null) {
            // an entry identical to one of the base (same objects, see matchBase) detaches to what the
            // base's did: taking that skips a visit of every child node or record the commit did not touch
            Object[] shared = reuse != null ? base.detachedVals : null;
            vals = new Object[n.size];
            for (int i = 0; i < n.size; i++) {
                int k = shared != null ? reuse[i] : -1;
                if (k >= 0) {
                    vals[i] = shared[k];
                    continue;
                }
                Object v = n.vals[i];
                if (moved != null && moved[i] != null) {
                    // the value went out of line in this save: the cached node holds the reference
                    vals[i] = moved[i];
                    continue;
                }
                vals[i] = n.leaf ? detachedValue(v) : (v instanceof Node c ? c.pointer : v);
            }
        }
        Object[] keys = n.keys == null ? null : java.util.Arrays.copyOf(n.keys, n.size);
        long[] counts = n.counts == null ? null : java.util.Arrays.copyOf(n.counts, n.size);
        return new Node(n.leaf, keys, vals, counts, n.size, null);
    }

    /** {@code value} with every saved collection inside it re-rooted at its pointer. */
    Object detachedValue(Object v) {
        // scalars first, by exact or superclass checks: an interface check (List) on every field of
        // every value of a saved leaf costs more than the rest of this method
        if (v == null || v instanceof Boolean || v instanceof EncodedValue || v instanceof Integer
                || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (mayBeOutOfLine(v)) {
            EncodedValue ref = storedOutOfLine.getIfPresent(v);
            if (ref != null) {
                return ref;
            }
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

    /** Whether {@code v} may have been stored out of line: only a value that can encode to more than the limit. */
    private boolean mayBeOutOfLine(Object v) {
        if (storedOutOfLine.estimatedSize() == 0) {
            return false;
        }
        if (v instanceof String s) {
            return s.length() * 3L > INLINE_LIMIT - 8;
        }
        if (v instanceof byte[] b) {
            return b.length > INLINE_LIMIT - 8;
        }
        return v instanceof DbObject || v instanceof List<?> || v instanceof java.math.BigInteger
                || v instanceof java.math.BigDecimal;
    }

    /** A saved dictionary re-rooted at its pointer, so holding it does not pin its in-memory nodes. */
    public Dictionary detached(Dictionary d) {
        return (Dictionary) detachedValue(d);
    }

    /** Writes entry {@code i} of {@code n}; returns the reference its value was moved out of line to, if it was. */
    private EncodedValue writeEntry(AtomWriter w, Node n, TreeKind kind, int i) {
        if (kind.keyed && (n.leaf || i > 0)) {
            writeKey(w, kind, n.keys[i]);
        }
        if (n.leaf) {
            if (kind.valued) {
                return writeSlot(w, n.vals[i], true);
            }
        } else {
            w.writeVarLong(n.counts[i]);
            Object c = n.vals[i];
            w.writePointer(c instanceof Node cn ? cn.pointer : (AtomPointer) c);
        }
        return null;
    }

    /**
     * Whether a spliced node encoding equals the full one: the same bytes after the version, which
     * the splice may have raised by copying entries of a newer atom without looking inside them.
     */
    private static boolean sameEncoding(byte[] spliced, byte[] full) {
        return spliced.length == full.length && spliced[0] >= full[0]
                && java.util.Arrays.equals(spliced, 1, spliced.length, full, 1, full.length);
    }

    /**
     * Encodes every entry afresh (to check a spliced encoding), with the references of the values the
     * spliced encoding moved out of line rather than moving them again.
     */
    private byte[] encodeFully(Node n, TreeKind kind, EncodedValue[] moved) {
        AtomWriter w = new AtomWriter(codec, n.size * 24 + 16).begin(n.leaf ? Tags.ATOM_LEAF : Tags.ATOM_INTERNAL);
        w.writeByte(kind.ordinal());
        w.writeVarLong(n.size);
        for (int i = 0; i < n.size; i++) {
            EncodedValue ref = moved == null ? null : moved[i];
            if (ref == null) {
                writeEntry(w, n, kind, i);
                continue;
            }
            if (kind.keyed) {
                writeKey(w, kind, n.keys[i]);
            }
            w.writeRawFrom(ref.atom, ref.start, ref.end - ref.start);
        }
        return w.toByteArray();
    }

    /** How far ahead in the base node an entry is looked for (entries removed since the copy). */
    private static final int MATCH_WINDOW = 8;

    /**
     * For each entry of the unsaved node {@code n}, the index of an identical entry of its encoded
     * {@link Node#base} (same key and value objects, same count, same key-presence), or -1; {@code null}
     * when there is no base. Compares references only, so it touches no key or value object: an entry
     * whose objects are identical encodes to identical bytes (stored values are immutable), which lets a
     * path copy re-encode only what changed instead of every record and child pointer of the node.
     */
    private static int[] matchBase(Node n, Node b, TreeKind kind) {
        // the volatile read of the pointer makes the atom and offsets written before it visible
        if (b == null || b.pointer == null || b.atom == null || b.leaf != n.leaf) {
            return null;
        }
        int[] reuse = new int[n.size];
        int j = 0;
        for (int i = 0; i < n.size; i++) {
            reuse[i] = -1;
            int end = Math.min(b.size, j + MATCH_WINDOW);
            for (int k = j; k < end; k++) {
                if (sameEntry(n, i, b, k, kind)) {
                    reuse[i] = k;
                    j = k + 1;
                    break;
                }
            }
        }
        return reuse;
    }

    private static boolean sameEntry(Node n, int i, Node b, int k, TreeKind kind) {
        if (kind.keyed && n.keys[i] != b.keys[k]) {
            return false;
        }
        if (n.vals != null && n.vals[i] != b.vals[k]) {
            return false;
        }
        if (n.leaf) {
            // an entry of an older build holding a large value inline is re-encoded, which moves the value out of line
            return b.vals == null || b.offsets[k + 1] - b.offsets[k] <= INLINE_LIMIT
                    || b.vals[k] instanceof EncodedValue e && e.outOfLine();
        }
        // internal: same subtree count, and the key is written for both or for neither (slot 0 has none)
        return n.counts[i] == b.counts[k] && (i == 0) == (k == 0);
    }

    private static void writeKey(AtomWriter w, TreeKind kind, Object key) {
        switch (kind) {
            case SORTED -> w.writeValue(key);
            case HASHED, HASHED_SET -> {
                HashedKey h = (HashedKey) key;
                w.writeFixedLong(h.hash());
                w.writeValue(h.value());
            }
            case PAIRED -> {
                PairKey p = (PairKey) key;
                w.writeValue(p.key());
                w.writeFixedLong(p.valueHash());
                w.writeValue(p.value());
            }
            default -> throw new IllegalStateException("keys in a " + kind + " tree");
        }
    }

    Node loadNode(AtomPointer p, TreeKind kind) {
        if (!(cache.get(p, this::decodeNode) instanceof Node n)) {
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

    private Node decodeNode(AtomPointer p) {
        byte[] bytes = read(p);
        AtomReader r = new AtomReader(bytes, p, codec);
        try {
            byte atomKind = r.begin();
            if (atomKind != Tags.ATOM_LEAF && atomKind != Tags.ATOM_INTERNAL) {
                throw r.corrupt("expected a tree node, found atom kind " + atomKind);
            }
            boolean leaf = atomKind == Tags.ATOM_LEAF;
            int k = r.readByte();
            if (k < 0 || k >= TreeKind.values().length) {
                throw r.corrupt("unknown tree kind " + k);
            }
            TreeKind kind = TreeKind.values()[k];
            int size = r.readCount(1);
            if (size == 0 || size > Node.MAX + 1) {
                throw r.corrupt("node size " + size + " outside 1.." + (Node.MAX + 1));
            }
            Object[] keys = kind.keyed ? new Object[size] : null;
            Object[] vals = (leaf && !kind.valued) ? null : new Object[size];
            long[] counts = leaf ? null : new long[size];
            int[] offsets = new int[size + 1];
            for (int i = 0; i < size; i++) {
                offsets[i] = bytes.length - r.remaining();
                if (kind.keyed && (leaf || i > 0)) {
                    keys[i] = readKey(r, kind);
                }
                if (leaf) {
                    if (kind.valued) {
                        vals[i] = readLeafValue(r, bytes, p);
                    }
                } else {
                    long c = r.readVarLong();
                    if (c <= 0) {
                        throw r.corrupt("subtree count " + c);
                    }
                    counts[i] = c;
                    vals[i] = r.readPointer();
                }
            }
            offsets[size] = bytes.length - r.remaining();
            r.end();
            Node n = new Node(leaf, keys, vals, counts, size, null);
            n.atom = bytes;
            n.offsets = offsets;
            n.weight = bytes.length;
            n.bytes = bytes.length;
            n.kindTag = (byte) (k + 1);
            n.detachedVals = vals;
            n.pointer = p;
            return n;
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + p + ": " + e, e);
        }
    }

    /** Small scalars are decoded at once; anything larger is located and left encoded. */
    private Object readLeafValue(AtomReader r, byte[] bytes, AtomPointer p) {
        int start = r.position();
        if (start >= bytes.length) {
            return r.readValue();
        }
        byte tag = bytes[start];
        if (tag == Tags.INT || tag == Tags.LONG || tag == Tags.TRUE || tag == Tags.FALSE || tag == Tags.NULL) {
            return r.readValue();
        }
        r.skipValue();
        return new EncodedValue(this, bytes, start, r.position(), p);
    }

    AtomReader reader(byte[] bytes, Object source) {
        return new AtomReader(bytes, source, codec);
    }

    private static Object readKey(AtomReader r, TreeKind kind) {
        switch (kind) {
            case SORTED:
                return r.readValue();
            case HASHED:
            case HASHED_SET: {
                long h = r.readFixedLong();
                return new HashedKey(h, r.readValue());
            }
            case PAIRED: {
                Object key = r.readValue();
                long h = r.readFixedLong();
                return new PairKey(key, h, r.readValue());
            }
            default:
                throw r.corrupt("keys in a " + kind + " tree");
        }
    }

    // ------------------------------------------------------------------ values of this layer

    /** Bits of the kind byte of an index declaration in a {@link Tags#INDEXED} value. */
    private static final int INDEX_EXTRACTOR = 1;
    private static final int INDEX_COVERING = 2;

    private final class Codec implements AtomWriter.Extension, AtomReader.Extension {

        private final boolean storing;

        Codec(boolean storing) {
            this.storing = storing;
        }

        @Override
        public boolean write(AtomWriter w, Object v) {
            if (v instanceof DbObject o) {
                w.writeByte(Tags.DB_OBJECT);
                w.writeVarLong(o.count());
                for (int i = 0; i < o.count(); i++) {
                    w.writeString(o.nameAt(i));
                    writeSlot(w, o.valueAt(i), storing);
                }
                return true;
            }
            if (v instanceof EncodedValue e) {
                writeSlot(w, e, storing);
                return true;
            }
            if (v instanceof ProtoCollection c) {
                if (!c.indexes.isEmpty()) {
                    writeIndexes(w, c.indexes);
                }
                AtomPointer root = saveTree(c.tree);
                w.writeByte(tagOf(c));
                w.writeVarLong(c.tree.size());
                if (c instanceof CountedSet cs) {
                    w.writeVarLong(cs.total);
                } else if (c instanceof RepeatedKeysDictionary rk) {
                    w.writeVarLong(rk.keyCount);
                    w.writeVarLong(rk.total);
                }
                if (root == null) {
                    w.writeByte(0);
                } else {
                    w.writeByte(1);
                    w.writePointer(root);
                }
                return true;
            }
            return false;
        }

        /**
         * Writes the {@link Tags#INDEXED} prefix: count, then per index name, kind (bit 0: extractor,
         * bit 1: covering), path and entries.
         */
        private void writeIndexes(AtomWriter w, Indexes indexes) {
            w.writeByte(Tags.INDEXED);
            w.writeVarLong(indexes.all().length);
            for (Indexes.Index i : indexes.all()) {
                IndexDefinition d = i.definition();
                w.writeString(d.name());
                int covering = d.isCovering() ? INDEX_COVERING : 0;
                if (d.isExtractor()) {
                    w.writeByte(INDEX_EXTRACTOR | covering);
                    d.extractor().ifPresent(f -> extractors.putIfAbsent(d.name(), f));
                } else {
                    w.writeByte(covering);
                    w.writeString(d.path().orElseThrow().toString());
                }
                w.writeValue(i.entries());
            }
        }

        private Object readIndexed(AtomReader r) {
            int n = r.readCount(3);
            if (n == 0) {
                throw r.corrupt("an indexed collection without indexes");
            }
            Indexes.Index[] indexes = new Indexes.Index[n];
            for (int i = 0; i < n; i++) {
                String name = r.readString();
                byte kind = r.readByte();
                if ((kind & ~(INDEX_EXTRACTOR | INDEX_COVERING)) != 0) {
                    throw r.corrupt("unknown index kind " + kind);
                }
                String path = (kind & INDEX_EXTRACTOR) == 0 ? r.readString() : null;
                if (!(r.readValue() instanceof RepeatedKeysDictionary entries)) {
                    throw r.corrupt("index '" + name + "' without its entries");
                }
                IndexDefinition d;
                try {
                    d = IndexDefinition.restored(name, path, (kind & INDEX_COVERING) != 0, () -> extractors.get(name));
                } catch (IllegalArgumentException e) {
                    throw r.corrupt("bad index definition '" + name + "': " + e.getMessage());
                }
                indexes[i] = new Indexes.Index(d, entries);
            }
            Object c = r.readValue();
            if (!(c instanceof Dictionary || c instanceof HashDictionary || c instanceof ProtoList
                    || c instanceof ProtoSet)) {
                throw r.corrupt("indexes on a value that cannot carry them");
            }
            for (Indexes.Index i : indexes) {
                if (i.holdsRecords(((ProtoCollection) c).tree.kind()) && i.entries().total != i.entries().tree.size()) {
                    throw r.corrupt("covering index '" + i.definition().name() + "' with repeated entries");
                }
            }
            try {
                return ((ProtoCollection) c).withIndexes(Indexes.of(indexes));
            } catch (io.protobase.index.IndexException e) {
                throw r.corrupt(e.getMessage());
            }
        }

        @Override
        public void enumWritten(Class<? extends Enum<?>> type) {
            enums.putIfAbsent(type.getName(), type);
        }

        private byte tagOf(ProtoCollection c) {
            if (c instanceof Dictionary) {
                return Tags.DICTIONARY;
            }
            if (c instanceof HashDictionary) {
                return Tags.HASH_DICTIONARY;
            }
            if (c instanceof ProtoList) {
                return Tags.PROTO_LIST;
            }
            if (c instanceof ProtoSet) {
                return Tags.PROTO_SET;
            }
            if (c instanceof CountedSet) {
                return Tags.COUNTED_SET;
            }
            return Tags.REPEATED_KEYS_DICTIONARY;
        }

        @Override
        public void skip(AtomReader r, byte tag) {
            if (tag != Tags.DB_OBJECT) {
                read(r, tag);
                return;
            }
            int n = r.readCount(2);
            for (int i = 0; i < n; i++) {
                r.skip(r.readCount(1));
                r.skipValue();
            }
        }

        @Override
        public Object read(AtomReader r, byte tag) {
            switch (tag) {
                case Tags.DB_OBJECT: {
                    int n = r.readCount(2);
                    String[] names = new String[n];
                    Object[] values = new Object[n];
                    for (int i = 0; i < n; i++) {
                        names[i] = r.readName();
                        if (i > 0 && names[i].compareTo(names[i - 1]) <= 0) {
                            throw r.corrupt("record attribute names out of order");
                        }
                        if (r.peekByte() == Tags.OUT_OF_LINE) {
                            // left as a reference: loaded when the attribute is read
                            int start = r.position();
                            r.skipValue();
                            values[i] = new EncodedValue(AtomStore.this, r.atom(), start, r.position(), r.source());
                            continue;
                        }
                        values[i] = r.readValue();
                        if (values[i] == null) {
                            throw r.corrupt("record attribute '" + names[i] + "' holds null, which is never stored");
                        }
                    }
                    return new DbObject(names, values);
                }
                case Tags.INDEXED:
                    return readIndexed(r);
                case Tags.OUT_OF_LINE:
                    return loadOutOfLine(r.readOutOfLine(), r.source());
                case Tags.DICTIONARY:
                    return new Dictionary(readTree(r, TreeKind.SORTED), null);
                case Tags.HASH_DICTIONARY:
                    return new HashDictionary(readTree(r, TreeKind.HASHED), null);
                case Tags.PROTO_LIST:
                    return new ProtoList(readTree(r, TreeKind.POSITIONAL), null);
                case Tags.PROTO_SET:
                    return new ProtoSet(readTree(r, TreeKind.HASHED_SET), null);
                case Tags.COUNTED_SET: {
                    long size = nonNegative(r, r.readVarLong());
                    long total = nonNegative(r, r.readVarLong());
                    return new CountedSet(readRoot(r, TreeKind.HASHED, size), total, null);
                }
                case Tags.REPEATED_KEYS_DICTIONARY: {
                    long size = nonNegative(r, r.readVarLong());
                    long keys = nonNegative(r, r.readVarLong());
                    long total = nonNegative(r, r.readVarLong());
                    return new RepeatedKeysDictionary(readRoot(r, TreeKind.PAIRED, size), keys, total, null);
                }
                default:
                    throw r.corrupt("unknown value tag " + tag);
            }
        }

        private long nonNegative(AtomReader r, long v) {
            if (v < 0) {
                throw r.corrupt("negative count " + v);
            }
            return v;
        }

        private Tree readTree(AtomReader r, TreeKind kind) {
            long size = nonNegative(r, r.readVarLong());
            return readRoot(r, kind, size);
        }

        private Tree readRoot(AtomReader r, TreeKind kind, long size) {
            byte flag = r.readByte();
            if (flag == 0) {
                if (size != 0) {
                    throw r.corrupt("empty collection with size " + size);
                }
                return new Tree(kind, null, 0, AtomStore.this);
            }
            if (flag != 1) {
                throw r.corrupt("bad collection root flag " + flag);
            }
            if (size == 0) {
                throw r.corrupt("collection of size 0 with a root");
            }
            return new Tree(kind, r.readPointer(), size, AtomStore.this);
        }

        @Override
        public Class<? extends Enum<?>> enumType(String name) {
            return enums.get(name);
        }
    }
}
