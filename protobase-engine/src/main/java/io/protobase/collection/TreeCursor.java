package io.protobase.collection;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Walks the entries of a tree in order, from a position or from a key, loading one leaf at a time:
 * a scan holds one root-to-leaf path, never the whole tree.
 */
final class TreeCursor {

    private static final int MAX_HEIGHT = 40;

    private final TreeOps ops;
    private final Node[] path = new Node[MAX_HEIGHT];
    private final int[] index = new int[MAX_HEIGHT];
    private int depth = -1;
    private Node leaf;
    private int pos;

    private TreeCursor(TreeOps ops) {
        this.ops = ops;
    }

    /** A cursor on the entry at position {@code start} (or past the end). */
    static TreeCursor atIndex(TreeOps ops, Tree t, long start) {
        TreeCursor c = new TreeCursor(ops);
        Node n = ops.root(t);
        if (n == null || start >= t.size()) {
            return c;
        }
        while (!n.leaf) {
            int i = TreeOps.childFor(n, start, false);
            start -= TreeOps.countBefore(n, i);
            c.push(n, i);
            n = ops.node(n.vals[i]);
        }
        if (start >= n.size) {
            throw inconsistent(n);
        }
        c.leaf = n;
        c.pos = (int) start;
        c.settle();
        return c;
    }

    static io.protobase.CorruptionException inconsistent(Node n) {
        return new io.protobase.CorruptionException("Corrupt tree node " + (n.pointer != null ? n.pointer : "")
                + ": the subtree counts of its parent do not match its " + n.size + " entries");
    }

    /** A cursor on the first entry whose key is {@code >= key} ({@code > key} when not inclusive). */
    static TreeCursor atKey(TreeOps ops, Tree t, Object key, boolean inclusive) {
        TreeCursor c = new TreeCursor(ops);
        Node n = ops.root(t);
        if (n == null) {
            return c;
        }
        while (!n.leaf) {
            int i = ops.childIndex(n, key);
            c.push(n, i);
            n = ops.node(n.vals[i]);
        }
        int i = ops.search(n, key);
        c.leaf = n;
        c.pos = i >= 0 ? (inclusive ? i : i + 1) : -i - 1;
        c.settle();
        return c;
    }

    private void push(Node n, int i) {
        path[++depth] = n;
        index[depth] = i;
    }

    /** Moves past exhausted leaves. */
    private void settle() {
        while (leaf != null && pos >= leaf.size) {
            nextLeaf();
        }
    }

    private void nextLeaf() {
        while (depth >= 0 && index[depth] + 1 >= path[depth].size) {
            depth--;
        }
        if (depth < 0) {
            leaf = null;
            return;
        }
        index[depth]++;
        Node n = ops.node(path[depth].vals[index[depth]]);
        while (!n.leaf) {
            push(n, 0);
            n = ops.node(n.vals[0]);
        }
        leaf = n;
        pos = 0;
    }

    boolean valid() {
        return leaf != null;
    }

    Object key() {
        check();
        return leaf.keys[pos];
    }

    Object value() {
        check();
        return leaf.value(pos);
    }

    void next() {
        check();
        pos++;
        settle();
    }

    private void check() {
        if (leaf == null) {
            throw new NoSuchElementException();
        }
    }

    /** The remaining entries as an iterator, each mapped from the cursor's position by {@code entry}. */
    <T> Iterator<T> iterator(Function<TreeCursor, T> entry) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return valid();
            }

            @Override
            public T next() {
                check();
                T e = entry.apply(TreeCursor.this);
                TreeCursor.this.next();
                return e;
            }
        };
    }
}
