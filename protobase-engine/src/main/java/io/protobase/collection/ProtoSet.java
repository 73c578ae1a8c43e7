package io.protobase.collection;

import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent set of values, placed by stable hash like {@link HashDictionary}. Elements are any
 * orderable value; numerically equal numbers are the same element. Immutable: {@link #add} returns
 * a new set and never changes this one.
 */
public final class ProtoSet extends ProtoCollection implements Iterable<Object>, IndexedCollection {

    private static final ProtoSet EMPTY = new ProtoSet(Tree.empty(TreeKind.HASHED_SET), null);

    ProtoSet(Tree tree, Lineage lineage) {
        super(tree, lineage);
    }

    ProtoSet(Tree tree, Lineage lineage, Indexes indexes) {
        super(tree, lineage, indexes);
    }

    /** The empty set. */
    public static ProtoSet empty() {
        return EMPTY;
    }

    /** A set of the given elements. */
    public static ProtoSet of(Object... elements) {
        Builder b = builder();
        for (Object e : elements) {
            b.add(e);
        }
        return b.build();
    }

    /** A set of the elements of {@code elements}. */
    public static ProtoSet from(Iterable<?> elements) {
        Builder b = builder();
        elements.forEach(b::add);
        return b.build();
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this set. */
    public Builder toBuilder() {
        return new Builder(tree, lineage, indexes, true);
    }

    /** Whether {@code element} is in the set. */
    public boolean has(Object element) {
        Object e = Values.key(element);
        readKey(e);
        return ops().get(tree, HashedKey.of(e)) != TreeOps.MISSING;
    }

    /** A set that also holds {@code element}. */
    public ProtoSet add(Object element) {
        return new Builder(tree, lineage, indexes, false).add(element).build();
    }

    /** A set without {@code element}. */
    public ProtoSet removeAt(Object element) {
        return new Builder(tree, lineage, indexes, false).removeAt(element).build();
    }

    /** Elements in either set. */
    public ProtoSet union(ProtoSet other) {
        Builder b = toBuilder();
        for (Object e : other) {
            b.add(e);
        }
        return b.build();
    }

    /** Elements in both sets. */
    public ProtoSet intersection(ProtoSet other) {
        Builder b = builder();
        for (Object e : this) {
            if (other.has(e)) {
                b.add(e);
            }
        }
        ProtoSet result = b.build();
        return lineage == null ? result : replaceWith(result);
    }

    /** Elements of this set not in {@code other}. */
    public ProtoSet difference(ProtoSet other) {
        Builder b = toBuilder();
        for (Object e : other) {
            b.removeAt(e);
        }
        return b.build();
    }

    private ProtoSet replaceWith(ProtoSet result) {
        Builder b = toBuilder();
        for (Object e : this) {
            if (!result.has(e)) {
                b.removeAt(e);
            }
        }
        return b.build();
    }

    @Override
    public Iterator<Object> iterator() {
        readAll();
        return TreeCursor.atIndex(ops(), tree, 0).iterator(c -> Values.exposed(((HashedKey) c.key()).value()));
    }

    /** Elements in hash order. */
    public Stream<Object> stream() {
        return StreamSupport.stream(Spliterators.spliterator(iterator(), tree.size(), Spliterator.DISTINCT), false);
    }

    /** A read-only {@link Set} view. */
    public Set<Object> asSet() {
        ProtoSet self = this;
        return new AbstractSet<>() {
            @Override
            public Iterator<Object> iterator() {
                return self.iterator();
            }

            @Override
            public boolean contains(Object o) {
                return self.has(o);
            }

            @Override
            public int size() {
                return (int) Math.min(Integer.MAX_VALUE, self.count());
            }
        };
    }

    @Override
    public String toString() {
        return "ProtoSet(" + tree.size() + " elements)";
    }

    @Override
    ProtoSet withTree(Tree t) {
        return new ProtoSet(t, null, indexes);
    }

    @Override
    ProtoSet withLineage(Lineage l) {
        return new ProtoSet(tree, l, indexes);
    }

    @Override
    ProtoSet withIndexes(Indexes ix) {
        return new ProtoSet(tree, lineage, ix);
    }

    /**
     * This collection with one more secondary index, filled from the current records and kept
     * exact by every later change. Fails if an index of that name exists.
     */
    public ProtoSet withIndex(IndexDefinition definition) {
        return new Builder(tree, lineage, indexes, false).addIndex(definition).build();
    }

    /** This collection without the index named {@code name} (which must exist). */
    public ProtoSet withoutIndex(String name) {
        return new Builder(tree, lineage, indexes, false).removeIndex(name).build();
    }

    /** The secondary indexes by name (reading one is a read of the whole collection). */
    @Override
    public Map<String, SecondaryIndex> indexes() {
        return indexMap();
    }

    @Override
    Builder replayBuilder() {
        return new Builder(tree, null, indexes, true);
    }

    @Override
    Object validationLookup(Object key) {
        return ops().get(tree, HashedKey.of(key)) != TreeOps.MISSING;
    }

    /** The elements, in hash order: the records queries and indexes see. */
    @Override
    public Stream<Object> records() {
        return stream();
    }

    /** Applies many changes, editing its own new nodes in place. Not thread-safe. */
    public static final class Builder extends ProtoCollection.Builder<ProtoSet> {

        Builder(Tree tree, Lineage lineage, Indexes indexes, boolean transientNodes) {
            super(tree, lineage, indexes, transientNodes);
        }

        /** Adds {@code element}. */
        public Builder add(Object element) {
            Object e = Values.key(element);
            if (editor != null && ops().get(tree, HashedKey.of(e)) == TreeOps.MISSING) {
                editor.add(e, e);
            }
            tree = ops().put(tree, HashedKey.of(e), null);
            this.<Builder>record(b -> b.add(e));
            return this;
        }

        /** Removes {@code element}. */
        public Builder removeAt(Object element) {
            Object e = Values.key(element);
            if (editor != null) {
                Object present = ops().get(tree, HashedKey.of(e));
                if (present != TreeOps.MISSING) {
                    // index the stored element: equal under the value order, it may differ in type (1 vs 1.0)
                    Object stored = ((HashedKey) present).value();
                    editor.remove(stored, stored);
                }
            }
            tree = ops().remove(tree, HashedKey.of(e));
            this.<Builder>record(b -> b.removeAt(e));
            return this;
        }

        @Override
        void forEachRecord(java.util.function.BiConsumer<Object, Object> action) {
            for (TreeCursor c = TreeCursor.atIndex(ops(), tree, 0); c.valid(); c.next()) {
                Object e = ((HashedKey) c.key()).value();
                action.accept(e, e);
            }
        }

        /** Whether {@code element} is present. */
        public boolean has(Object element) {
            Object e = Values.key(element);
            readKey(e);
            return ops().get(tree, HashedKey.of(e)) != TreeOps.MISSING;
        }

        /** Declares a secondary index, filled from the current records. */
        public Builder addIndex(IndexDefinition definition) {
            declareIndex(definition);
            return this;
        }

        /** Drops the secondary index named {@code name}. */
        public Builder removeIndex(String name) {
            dropIndex(name);
            return this;
        }

        @Override
        public ProtoSet build() {
            freeze();
            return new ProtoSet(tree, lineage, indexes());
        }
    }
}
