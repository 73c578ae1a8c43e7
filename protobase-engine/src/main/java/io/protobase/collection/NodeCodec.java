package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomReferences;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.Tags;
import io.protobase.collection.internal.TreeKind;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;

import java.util.Arrays;

import static io.protobase.collection.TreeStore.INLINE_LIMIT;

/**
 * Encodes a {@link Node} into its atom and decodes it back ({@code docs/atom-format.md}): the tree
 * kind, the entry count, then per entry its key (keyed trees) and its value slot (leaves, written by
 * the {@link ValueCodec}) or its subtree count and child pointer (internal nodes).
 *
 * <p>Saving a node saves its unsaved children first, so a parent's atom only ever points at atoms
 * already pushed. A node copied from a saved one ({@link Node#base}) re-encodes only the entries that
 * changed and copies the others' bytes from the base's atom (entries with identical key and value
 * objects encode to identical bytes, stored values being immutable); assertions check the splice
 * against a full encoding. What the cache keeps of a saved node is a detached copy, whose children and
 * collections are pointers, so that the cache's byte bound bounds what it retains.
 *
 * <p>Decoding reads keys at once (lookups search them) and leaves larger values encoded until read
 * ({@link EncodedValue}). One per {@link TreeStore}; thread-safe.
 */
final class NodeCodec {

    private final TreeStore store;
    private final ValueCodec values;
    private final AtomCache<Object> cache;

    NodeCodec(TreeStore store, ValueCodec values, AtomCache<Object> cache) {
        this.store = store;
        this.values = values;
        this.cache = cache;
    }

