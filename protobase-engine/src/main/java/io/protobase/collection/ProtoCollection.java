package io.protobase.collection;

import java.util.function.Consumer;

/**
 * Common base of the persistent collections. A collection is an immutable value: every mutator
 * returns a new collection sharing unchanged nodes with the old one, and each has a {@code Builder}
 * that edits its own new nodes in place for bulk work.
 *
 * <p>A collection read from a transaction root is <em>tracked</em>: lookups are recorded in the
 * transaction's {@link AccessLog} and changes are kept as logical operations, so the transaction
 * can validate exactly what it read and replay what it wrote on top of a concurrent commit.
 * Collections built by the application are untracked until stored.
 */
public abstract sealed class ProtoCollection
        permits Dictionary, HashDictionary, ProtoList, ProtoSet, CountedSet, RepeatedKeysDictionary {

    final Tree tree;
    final Lineage lineage;

    ProtoCollection(Tree tree, Lineage lineage) {
        this.tree = tree;
        this.lineage = lineage;
    }

    /** The number of entries (elements, pairs or distinct keys, as each collection defines). */
    public long count() {
        readAll();
        return tree.size();
    }

    /** Whether the collection has no entries. */
    public boolean isEmpty() {
        return count() == 0;
    }

    TreeOps ops() {
        return new TreeOps(tree.kind(), tree.store(), null);
    }

    void readKey(Object key) {
        Lineage.readKey(lineage, key);
    }

    void readAll() {
        Lineage.readAll(lineage);
    }

    /** Whether collection-specific header fields (total counts) are equal. */
    boolean sameExtras(ProtoCollection other) {
        return true;
    }

    /** The same content with another lineage. */
    abstract ProtoCollection withLineage(Lineage lineage);

    /** The same content (header fields included) on another handle of the same tree, untracked. */
    abstract ProtoCollection withTree(Tree tree);

    /** An untracked builder over this collection, for replaying operations. */
    abstract Builder<?> replayBuilder();

    /** The value a lookup of {@code key} depends on, for validation; untracked. */
    abstract Object validationLookup(Object key);

    /**
     * Shared machinery of the builders: the current tree, the edit token owning the nodes this
     * builder created, and the lineage to which operations are appended when the source was tracked.
     */
    abstract static class Builder<C extends ProtoCollection> {
        Tree tree;
        Lineage lineage;
        Object token;

        Builder(Tree tree, Lineage lineage, boolean transientNodes) {
            this.tree = tree;
            this.lineage = lineage;
            this.token = transientNodes ? new Object() : null;
        }

        TreeOps ops() {
            return new TreeOps(tree.kind(), tree.store(), token);
        }

        @SuppressWarnings("unchecked")
        <B> void record(Consumer<B> op) {
            if (lineage != null) {
                lineage = lineage.then((Consumer<Object>) op);
            }
        }

        void readKey(Object key) {
            Lineage.readKey(lineage, key);
        }

        void readAll() {
            Lineage.readAll(lineage);
        }

        /** Ends this round of in-place edits: nodes built so far become immutable. */
        void freeze() {
            if (token != null) {
                token = new Object();
            }
        }

        abstract C build();
    }
}
