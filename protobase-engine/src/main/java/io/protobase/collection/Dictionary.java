package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.FieldPath;
import io.protobase.index.FieldSource;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent sorted map. Keys are any orderable value under the one total order of
 * {@link io.protobase.codec.ValueOrder} (null &lt; booleans &lt; numbers &lt; strings &lt; …), so
 * {@code 1} and {@code 1.0} are the same key; values are any storable value.
 *
 * <p>A wide-node B+tree: lookups, {@link #setAt} and {@link #removeAt} are O(log n) node visits,
 * iteration streams leaf by leaf. Every mutator returns a new dictionary and leaves this one
 * unchanged; use {@link #toBuilder()} to apply many changes without copying a path per change.
 *
 * <pre>{@code
 * Dictionary d = Dictionary.empty().setAt("id", 1).setAt("name", "Item 1");
 * d.getAt("name");   // "Item 1"
 * }</pre>
 */
public final class Dictionary extends ProtoCollection
        implements Iterable<Map.Entry<Object, Object>>, IndexedCollection, FieldSource {

    private static final Dictionary EMPTY = new Dictionary(Tree.empty(TreeKind.SORTED), null);

    Dictionary(Tree tree, Lineage lineage) {
        super(tree, lineage);
    }

    Dictionary(Tree tree, Lineage lineage, Indexes indexes) {
        super(tree, lineage, indexes);
    }

    Dictionary(Tree tree, Lineage lineage, Indexes indexes, int depth) {
        super(tree, lineage, indexes, depth);
    }

    /** The empty dictionary. */
    public static Dictionary empty() {
        return EMPTY;
    }

    /** A dictionary of alternating keys and values. */
    public static Dictionary of(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("Dictionary.of takes key/value pairs; got an odd number of arguments");
        }
        Builder b = builder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            b.setAt(keysAndValues[i], keysAndValues[i + 1]);
        }
        return b.build();
    }

    /** A dictionary with the entries of a map. */
    public static Dictionary from(Map<?, ?> map) {
        Builder b = builder();
        map.forEach(b::setAt);
        return b.build();
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this dictionary; it edits its own new nodes in place. */
    public Builder toBuilder() {
        return new Builder(tree, lineage, indexes, depthNow(), true);
    }

    /** The value under {@code key}, or {@code null} when absent. */
    public Object getAt(Object key) {
        Object k = Values.key(key);
        readKey(k);
        Object v = ops().get(tree, k);
        return v == TreeOps.MISSING ? null : Values.exposed(v);
    }

    /** The value under {@code key} cast to {@code type}, or {@code null} when absent. */
    public <T> T getAt(Object key, Class<T> type) {
        return type.cast(getAt(key));
    }

    /** The value under the text key {@code name}, {@code null} for a present null, or {@link FieldPath#ABSENT}. */
    @Override
    public Object fieldOrAbsent(String name) {
        return has(name) ? getAt(name) : FieldPath.ABSENT;
    }

    /** Whether {@code key} is present (its value may be {@code null}). */
    public boolean has(Object key) {
        Object k = Values.key(key);
        readKey(k);
        return ops().has(tree, k);
    }

    /** A dictionary with {@code key} mapped to {@code value}. */
    public Dictionary setAt(Object key, Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).setAt(key, value).build();
    }

    /** A dictionary without {@code key} (this one when absent). */
    public Dictionary removeAt(Object key) {
        return new Builder(tree, lineage, indexes, depthNow(), false).removeAt(key).build();
    }

    /** The smallest key, or throws when empty. */
    public Object firstKey() {
        readAll();
        TreeCursor c = TreeCursor.atIndex(ops(), tree, 0);
        if (!c.valid()) {
            throw new NoSuchElementException("the dictionary is empty");
        }
        return c.key();
    }

    /** The largest key, or throws when empty. */
    public Object lastKey() {
        readAll();
        TreeCursor c = TreeCursor.atIndex(ops(), tree, tree.size() - 1);
        if (!c.valid()) {
            throw new NoSuchElementException("the dictionary is empty");
        }
        return c.key();
    }

    /** The entry at position {@code index} in key order (0-based). */
    public Map.Entry<Object, Object> entryAt(long index) {
        readAll();
        if (index < 0 || index >= tree.size()) {
            throw new IndexOutOfBoundsException("index " + index + " outside 0.." + (tree.size() - 1));
        }
        TreeCursor c = TreeCursor.atIndex(ops(), tree, index);
        return DbObject.entry(c.key(), c.value());
    }

    /** Entries in key order. */
    @Override
    public Iterator<Map.Entry<Object, Object>> iterator() {
        readAll();
        return entries(TreeCursor.atIndex(ops(), tree, 0), null, false);
    }

    /** Entries in key order, streamed leaf by leaf. */
    public Stream<Map.Entry<Object, Object>> stream() {
        return StreamSupport.stream(Spliterators.spliterator(iterator(), tree.size(),
                Spliterator.ORDERED | Spliterator.SORTED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** Keys in order; values are not read (a large one is never loaded). */
    public Stream<Object> keys() {
        readAll();
        Iterator<Object> it = TreeCursor.atIndex(ops(), tree, 0).iterator(c -> Values.exposed(c.key()));
        return StreamSupport.stream(Spliterators.spliterator(it, tree.size(),
                Spliterator.ORDERED | Spliterator.DISTINCT), false);
    }

    /** Values in key order. */
    public Stream<Object> values() {
        readAll();
        Iterator<Object> it = TreeCursor.atIndex(ops(), tree, 0).iterator(c -> Values.exposed(c.value()));
        return StreamSupport.stream(Spliterators.spliterator(it, tree.size(), Spliterator.ORDERED), false);
    }

    /**
     * Entries with keys between {@code from} and {@code to} in key order. Either bound may be
     * {@link #UNBOUNDED}.
     */
    public Stream<Map.Entry<Object, Object>> range(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        readAll();
        TreeCursor c = from == UNBOUNDED ? TreeCursor.atIndex(ops(), tree, 0)
                : TreeCursor.atKey(ops(), tree, Values.key(from), fromInclusive);
        Object limit = to == UNBOUNDED ? null : Values.key(to);
        Iterator<Map.Entry<Object, Object>> it = entries(c, to == UNBOUNDED ? null : new Object[] {limit}, toInclusive);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it,
                Spliterator.ORDERED | Spliterator.SORTED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** Marks an open end of a {@link #range}. */
    public static final Object UNBOUNDED = new Object() {
        @Override
        public String toString() {
            return "UNBOUNDED";
        }
    };

    private Iterator<Map.Entry<Object, Object>> entries(TreeCursor c, Object[] limit, boolean inclusive) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (!c.valid()) {
                    return false;
                }
                if (limit != null) {
                    int cmp = ValueOrder.INSTANCE.compare(c.key(), limit[0]);
                    return inclusive ? cmp <= 0 : cmp < 0;
                }
                return true;
            }

            @Override
            public Map.Entry<Object, Object> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<Object, Object> e = DbObject.entry(c.key(), c.value());
                c.next();
                return e;
            }
        };
    }

    /** A read-only {@link Map} view (lookups are O(log n); iteration in key order). */
    public Map<Object, Object> asMap() {
        Dictionary self = this;
        return new AbstractMap<>() {
            @Override
            public Object get(Object key) {
                return self.getAt(key);
            }

            @Override
            public boolean containsKey(Object key) {
                return self.has(key);
            }

            @Override
            public int size() {
                return (int) Math.min(Integer.MAX_VALUE, self.count());
            }

            @Override
            public Set<Entry<Object, Object>> entrySet() {
                return new AbstractSet<>() {
                    @Override
                    public Iterator<Entry<Object, Object>> iterator() {
                        return self.iterator();
                    }

                    @Override
                    public int size() {
                        return (int) Math.min(Integer.MAX_VALUE, self.count());
                    }
                };
            }
        };
    }

    @Override
    public String toString() {
        return "Dictionary(" + tree.size() + " entries)";
    }

    @Override
    Dictionary withTree(Tree t) {
        return new Dictionary(t, null, indexes, depth);
    }

    @Override
    Dictionary withLineage(Lineage l) {
        return new Dictionary(tree, l, indexes, depth);
    }

    @Override
    Dictionary withIndexes(Indexes ix) {
        return new Dictionary(tree, lineage, ix, depth);
    }

    /**
     * This collection with one more secondary index, filled from the current records and kept
     * exact by every later change. Fails if an index of that name exists.
     */
    public Dictionary withIndex(IndexDefinition definition) {
        return new Builder(tree, lineage, indexes, depthNow(), false).addIndex(definition).build();
    }

    /** This collection without the index named {@code name} (which must exist). */
    public Dictionary withoutIndex(String name) {
        return new Builder(tree, lineage, indexes, depthNow(), false).removeIndex(name).build();
    }

    /** The secondary indexes by name (reading one is a read of the whole collection). */
    @Override
    public Map<String, SecondaryIndex> indexes() {
        return indexMap();
    }

    @Override
    Builder replayBuilder() {
        return new Builder(tree, null, indexes, depthNow(), true);
    }

    @Override
    Object validationLookup(Object key) {
        return ops().get(tree, key);
    }

    @Override
    Object recordOf(Object id) {
        Object v = ops().get(tree, id);
        if (v == TreeOps.MISSING) {
            throw new io.protobase.CorruptionException("An index of this dictionary names the key " + id
                    + ", which the dictionary does not hold; the stored index is damaged "
                    + "(rebuild it: withoutIndex, withIndex)");
        }
        return v;
    }

    /** The values, in key order: the records queries and indexes see. */
    @Override
    public Stream<Object> records() {
        return values();
    }

    /**
     * Applies many changes to a dictionary, editing the nodes it creates in place instead of
     * copying a path per change. Not thread-safe. {@link #build()} returns an immutable dictionary;
     * the builder stays usable (later changes copy again).
     */
    public static final class Builder extends ProtoCollection.Builder<Dictionary> {

        Builder(Tree tree, Lineage lineage, Indexes indexes, int depth, boolean transientNodes) {
            super(tree, lineage, indexes, depth, transientNodes);
        }

        /** Maps {@code key} to {@code value}. */
        public Builder setAt(Object key, Object value) {
            Object k = Values.key(key);
            Object v = Values.storable(value);
            holds(k, "Dictionary");
            holds(v, "Dictionary");
            if (editor != null) {
                Object old = ops().get(tree, k);
                if (old != TreeOps.MISSING) {
                    editor.remove(old, k);
                }
                editor.add(v, k);
            }
            tree = ops().put(tree, k, v);
            this.<Builder>record(b -> b.setAt(k, v));
            return this;
        }

        /** Removes {@code key} if present. */
        public Builder removeAt(Object key) {
            Object k = Values.key(key);
            if (editor != null) {
                Object old = ops().get(tree, k);
                if (old != TreeOps.MISSING) {
                    editor.remove(old, k);
                }
            }
            tree = ops().remove(tree, k);
            this.<Builder>record(b -> b.removeAt(k));
            return this;
        }

        /** The value under {@code key}, or {@code null}. */
        public Object getAt(Object key) {
            Object k = Values.key(key);
            readKey(k);
            Object v = ops().get(tree, k);
            return v == TreeOps.MISSING ? null : Values.exposed(v);
        }

        /** Whether {@code key} is present. */
        public boolean has(Object key) {
            Object k = Values.key(key);
            readKey(k);
            return ops().has(tree, k);
        }

        @Override
        void forEachRecord(java.util.function.BiConsumer<Object, Object> action) {
            for (TreeCursor c = TreeCursor.atIndex(ops(), tree, 0); c.valid(); c.next()) {
                action.accept(c.value(), c.key());
            }
        }

        /** The number of entries so far. */
        public long count() {
            readAll();
            return tree.size();
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
        public Dictionary build() {
            freeze();
            return new Dictionary(tree, lineage, indexes(), depth);
        }
    }
}
