package io.protobase.collection;

import io.protobase.collection.internal.CollectionLayer;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexException;
import io.protobase.index.SecondaryIndex;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Common base of the persistent collections. A collection is an immutable value: every mutator
 * returns a new collection sharing unchanged nodes with the old one, and each has a {@code Builder}
 * that edits its own new nodes in place for bulk work.
 *
 * <p>A collection read from a transaction root is <em>tracked</em>: lookups are recorded in the
 * transaction's log of reads and changes are kept as logical operations, so the transaction
 * can validate exactly what it read and replay what it wrote on top of a concurrent commit.
 * Collections built by the application are untracked until stored.
 */
public abstract sealed class ProtoCollection
        permits Dictionary, HashDictionary, ProtoList, ProtoSet, CountedSet, RepeatedKeysDictionary {

    static {
        // the engine reaches this package's plumbing through the provider (see CollectionLayer)
        CollectionLayer.install(new CollectionProvider());
    }

    final Tree tree;
    final Lineage lineage;
    /** Secondary indexes (lists, sets, dictionaries); {@link Indexes#NONE} for the others. */
    final Indexes indexes;
    /**
     * Levels of nesting of this collection and the values it was given since it was last read from
     * storage (see {@link Values#depth}): 1 for sets and multisets, whose elements are keys, each
     * bounded on its own. Never less than the truth: removals do not lower it.
     */
    final int depth;

    ProtoCollection(Tree tree, Lineage lineage) {
        this(tree, lineage, Indexes.NONE);
    }

    ProtoCollection(Tree tree, Lineage lineage, Indexes indexes) {
        this(tree, lineage, indexes, 1);
    }

    ProtoCollection(Tree tree, Lineage lineage, Indexes indexes, int depth) {
        this.tree = tree;
        this.lineage = lineage;
        this.indexes = indexes;
        this.depth = depth;
    }

    /**
     * {@link #depth}, or 1 once the tree is saved: saving it again visits none of its values, and a
     * change starts a new count from there.
     */
    int depthNow() {
        return tree.rootPointer() != null ? 1 : depth;
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

    /** The same content and lineage with other indexes (only the indexable collections have any). */
    ProtoCollection withIndexes(Indexes ix) {
        throw new IllegalStateException(getClass().getSimpleName() + " has no secondary indexes");
    }

    /** The record an index entry's id denotes (untracked): the element itself, or a dictionary's value. */
    Object recordOf(Object id) {
        return id;
    }

    /** The indexes as the query layer sees them, by name. */
    Map<String, SecondaryIndex> indexMap() {
        if (indexes.isEmpty()) {
            return Map.of();
        }
        Map<String, SecondaryIndex> m = new LinkedHashMap<>();
        for (Indexes.Index i : indexes.all()) {
            m.put(i.definition().name(), new CollectionIndex(this, i));
        }
        return Collections.unmodifiableMap(m);
    }

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
        /** The indexes as of the last index declaration; {@link #editor} holds record changes since. */
        private Indexes declared;
        /** Applies record changes to {@link #declared}; {@code null} when there are no indexes. */
        Indexes.Editor editor;
        /** {@link ProtoCollection#depth} of the collection being built. */
        int depth;
        /** Whether the collection is a level of its values' nesting: not for the engine's own root dictionaries. */
        boolean countsNesting = true;

        Builder(Tree tree, Lineage lineage, boolean transientNodes) {
            this(tree, lineage, Indexes.NONE, transientNodes);
        }

        Builder(Tree tree, Lineage lineage, Indexes indexes, boolean transientNodes) {
            this(tree, lineage, indexes, 1, transientNodes);
        }

        Builder(Tree tree, Lineage lineage, Indexes indexes, int depth, boolean transientNodes) {
            this.depth = depth;
            this.tree = tree;
            this.lineage = lineage;
            this.token = transientNodes ? new Object() : null;
            this.declared = indexes;
            this.editor = indexes.edit(tree.kind());
        }

        /** The indexes with every change so far. */
        Indexes indexes() {
            return editor == null ? declared : editor.build();
        }

        /** Calls {@code action} with (record, id) for every record of the current content (untracked). */
        void forEachRecord(BiConsumer<Object, Object> action) {
            throw new IllegalStateException("this collection has no secondary indexes");
        }

        /** Declares an index, fills it from the current records and logs the declaration for replay. */
        void declareIndex(IndexDefinition definition) {
            readAll();
            Indexes current = indexes();
            if (current.get(definition.name()) != null) {
                throw new IndexException("The collection already has an index named '" + definition.name()
                        + "'; remove it first (withoutIndex) to redefine it");
            }
            declared = current.with(Indexes.build(definition, tree.kind(), this::forEachRecord));
            editor = declared.edit(tree.kind());
            this.<Builder<?>>record(b -> b.declareIndex(definition));
        }

        /** Drops an index (logged for replay); dropping an unknown name fails so a typo does not pass silently. */
        void dropIndex(String name) {
            Indexes current = indexes();
            if (current.get(name) == null) {
                throw new IndexException("The collection has no index named '" + name + "'");
            }
            declared = current.without(name);
            editor = declared.edit(tree.kind());
            this.<Builder<?>>record(b -> b.dropIndex(name));
        }

        TreeOps ops() {
            return new TreeOps(tree.kind(), tree.store(), token);
        }

        /**
         * Accounts for a key or value (already storable) the collection is about to hold, refusing it
         * before any change if the collection would then nest too deep.
         */
        void holds(Object keyOrValue, String collection) {
            if (countsNesting) {
                depth = Math.max(depth, Values.depthAround(keyOrValue, "a key or value in a " + collection));
            }
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