    /** Pushes {@code n} (and its unsaved children first) unless already saved; returns its pointer. */
    AtomPointer save(Node n, TreeKind kind) {
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
                    save(child, kind);
                }
            }
        }
        AtomWriter w = values.scratchWriter(reuse != null ? base.atom.length + 64 : n.size * 24 + 16)
                .begin(n.leaf ? Tags.ATOM_LEAF : Tags.ATOM_INTERNAL);
        w.writeByte(kind.ordinal());
        w.writeVarLong(n.size);
        int[] offsets = new int[n.size + 1];
        // the references of the entries copied from the base are copied with them
        AtomReferences baseRefs = reuse != null && w.tracksReferences() ? base.references() : null;
        EncodedValue[] moved = null;
        for (int i = 0; i < n.size; ) {
            int j = reuse == null ? -1 : reuse[i];
            if (j >= 0) {
                // a run of entries copied from consecutive entries of the base (all but the changed ones of a
                // path copy): one copy of their bytes and references
                int run = 1;
                while (i + run < n.size && reuse[i + run] == j + run) {
                    run++;
                }
                int start = base.offsets[j];
                int delta = w.size() - start;
                for (int k = 0; k < run; k++) {
                    offsets[i + k] = base.offsets[j + k] + delta;
                }
                w.writeRawFrom(base.atom, start, base.offsets[j + run] - start, baseRefs);
                i += run;
            } else {
                offsets[i] = w.size();
                EncodedValue ref = writeEntry(w, n, kind, i);
                if (ref != null) {
                    moved = moved != null ? moved : new EncodedValue[n.size];
                    moved[i] = ref;
                }
                i++;
            }
        }
        offsets[n.size] = w.size();
        byte[] bytes = w.toByteArray();
        assert reuse == null || sameEncoding(bytes, encodeFully(n, kind, moved, reuse, base))
                : "spliced encoding of a node differs from its full encoding";
        AtomReferences refs = w.references();
        values.release(w);
        AtomPointer p = store.push(bytes, refs);
        Node cached = detached(n, reuse, base, moved);
        refs = refs.complete() ? refs : null;
        n.stored(p, bytes, offsets, kind, cached.vals, refs);
        cached.stored(p, bytes, offsets, kind, cached.vals, refs);
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
                vals[i] = n.leaf ? store.detachedValue(v) : (v instanceof Node c ? c.pointer : v);
            }
        }
        Object[] keys = n.keys == null ? null : Arrays.copyOf(n.keys, n.size);
        long[] counts = n.counts == null ? null : Arrays.copyOf(n.counts, n.size);
        return new Node(n.leaf, keys, vals, counts, n.size, null);
    }

    /** Writes entry {@code i} of {@code n}; returns the reference its value was moved out of line to, if it was. */
    private EncodedValue writeEntry(AtomWriter w, Node n, TreeKind kind, int i) {
        if (kind.keyed && (n.leaf || i > 0)) {
            writeKey(w, kind, n.keys[i]);
        }
        if (n.leaf) {
            if (kind.valued) {
                return values.writeSlot(w, n.vals[i], true);
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
                && Arrays.equals(spliced, 1, spliced.length, full, 1, full.length);
    }

    /**
     * Encodes every entry afresh (to check a spliced encoding), with the references of the values the
     * spliced encoding moved out of line rather than moving them again, and, for an entry copied from
     * the base, its key afresh and the base's value slot as it is: a value object stored out of line
     * has no single encoding (the same object is pushed again when its remembered
     * reference lies in a segment older than the one being written, see {@code ValueCodec.reusable}),
     * and pushing it here would change what the check compares, and the store, as a side effect. For
     * the same reason the key of a copied entry (a record with an attribute stored out of line, the key
     * of an index of records) is written with the references the base holds for it
     * ({@link ValueCodec.SpliceCheck#copiedFrom}).
     */
    private byte[] encodeFully(Node n, TreeKind kind, EncodedValue[] moved, int[] reuse, Node base) {
        ValueCodec.SpliceCheck check = values.spliceCheck(n.size * 24 + 16);
        AtomWriter w = check.writer.begin(n.leaf ? Tags.ATOM_LEAF : Tags.ATOM_INTERNAL);
        w.writeByte(kind.ordinal());
        w.writeVarLong(n.size);
        for (int i = 0; i < n.size; i++) {
            EncodedValue ref = moved == null ? null : moved[i];
            int j = reuse == null ? -1 : reuse[i];
            if (j >= 0) {
                check.copiedFrom(base.atom, base.offsets[j], base.offsets[j + 1]);
            } else {
                check.fresh();
            }
            if (ref == null && j >= 0 && n.leaf && kind.valued) {
                int entryStart = w.size();
                if (kind.keyed) {
                    writeKey(w, kind, n.keys[i]);
                }
                // the key encodes as in the base (same object): the base's value slot follows it there, and
                // is the same value object's; it is copied rather than encoded again, since a value stored out
                // of line, or holding attributes stored out of line, has no single encoding (the same object
                // is pushed again when its reference lies in a segment older than the one being written)
                int slot = base.offsets[j] + (w.size() - entryStart);
                if (n.vals[i] != base.vals[j] || slot > base.offsets[j + 1]) {
                    check.fresh();
                    check.writeSlot(n.vals[i]); // a wrong match: the comparison fails
                } else {
                    w.writeRawFrom(base.atom, slot, base.offsets[j + 1] - slot);
                }
                continue;
            }
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
            case PAIRED, PAIRED_EXACT, PAIRED_BY_VALUE -> {
                PairKey p = (PairKey) key;
                w.writeValue(p.key());
                w.writeFixedLong(p.valueHash());
                w.writeValue(p.value());
            }
            default -> throw new IllegalStateException("keys in a " + kind + " tree");
        }
    }

    /** Reads and decodes the node atom at {@code p} (the cache's loader). */
    Node decode(AtomPointer p) {
        byte[] bytes = store.read(p);
        AtomReader r = values.reader(bytes, p);
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
            n.stored(p, bytes, offsets, kind, vals, null);
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
        return values.encoded(bytes, start, r.position(), p);
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
            case PAIRED:
            case PAIRED_EXACT:
            case PAIRED_BY_VALUE: {
                Object key = r.readValue();
                long h = r.readFixedLong();
                return new PairKey(key, h, r.readValue());
            }
            default:
                throw r.corrupt("keys in a " + kind + " tree");
        }
    }
}
