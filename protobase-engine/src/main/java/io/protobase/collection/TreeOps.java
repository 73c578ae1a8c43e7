package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.TreeKind;
import io.protobase.storage.AtomPointer;

import java.util.Comparator;
import java.util.function.UnaryOperator;

/**
 * The B+tree algorithms, shared by every collection: lookup by key or position, insert with node
 * splits, removal with merge or redistribution of underfull siblings, positional insert and removal
 * through subtree counts, and prefix/suffix cuts for slicing.
 *
 * <p>Every change copies the nodes on the path from the root (path copying), except nodes owned by
 * the current edit {@code token}, which a builder changes in place. Nodes are always fully loaded
 * (through the {@link TreeStore} cache) before any structural decision is made.
 *
 * <p>A node splits when it holds more than {@link Node#MAX} entries or when its estimated encoding
 * ({@link NodeSize}) passes {@link Node#MAX_BYTES}: a leaf of large entries down to one entry per
 * side, an internal node down to two children per side, so the tree's height stays logarithmic even
 * when every key is larger than the bound. Two siblings merge only if the result fits both bounds.
 *
 * <p>Invariants: counts in internal nodes equal their subtrees' entry counts; in keyed trees every
 * key of child {@code i > 0} is {@code >= keys[i]} and every key of child {@code i} is less than
 * {@code keys[i + 1]}. Nodes may be smaller than {@link Node#MIN} after slicing or a split by size
 * (never empty, except a root leaf); that affects only balance, never correctness.
 */
final class TreeOps {

    /** Marks "no such key" (values may be {@code null}). */
    static final Object MISSING = new Object();

    private final TreeKind kind;
    private final Comparator<Object> order;
    private final TreeStore store;
    private final Object token;

    // outputs of the recursive operations
    private Node split;
    private boolean sizeChanged;
    /** While {@link #update} runs: the new value as a function of the old one (or of {@link #MISSING}). */
    private UnaryOperator<Object> remap;

    TreeOps(TreeKind kind, TreeStore store, Object token) {
        this.kind = kind;
        this.order = order(kind);
        this.store = store;
        this.token = token;
    }

    /** How the keys of a tree of {@code kind} are ordered ({@code null}: positional, no keys). */
    static Comparator<Object> order(TreeKind kind) {
        return switch (kind) {
            case SORTED -> ValueOrder.INSTANCE;
            case HASHED, HASHED_SET -> HashedKey.ORDER;
            case PAIRED -> PairKey.ORDER;
            case PAIRED_EXACT -> PairKey.EXACT_ORDER;
            case PAIRED_BY_VALUE -> PairKey.BY_VALUE_ORDER;
            case POSITIONAL -> null;
        };
    }

    Node node(Object slot) {
        if (slot instanceof Node n) {
            return n;
        }
        if (store == null) {
            throw new IllegalStateException("tree node " + slot + " cannot be loaded: no store");
        }
        return store.loadNode((AtomPointer) slot, kind);
    }

    Node root(Tree t) {
        return t.root() == null ? null : node(t.root());
    }

    // ------------------------------------------------------------------ search

