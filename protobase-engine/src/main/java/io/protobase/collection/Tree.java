package io.protobase.collection;

import io.protobase.collection.internal.TreeKind;
import io.protobase.storage.AtomPointer;

/**
 * The immutable handle of one B+tree: its root (a loaded {@link Node}, an {@link AtomPointer} not yet
 * loaded, or {@code null} when empty), its entry count, and the store that loads its nodes.
 */
record Tree(TreeKind kind, Object root, long size, TreeStore store) {

    static Tree empty(TreeKind kind) {
        return new Tree(kind, null, 0, null);
    }

    /** Whether two handles denote the very same tree content without looking inside. */
    boolean sameAs(Tree other) {
        if (kind != other.kind || size != other.size) {
            return false;
        }
        return rootIdentity(root) == null ? other.root == null : rootIdentity(root).equals(rootIdentity(other.root));
    }

    private static Object rootIdentity(Object root) {
        if (root instanceof Node n) {
            AtomPointer p = n.pointer;
            return p != null ? p : n;
        }
        return root;
    }

    /** The pointer of the root if it is saved, else {@code null}. */
    AtomPointer rootPointer() {
        if (root instanceof AtomPointer p) {
            return p;
        }
        return root instanceof Node n ? n.pointer : null;
    }
}
