package io.protobase.collection;

import io.protobase.codec.AtomReferences;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.TreeKind;
import io.protobase.storage.AtomPointer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One node of a persistent B+tree, stored as one atom.
 *
 * <p>A leaf holds up to {@link #MAX} entries: {@code keys} (absent in positional trees) and
 * {@code vals} (absent in set-like trees). An internal node holds up to {@link #MAX} children in
 * {@code vals} (each a loaded {@code Node} or an {@link AtomPointer} to load lazily), their subtree
 * entry counts in {@code counts}, and in keyed trees {@code keys[i]}, a lower bound of child
 * {@code i}'s keys ({@code keys[0]} is not used for routing).
 *
 * <p>A node is immutable once reachable from a collection, with one exception that makes bulk work
 * cheap: a node whose {@code owner} is the edit token of a live builder and which was never saved
 * may be changed in place by that builder (the transient-node technique of Clojure's persistent
 * collections). Saving sets {@code pointer} once; a saved node is never changed.
 */
final class Node {

    /** Maximum entries (leaf) or children (internal) per node: the format's limit. */
    static final int MAX = TreeKind.MAX_NODE_ENTRIES;
    /** Below this a node is merged with or refilled from a sibling on removal. */
    static final int MIN = 16;
    /**
     * A node that would encode to more bytes than this splits even with fewer than {@link #MAX}
     * entries, so a commit that changes one entry rewrites at most about this much per level. The
     * size of MVStore's pages (it splits near 16 KiB too): small enough that a one-key commit writes
     * a few pages, large enough that a node of small records is bounded by {@link #MAX}, not bytes.
     */
    static final int MAX_BYTES = 16 * 1024;

    final boolean leaf;
    Object[] keys;
    Object[] vals;
    long[] counts;
    int size;
    Object owner;
    volatile AtomPointer pointer;
    /**
     * For a saved or decoded node: its values as the cache holds them (children as pointers, leaf values
     * with every collection re-rooted at its pointer). A copy of this node saved later takes the entries
     * it shares with this one from here, instead of visiting each child or value object again. Written
     * before {@link #pointer} is published.
     */
    Object[] detachedVals;
    int weight;
    /**
     * The estimated encoded size ({@link NodeSize#of}), or -1 when not known: exact for a saved or
     * decoded node, kept up to date by the edits that add or replace a leaf entry, reset by the others.
     * A race between readers computing it is harmless (they compute the same number).
     */
    int bytes = -1;
    /** {@code 1 + TreeKind.ordinal()} for nodes decoded or saved by a store, else 0. */
    byte kindTag;
    /**
     * The encoded atom of a saved or decoded node, and where each entry starts in it ({@code offsets[size]}
     * is the end): lets a copy re-encode only the entries that changed. {@code null} when not kept.
     */
    byte[] atom;
    int[] offsets;
    /**
     * The references in {@link #atom} with where each starts, as its encoder wrote them, or {@code null}
     * until {@link #references()} reads them (a decoded node): a copy that splices entries of this node
     * reports theirs without reading its own bytes again.
     */
    private volatile AtomReferences references;
    /**
     * For an unsaved node: the saved node it was copied or sliced from (which has {@link #atom}), whose
     * encoded entries can be reused for the entries the two still share. Cleared once this node is saved.
     */
    Node base;
    /**
     * For a stored node whose keys are all strings: the search aid built on its first search
     * ({@link #stringKeys}); {@code null} before, or when there is none.
     */
    private StringKeyIndex stringKeys;
    private boolean stringKeysBuilt;
    /** Searches of this stored node so far, up to {@link #SEARCHES_BEFORE_INDEX}: see {@link #stringKeys}. */
    private byte searches;

    Node(boolean leaf, Object[] keys, Object[] vals, long[] counts, int size, Object owner) {
        this.leaf = leaf;
        this.keys = keys;
        this.vals = vals;
        this.counts = counts;
        this.size = size;
        this.owner = owner;
    }

    /**
     * Makes this node the one stored as the atom at {@code pointer}: keeps its encoding and where each
     * entry starts in it, for copies to splice ({@link #base}), its weight for the cache, and
     * {@code detachedVals}, its values as the cache holds them. Called once, when the node is saved or
     * decoded ({@link NodeCodec}); the pointer is written last, so a thread that reads it (a volatile
     * read) sees the rest.
     */
    void stored(AtomPointer pointer, byte[] atom, int[] offsets, TreeKind kind, Object[] detachedVals,
                AtomReferences references) {
        // a node of string keys may get a StringKeyIndex, a long per key: the cache weighs it from the start
        // (it counts twice this weight)
        this.weight = atom.length + (keys != null && size > 0 && keys[size - 1] instanceof String ? 4 * size : 0)
                + (references == null ? 0 : 8 * references.size());
        this.bytes = atom.length;
        this.kindTag = (byte) (kind.ordinal() + 1);
        this.atom = atom;
        this.offsets = offsets;
        this.detachedVals = detachedVals;
        this.references = references;
        this.base = null;
        this.pointer = pointer;
    }

    /**
     * The references in the atom of this stored node, with where each starts: as its encoder reported
     * them, or, for a node decoded from storage, read from its bytes on the first call (racing threads
     * read the same).
     */
    AtomReferences references() {
        AtomReferences r = references;
        if (r == null) {
            r = AtomGraph.references(atom);
            references = r;
        }
        return r;
    }

    /**
     * The search aid of a stored node whose keys are all strings, built on first use; {@code null} for a
     * node that may still change (not stored), with few keys, or with a key that is not a string. Threads
     * that race build equal indexes: the index's fields are final, so whichever one is seen is complete.
     */
    StringKeyIndex stringKeys() {
        if (stringKeysBuilt) {
            return stringKeys;
        }
        // the nodes a commit replaces (the root and the path to the entry) are searched about once before
        // they are superseded: building their index would cost the commit more than it saves; a node that
        // is searched again and again (reads, scans of a stable tree) gets one. A lost racy count only
        // delays the index
        if (pointer == null || keys == null || ++searches < SEARCHES_BEFORE_INDEX) {
            return null;
        }
        StringKeyIndex index = StringKeyIndex.of(keys, leaf ? 0 : 1, size);
        stringKeys = index;
        stringKeysBuilt = true;
        return index;
    }

    /** How often a stored node is searched without its {@link StringKeyIndex} before it gets one. */
    private static final int SEARCHES_BEFORE_INDEX = 4;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    /**
     * The value of leaf entry {@code i}, decoding it if the node was read lazily. The decoded value
     * replaces the encoded one (a release store: the node may be shared through the cache, and every
     * decoded value is immutable with final fields), except a byte array, whose contents a plain
     * array element would not publish safely, and a value stored out of line, which the atom cache
     * holds and weighs instead of this node: those are decoded on each read.
     */
    Object value(int i) {
        Object v = vals[i];
        if (v instanceof EncodedValue e) {
            Object decoded = e.decode();
            if (!(decoded instanceof byte[]) && !e.outOfLine()) {
                SLOT.setRelease(vals, i, decoded);
            }
            return decoded;
        }
        return v;
    }

    /** Number of entries in this subtree. */
    long count() {
        if (leaf) {
            return size;
        }
        long c = 0;
        for (int i = 0; i < size; i++) {
            c += counts[i];
        }
        return c;
    }

    /** A copy with room for {@code capacity} slots, owned by {@code owner}. */
    Node copy(int capacity, Object newOwner) {
        int cap = Math.max(capacity, size);
        Node c = new Node(leaf,
                keys == null ? null : Arrays.copyOf(keys, cap),
                vals == null ? null : Arrays.copyOf(vals, cap),
                counts == null ? null : Arrays.copyOf(counts, cap),
                size, newOwner);
        c.base = encodedSource();
        c.bytes = bytes;
        return c;
    }

    /** The saved node whose encoding a copy of this one may reuse, or {@code null}. */
    Node encodedSource() {
        return pointer != null && atom != null ? this : base;
    }

    void ensureCapacity(int capacity) {
        int cap = vals != null ? vals.length : keys.length;
        if (cap >= capacity) {
            return;
        }
        int n = Math.max(capacity, MAX + 1);
        if (keys != null) {
            keys = Arrays.copyOf(keys, n);
        }
        if (vals != null) {
            vals = Arrays.copyOf(vals, n);
        }
        if (counts != null) {
            counts = Arrays.copyOf(counts, n);
        }
    }

    /** Opens a gap at {@code i}; the caller fills it. Capacity must suffice. */
    void openGap(int i) {
        int move = size - i;
        if (move > 0) {
            if (keys != null) {
                System.arraycopy(keys, i, keys, i + 1, move);
            }
            if (vals != null) {
                System.arraycopy(vals, i, vals, i + 1, move);
            }
            if (counts != null) {
                System.arraycopy(counts, i, counts, i + 1, move);
            }
        }
        size++;
    }

    /** Removes slot {@code i}. */
    void closeGap(int i) {
        bytes = -1;
        int move = size - i - 1;
        if (move > 0) {
            if (keys != null) {
                System.arraycopy(keys, i + 1, keys, i, move);
            }
            if (vals != null) {
                System.arraycopy(vals, i + 1, vals, i, move);
            }
            if (counts != null) {
                System.arraycopy(counts, i + 1, counts, i, move);
            }
        }
        size--;
        if (keys != null) {
            keys[size] = null;
        }
        if (vals != null) {
            vals[size] = null;
        }
    }

    /** A new node holding slots {@code [from, to)} of this one. */
    Node slice(int from, int to, Object newOwner) {
        int n = to - from;
        int cap = newOwner != null ? Math.max(n, MAX + 1) : n;
        Object[] k = keys == null ? null : new Object[cap];
        Object[] v = vals == null ? null : new Object[cap];
        long[] c = counts == null ? null : new long[cap];
        if (k != null) {
            System.arraycopy(keys, from, k, 0, n);
        }
        if (v != null) {
            System.arraycopy(vals, from, v, 0, n);
        }
        if (c != null) {
            System.arraycopy(counts, from, c, 0, n);
        }
        Node s = new Node(leaf, k, v, c, n, newOwner);
        s.base = encodedSource();
        return s;
    }
}