    int search(Node leaf, Object key) {
        if (key instanceof String k && order == ValueOrder.INSTANCE) {
            StringKeyIndex index = leaf.stringKeys();
            if (index != null) {
                return index.search(leaf.keys, k, order, true);
            }
        }
        int lo = 0;
        int hi = leaf.size - 1;
        Object[] keys = leaf.keys;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = order.compare(keys[mid], key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    int childIndex(Node n, Object key) {
        if (key instanceof String k && order == ValueOrder.INSTANCE) {
            StringKeyIndex index = n.stringKeys();
            if (index != null) {
                return index.search(n.keys, k, order, false);
            }
        }
        int lo = 1;
        int hi = n.size - 1;
        Object[] keys = n.keys;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = order.compare(keys[mid], key);
            if (c <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return lo - 1;
    }

    /** Returns the value stored under {@code key} (or the stored key for set-like trees), or {@link #MISSING}. */
    Object get(Tree t, Object key) {
        Node n = root(t);
        if (n == null) {
            return MISSING;
        }
        while (!n.leaf) {
            n = node(n.vals[childIndex(n, key)]);
        }
        int i = search(n, key);
        if (i < 0) {
            return MISSING;
        }
        return n.vals != null ? n.value(i) : n.keys[i];
    }

    /** Whether {@code key} is present, without decoding its value (which may be large, stored out of line). */
    boolean has(Tree t, Object key) {
        Node n = root(t);
        if (n == null) {
            return false;
        }
        while (!n.leaf) {
            n = node(n.vals[childIndex(n, key)]);
        }
        return search(n, key) >= 0;
    }

    /** The number of entries whose key sorts before {@code key}, in O(log n) through the subtree counts. */
    long rank(Tree t, Object key) {
        Node n = root(t);
        if (n == null) {
            return 0;
        }
        long before = 0;
        while (!n.leaf) {
            int i = childIndex(n, key);
            before += countBefore(n, i);
            n = node(n.vals[i]);
        }
        int i = search(n, key);
        return before + (i >= 0 ? i : -i - 1);
    }

    /**
     * The child of internal node {@code n} holding position {@code index} of its subtree (the last
     * child for positions past the end). With {@code atEnd}, a position just past a child's last
     * entry belongs to that child (an insert there appends to it) rather than to the next one.
     */
    static int childFor(Node n, long index, boolean atEnd) {
        int i = 0;
        while (i < n.size - 1 && (atEnd ? index > n.counts[i] : index >= n.counts[i])) {
            index -= n.counts[i];
            i++;
        }
        return i;
    }

    /** The number of entries in the children of {@code n} before child {@code child}. */
    static long countBefore(Node n, int child) {
        long c = 0;
        for (int i = 0; i < child; i++) {
            c += n.counts[i];
        }
        return c;
    }

    /** Returns the leaf holding position {@code index} and sets {@link #leafIndex}. */
    int leafIndex;

    Node leafAt(Tree t, long index) {
        Node n = root(t);
        while (!n.leaf) {
            int i = childFor(n, index, false);
            index -= countBefore(n, i);
            n = node(n.vals[i]);
        }
        if (index >= n.size) {
            throw TreeCursor.inconsistent(n);
        }
        leafIndex = (int) index;
        return n;
    }

    // ------------------------------------------------------------------ editing helpers

    private Node editable(Node n, int extra) {
        if (token != null && n.owner == token && n.pointer == null) {
            n.ensureCapacity(n.size + extra);
            return n;
        }
        return n.copy(token != null ? Math.max(n.size + extra, Node.MAX + 1) : n.size + extra, token);
    }

    private Node newNode(boolean leaf, int capacity) {
        int cap = token != null ? Math.max(capacity, Node.MAX + 1) : capacity;
        return new Node(leaf,
                kind.keyed ? new Object[cap] : null,
                (leaf && !kind.valued) ? null : new Object[cap],
                leaf ? null : new long[cap],
                0, token);
    }

    /** Fewest entries on each side of a split by size: two children keep an internal node branching. */
    private static int minSide(Node n) {
        return n.leaf ? 1 : 2;
    }

    /** Whether {@code n} must split: too many entries, or too many bytes and enough entries to split. */
    private static boolean overfull(Node n) {
        return n.size > Node.MAX || (n.size >= 2 * minSide(n) && NodeSize.of(n) > Node.MAX_BYTES);
    }

    /** Where to cut {@code n} so both sides hold about half its bytes, each at least {@link #minSide}. */
    private static int byteMidpoint(Node n) {
        int half = NodeSize.of(n) / 2;
        int at = 0;
        int sum = 0;
        while (at < n.size && sum + NodeSize.entry(n, at) / 2 < half) {
            sum += NodeSize.entry(n, at);
            at++;
        }
        return Math.max(minSide(n), Math.min(n.size - minSide(n), at));
    }

    /** Records in {@code m}'s size that entry {@code i} was just added. */
    private static void added(Node m, int i) {
        if (m.bytes >= 0) {
            m.bytes += NodeSize.entry(m, i);
        }
    }

    /** Records in {@code m}'s size that leaf entry {@code i}'s value {@code old} is being replaced. */
    private static void replacing(Node m, int i, Object old) {
        if (m.bytes >= 0) {
            m.bytes -= NodeSize.value(old);
            m.bytes += NodeSize.value(m.vals[i]);
        }
    }

    /**
     * Splits an overfull node; {@code appending} keeps the left node full (sequential loads). A node
     * over the byte bound but not the count bound splits where its bytes are halved.
     */
    private Node splitNode(Node m, boolean appending) {
        int at;
        if (m.size > Node.MAX) {
            at = appending ? m.size - 1 : m.size / 2;
        } else {
            at = appending && m.leaf ? m.size - 1 : byteMidpoint(m);
        }
        Node right = m.slice(at, m.size, token);
        if (m.bytes >= 0) {
            // both sides' sizes from the known total and one side's entries
            int moved = 0;
            for (int i = 0; i < right.size; i++) {
                moved += NodeSize.entry(right, i);
            }
            // an internal node's first entry counts no key: the key of the entry that moved first counted in m only
            int firstKey = NodeSize.entry(m, at) - NodeSize.entry(right, 0);
            right.bytes = 4 + moved;
            // a node read from storage starts from its encoded length, which estimates may exceed
            m.bytes = m.bytes - moved - firstKey >= 4 ? m.bytes - moved - firstKey : -1;
        }
        for (int i = at; i < m.size; i++) {
            if (m.keys != null) {
                m.keys[i] = null;
            }
            if (m.vals != null) {
                m.vals[i] = null;
            }
        }
        m.size = at;
        return right;
    }

    private Tree finish(Tree t, Node root, long delta) {
        if (split != null) {
            Node r = newNode(false, 2);
            r.size = 2;
            if (r.keys != null) {
                r.keys[0] = root.keys[0];
                r.keys[1] = split.keys[0];
            }
            r.vals[0] = root;
            r.vals[1] = split;
            r.counts[0] = root.count();
            r.counts[1] = split.count();
            split = null;
            root = r;
        }
        while (root != null && !root.leaf && root.size == 1) {
            root = node(root.vals[0]);
        }
        if (root != null && root.size == 0) {
            root = null;
        }
        return new Tree(kind, root, t.size() + delta, t.store());
    }

    // ------------------------------------------------------------------ keyed put / remove

    /**
     * Maps {@code key} (of a valued tree) to {@code remap} of the value it has, or of {@link #MISSING}
     * when absent, in one descent instead of a lookup and a put.
     */
    Tree update(Tree t, Object key, UnaryOperator<Object> remap) {
        this.remap = remap;
        try {
            return put(t, key, null);
        } finally {
            this.remap = null;
        }
    }

    /** Inserts or replaces; for set-like trees {@code value} is ignored. */
    Tree put(Tree t, Object key, Object value) {
        Node r = root(t);
        split = null;
        sizeChanged = false;
        if (r == null) {
            Node leaf = newNode(true, 1);
            leaf.size = 1;
            leaf.keys[0] = key;
            if (leaf.vals != null) {
                leaf.vals[0] = remap != null ? remap.apply(MISSING) : value;
            }
            return new Tree(kind, leaf, 1, t.store());
        }
        Node nr = put(r, key, value);
        if (nr == r && !sizeChanged && split == null && t.root() == r) {
            return t;
        }
        return finish(t, nr, sizeChanged ? 1 : 0);
    }

    private Node put(Node n, Object key, Object value) {
        if (n.leaf) {
            int i = search(n, key);
            if (i >= 0) {
                if (n.vals == null) {
                    return n;
                }
                if (remap != null) {
                    value = remap.apply(n.value(i));
                }
                if (n.vals[i] == value) {
                    return n;
                }
                Node m = editable(n, 0);
                Object old = m.vals[i];
                m.vals[i] = value;
                replacing(m, i, old);
                if (overfull(m)) {
                    split = splitNode(m, false);
                }
                return m;
            }
            if (remap != null) {
                value = remap.apply(MISSING);
            }
            int ins = -i - 1;
            Node m = editable(n, 1);
            m.openGap(ins);
            m.keys[ins] = key;
            if (m.vals != null) {
                m.vals[ins] = value;
            }
            added(m, ins);
            sizeChanged = true;
            if (overfull(m)) {
                split = splitNode(m, ins == m.size - 1);
            }
            return m;
        }
        int ci = childIndex(n, key);
        Node c = node(n.vals[ci]);
        Node nc = put(c, key, value);
        if (nc == c && !sizeChanged && split == null) {
            return n;
        }
        Node childSplit = split;
        split = null;
        Node m = editable(n, childSplit != null ? 1 : 0);
        m.vals[ci] = nc;
        if (childSplit != null) {
            m.counts[ci] = nc.count();
            m.openGap(ci + 1);
            if (m.keys != null) {
                m.keys[ci + 1] = childSplit.keys[0];
            }
            m.vals[ci + 1] = childSplit;
            m.counts[ci + 1] = childSplit.count();
            added(m, ci + 1);
            if (overfull(m)) {
                split = splitNode(m, ci + 1 == m.size - 1);
            }
        } else if (sizeChanged) {
            m.counts[ci]++;
        }
        return m;
    }

    Tree remove(Tree t, Object key) {
        Node r = root(t);
        sizeChanged = false;
        split = null;
        if (r == null) {
            return t;
        }
        Node nr = remove(r, key);
        if (!sizeChanged) {
            return t;
        }
        return finish(t, nr, -1);
    }

    private Node remove(Node n, Object key) {
        if (n.leaf) {
            int i = search(n, key);
            if (i < 0) {
                return n;
            }
            sizeChanged = true;
            Node m = editable(n, 0);
            m.closeGap(i);
            return m;
        }
        int ci = childIndex(n, key);
        Node c = node(n.vals[ci]);
        Node nc = remove(c, key);
        if (!sizeChanged) {
            return n;
        }
        Node m = editable(n, 0);
        m.vals[ci] = nc;
        m.counts[ci]--;
        if (nc.size < Node.MIN) {
            rebalance(m, ci);
        }
        return m;
    }

    /** Merges child {@code ci} of {@code m} with a sibling, or redistributes their entries. */
    private void rebalance(Node m, int ci) {
        if (m.size < 2) {
            if (m.size == 1 && node(m.vals[0]).size == 0) {
                m.closeGap(0);
            }
            return;
        }
        int li = ci > 0 ? ci - 1 : 0;
        int ri = li + 1;
        Node left = node(m.vals[li]);
        Node right = node(m.vals[ri]);
        int total = left.size + right.size;
        boolean leaf = left.leaf;
        Object[] ks = kind.keyed ? new Object[total] : null;
        Object[] vs = (leaf && !kind.valued) ? null : new Object[total];
        long[] cs = leaf ? null : new long[total];
        copyInto(left, ks, vs, cs, 0);
        copyInto(right, ks, vs, cs, left.size);
        if (ks != null && !leaf && right.size > 0) {
            ks[left.size] = m.keys[ri];
        }
        Node combined = new Node(leaf, ks, vs, cs, total, null);
        if (total <= Node.MAX && NodeSize.of(combined) <= Node.MAX_BYTES) {
            Node merged = combined.slice(0, total, token);
            m.vals[li] = merged;
            m.counts[li] = m.counts[li] + m.counts[ri];
            m.closeGap(ri);
            if (merged.size == 0) {
                m.closeGap(li);
            }
        } else {
            int half = total > Node.MAX ? total / 2 : byteMidpoint(combined);
            Node l = combined.slice(0, half, token);
            Node r = combined.slice(half, total, token);
            m.vals[li] = l;
            m.vals[ri] = r;
            m.counts[li] = l.count();
            m.counts[ri] = r.count();
            if (m.keys != null) {
                m.keys[ri] = r.keys[0];
            }
        }
    }

    private static void copyInto(Node n, Object[] ks, Object[] vs, long[] cs, int at) {
        if (ks != null) {
            System.arraycopy(n.keys, 0, ks, at, n.size);
        }
        if (vs != null) {
            System.arraycopy(n.vals, 0, vs, at, n.size);
        }
        if (cs != null) {
            System.arraycopy(n.counts, 0, cs, at, n.size);
        }
    }

    // ------------------------------------------------------------------ positional

    Object getAt(Tree t, long index) {
        Node leaf = leafAt(t, index);
        return leaf.value(leafIndex);
    }

    Tree setAt(Tree t, long index, Object value) {
        Node r = root(t);
        split = null;
        Node nr = setAt(r, index, value);
        if (split != null) {
            return finish(t, nr, 0);
        }
        return nr == r ? t : new Tree(kind, nr, t.size(), t.store());
    }

    private Node setAt(Node n, long index, Object value) {
        if (n.leaf) {
            if (n.vals[(int) index] == value) {
                return n;
            }
            Node m = editable(n, 0);
            Object old = m.vals[(int) index];
            m.vals[(int) index] = value;
            replacing(m, (int) index, old);
            if (overfull(m)) {
                split = splitNode(m, false);
            }
            return m;
        }
        int i = childFor(n, index, false);
        index -= countBefore(n, i);
        Node c = node(n.vals[i]);
        Node nc = setAt(c, index, value);
        Node childSplit = split;
        split = null;
        if (nc == c && childSplit == null) {
            return n;
        }
        Node m = editable(n, childSplit != null ? 1 : 0);
        m.vals[i] = nc;
        if (childSplit != null) {
            // a larger value made the leaf split: the parent gains a child, no entry
            m.counts[i] = nc.count();
            m.openGap(i + 1);
            m.vals[i + 1] = childSplit;
            m.counts[i + 1] = childSplit.count();
            m.bytes = -1;
            if (overfull(m)) {
                split = splitNode(m, false);
            }
        }
        return m;
    }

    Tree insertAt(Tree t, long index, Object value) {
        Node r = root(t);
        split = null;
        if (r == null) {
            Node leaf = newNode(true, 1);
            leaf.size = 1;
            leaf.vals[0] = value;
            return new Tree(kind, leaf, 1, t.store());
        }
        Node nr = insertAt(r, index, value);
        return finish(t, nr, 1);
    }

    private Node insertAt(Node n, long index, Object value) {
        if (n.leaf) {
            int ins = (int) index;
            Node m = editable(n, 1);
            m.openGap(ins);
            m.vals[ins] = value;
            added(m, ins);
            if (overfull(m)) {
                split = splitNode(m, ins == m.size - 1);
            }
            return m;
        }
        int i = childFor(n, index, true);
        index -= countBefore(n, i);
        Node c = node(n.vals[i]);
        Node nc = insertAt(c, index, value);
        Node childSplit = split;
        split = null;
        Node m = editable(n, childSplit != null ? 1 : 0);
        m.vals[i] = nc;
        if (childSplit != null) {
            m.counts[i] = nc.count();
            m.openGap(i + 1);
            m.vals[i + 1] = childSplit;
            m.counts[i + 1] = childSplit.count();
            m.bytes = -1;
            if (overfull(m)) {
                split = splitNode(m, i + 1 == m.size - 1);
            }
        } else {
            m.counts[i]++;
        }
        return m;
    }

    Tree removeAt(Tree t, long index) {
        Node r = root(t);
        split = null;
        Node nr = removeAt(r, index);
        return finish(t, nr, -1);
    }

    private Node removeAt(Node n, long index) {
        if (n.leaf) {
            Node m = editable(n, 0);
            m.closeGap((int) index);
            return m;
        }
        int i = childFor(n, index, false);
        index -= countBefore(n, i);
        Node nc = removeAt(node(n.vals[i]), index);
        Node m = editable(n, 0);
        m.vals[i] = nc;
        m.counts[i]--;
        if (nc.size < Node.MIN) {
            rebalance(m, i);
        }
        return m;
    }

    // ------------------------------------------------------------------ cuts

    /** Keeps the first {@code k} entries ({@code 0 <= k <= size}). */
    Tree head(Tree t, long k) {
        if (k <= 0) {
            return new Tree(kind, null, 0, t.store());
        }
        if (k >= t.size()) {
            return t;
        }
        return finish(new Tree(kind, null, 0, t.store()), head(root(t), k), k);
    }

    private Node head(Node n, long k) {
        if (n.leaf) {
            return n.slice(0, (int) k, token);
        }
        int i = 0;
        long before = 0;
        while (before + n.counts[i] < k) {
            before += n.counts[i];
            i++;
        }
        Node m = n.slice(0, i + 1, token);
        long rest = k - before;
        if (rest < n.counts[i]) {
            m.vals[i] = head(node(n.vals[i]), rest);
            m.counts[i] = rest;
        }
        return m;
    }

    /** Drops the first {@code k} entries ({@code 0 <= k <= size}). */
    Tree tail(Tree t, long k) {
        if (k <= 0) {
            return t;
        }
        if (k >= t.size()) {
            return new Tree(kind, null, 0, t.store());
        }
        return finish(new Tree(kind, null, 0, t.store()), tail(root(t), k), t.size() - k);
    }

    private Node tail(Node n, long k) {
        if (n.leaf) {
            return n.slice((int) k, n.size, token);
        }
        int i = 0;
        while (k >= n.counts[i]) {
            k -= n.counts[i];
            i++;
        }
        Node m = n.slice(i, n.size, token);
        if (k > 0) {
            Node c = tail(node(n.vals[i]), k);
            m.vals[0] = c;
            m.counts[0] = n.counts[i] - k;
            if (m.keys != null) {
                m.keys[0] = c.keys[0];
            }
        }
        return m;
    }
}
