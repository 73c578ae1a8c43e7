package io.protobase.collection;

import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.AbstractList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent indexed sequence: a B+tree whose internal nodes count their subtrees, so
 * {@link #getAt}, {@link #setAt}, {@link #insertAt}, {@link #removeAt}, {@link #head},
 * {@link #tail} and {@link #slice} are O(log n) node visits. Negative indexes count from the end
 * ({@code -1} is the last element), as in the seed; other indexes outside the list throw
 * {@link IndexOutOfBoundsException}.
 *
 * <p>Concurrency: appends by transactions that did not read the list are replayed on each other
 * (an append-only log never conflicts); any positional read or write makes the transaction depend
 * on the whole list.
 */
public final class ProtoList extends ProtoCollection implements Iterable<Object>, IndexedCollection {

    private static final ProtoList EMPTY = new ProtoList(Tree.empty(TreeKind.POSITIONAL), null);

    ProtoList(Tree tree, Lineage lineage) {
        super(tree, lineage);
    }

    ProtoList(Tree tree, Lineage lineage, Indexes indexes) {
        super(tree, lineage, indexes);
    }

    ProtoList(Tree tree, Lineage lineage, Indexes indexes, int depth) {
        super(tree, lineage, indexes, depth);
    }

    /** The empty list. */
    public static ProtoList empty() {
        return EMPTY;
    }

    /** A list of the arguments, in order. */
    public static ProtoList of(Object... elements) {
        Builder b = builder();
        for (Object e : elements) {
            b.appendLast(e);
        }
        return b.build();
    }

    /** A list of the elements of {@code elements}, in iteration order. */
    public static ProtoList from(Iterable<?> elements) {
        Builder b = builder();
        elements.forEach(b::appendLast);
        return b.build();
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this list. */
    public Builder toBuilder() {
        return new Builder(tree, lineage, indexes, depthNow(), true);
    }

    static long index(long index, long size, boolean allowEnd) {
        long i = index < 0 ? size + index : index;
        if (i < 0 || i > size || (i == size && !allowEnd)) {
            throw new IndexOutOfBoundsException("index " + index + " is outside a list of " + size + " elements");
        }
        return i;
    }

    /** The element at {@code index}. */
    public Object getAt(long index) {
        readAll();
        return Values.exposed(ops().getAt(tree, index(index, tree.size(), false)));
    }

    /** A list with the element at {@code index} replaced. */
    public ProtoList setAt(long index, Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).setAt(index, value).build();
    }

    /** A list with {@code value} inserted before position {@code index} ({@code count()} appends). */
    public ProtoList insertAt(long index, Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).insertAt(index, value).build();
    }

    /** A list without the element at {@code index}. */
    public ProtoList removeAt(long index) {
        return new Builder(tree, lineage, indexes, depthNow(), false).removeAt(index).build();
    }

    /** A list with {@code value} added at the end. */
    public ProtoList appendLast(Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).appendLast(value).build();
    }

    /** A list with {@code value} added at the front. */
    public ProtoList appendFirst(Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).appendFirst(value).build();
    }

    /** A list without its first element (unchanged when empty). */
    public ProtoList removeFirst() {
        readAll();
        return tree.size() == 0 ? this : removeAt(0);
    }

    /** A list without its last element (unchanged when empty). */
    public ProtoList removeLast() {
        readAll();
        return tree.size() == 0 ? this : removeAt(tree.size() - 1);
    }

    /** A list with every element of {@code elements} appended. */
    public ProtoList extend(Iterable<?> elements) {
        Builder b = new Builder(tree, lineage, indexes, depthNow(), true);
        elements.forEach(b::appendLast);
        return b.build();
    }

    /** The first {@code k} elements (all when {@code k >= count()}). */
    public ProtoList head(long k) {
        return new Builder(tree, lineage, indexes, depthNow(), false).head(k).build();
    }

    /** The elements from position {@code k} on (none when {@code k >= count()}). */
    public ProtoList tail(long k) {
        return new Builder(tree, lineage, indexes, depthNow(), false).tail(k).build();
    }

    /** Elements {@code [from, to)}, bounds clamped to the list; empty when {@code from >= to}. */
    public ProtoList slice(long from, long to) {
        return new Builder(tree, lineage, indexes, depthNow(), false).slice(from, to).build();
    }

    @Override
    public Iterator<Object> iterator() {
        return iterator(0);
    }

    /** Elements from position {@code start} on. */
    public Iterator<Object> iterator(long start) {
        readAll();
        return TreeCursor.atIndex(ops(), tree, Math.max(0, start)).iterator(c -> Values.exposed(c.value()));
    }

    /** Elements in order, streamed leaf by leaf. */
    public Stream<Object> stream() {
        return StreamSupport.stream(Spliterators.spliterator(iterator(), tree.size(), Spliterator.ORDERED), false);
    }

    /** A read-only {@link List} view; {@code get(i)} is O(log n). */
    public List<Object> asList() {
        ProtoList self = this;
        return new AbstractList<>() {
            @Override
            public Object get(int index) {
                if (index < 0) {
                    throw new IndexOutOfBoundsException(index);
                }
                return self.getAt(index);
            }

            @Override
            public int size() {
                return (int) Math.min(Integer.MAX_VALUE, self.count());
            }

            @Override
            public Iterator<Object> iterator() {
                return self.iterator();
            }
        };
    }

    @Override
    public String toString() {
        return "ProtoList(" + tree.size() + " elements)";
    }

    @Override
    ProtoList withTree(Tree t) {
        return new ProtoList(t, null, indexes, depth);
    }

    @Override
    ProtoList withLineage(Lineage l) {
        return new ProtoList(tree, l, indexes, depth);
    }

    @Override
    ProtoList withIndexes(Indexes ix) {
        return new ProtoList(tree, lineage, ix, depth);
    }

    /**
     * This list with one more secondary index, filled from the current elements and kept exact by
     * every later change. Elements of an indexed list must be orderable (records as {@code DbObject}).
     */
    public ProtoList withIndex(IndexDefinition definition) {
        return new Builder(tree, lineage, indexes, depthNow(), false).addIndex(definition).build();
    }

    /** This list without the index named {@code name} (which must exist). */
    public ProtoList withoutIndex(String name) {
        return new Builder(tree, lineage, indexes, depthNow(), false).removeIndex(name).build();
    }

    /** The secondary indexes by name (reading one is a read of the whole list). */
    @Override
    public Map<String, SecondaryIndex> indexes() {
        return indexMap();
    }

    /** The elements in list order: the records queries and indexes see. */
    @Override
    public Stream<Object> records() {
        return stream();
    }

    @Override
    Builder replayBuilder() {
        return new Builder(tree, null, indexes, depthNow(), true);
    }

    @Override
    Object validationLookup(Object key) {
        throw new IllegalStateException("lists are validated as a whole");
    }

    /** Applies many changes, editing its own new nodes in place. Not thread-safe. */
    public static final class Builder extends ProtoCollection.Builder<ProtoList> {

        Builder(Tree tree, Lineage lineage, Indexes indexes, int depth, boolean transientNodes) {
            super(tree, lineage, indexes, depth, transientNodes);
        }

        /** Replaces the element at {@code index}. */
        public Builder setAt(long index, Object value) {
            readAll();
            Object v = Values.storable(value);
            holds(v, "ProtoList");
            long i = index(index, tree.size(), false);
            if (editor != null) {
                Object old = ops().getAt(tree, i);
                editor.remove(old, old);
                editor.add(v, v);
            }
            tree = ops().setAt(tree, i, v);
            return this;
        }

        /** Inserts {@code value} before {@code index} ({@code count()} appends). */
        public Builder insertAt(long index, Object value) {
            readAll();
            Object v = Values.storable(value);
            holds(v, "ProtoList");
            long i = index(index, tree.size(), true);
            if (editor != null) {
                editor.add(v, v);
            }
            tree = ops().insertAt(tree, i, v);
            return this;
        }

        /** Removes the element at {@code index}. */
        public Builder removeAt(long index) {
            readAll();
            long i = index(index, tree.size(), false);
            unindex(i, i + 1);
            tree = ops().removeAt(tree, i);
            return this;
        }

        /** Appends {@code value}; blind appends rebase onto concurrent commits. */
        public Builder appendLast(Object value) {
            Object v = Values.storable(value);
            holds(v, "ProtoList");
            if (editor != null) {
                editor.add(v, v);
            }
            tree = ops().insertAt(tree, tree.size(), v);
            this.<Builder>record(b -> b.appendLast(v));
            return this;
        }

        /** Prepends {@code value}; blind prepends rebase onto concurrent commits. */
        public Builder appendFirst(Object value) {
            Object v = Values.storable(value);
            holds(v, "ProtoList");
            if (editor != null) {
                editor.add(v, v);
            }
            tree = ops().insertAt(tree, 0, v);
            this.<Builder>record(b -> b.appendFirst(v));
            return this;
        }

        /** Keeps the first {@code k} elements. */
        public Builder head(long k) {
            readAll();
            unindex(Math.max(0, k), tree.size());
            tree = ops().head(tree, Math.max(0, k));
            return this;
        }

        /** Drops the first {@code k} elements. */
        public Builder tail(long k) {
            readAll();
            unindex(0, Math.min(Math.max(0, k), tree.size()));
            tree = ops().tail(tree, Math.max(0, k));
            return this;
        }

        /** Keeps elements {@code [from, to)}, clamped. */
        public Builder slice(long from, long to) {
            readAll();
            long size = tree.size();
            long f = Math.max(0, Math.min(from, size));
            long t = Math.max(f, Math.min(to, size));
            unindex(0, f);
            unindex(t, size);
            TreeOps ops = ops();
            tree = ops.tail(ops.head(tree, t), f);
            return this;
        }

        /** The element at {@code index}. */
        public Object getAt(long index) {
            readAll();
            return ops().getAt(tree, index(index, tree.size(), false));
        }

        /** The number of elements so far. */
        public long count() {
            readAll();
            return tree.size();
        }

        /** Declares a secondary index, filled from the current elements. */
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
        void forEachRecord(java.util.function.BiConsumer<Object, Object> action) {
            for (TreeCursor c = TreeCursor.atIndex(ops(), tree, 0); c.valid(); c.next()) {
                Object e = c.value();
                action.accept(e, e);
            }
        }

        /** Removes the elements at positions [from, to) from the indexes. */
        private void unindex(long from, long to) {
            if (editor == null) {
                return;
            }
            TreeCursor c = TreeCursor.atIndex(ops(), tree, from);
            for (long i = from; i < to && c.valid(); i++) {
                Object e = c.value();
                editor.remove(e, e);
                c.next();
            }
        }

        @Override
        public ProtoList build() {
            freeze();
            return new ProtoList(tree, lineage, indexes(), depth);
        }
    }
}
