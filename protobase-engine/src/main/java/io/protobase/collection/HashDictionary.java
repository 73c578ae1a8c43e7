package io.protobase.collection;

import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.FieldPath;
import io.protobase.index.FieldSource;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.Iterator;
import java.util.Map;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent map with arbitrary value keys (numbers, strings, UUIDs, tuples as {@code List}s,
 * records), placed by a stable 64-bit hash of the key's canonical form
 * ({@link io.protobase.codec.StableHash}, never {@code Object.hashCode}); colliding hashes are told
 * apart by the keys' total order. Iteration order is hash order: stable, but not meaningful.
 *
 * <pre>{@code
 * HashDictionary hd = HashDictionary.empty()
 *         .setAt(123, "Value for 123")
 *         .setAt(List.of(1, 2, 3), "Value for tuple");
 * }</pre>
 */
public final class HashDictionary extends ProtoCollection
        implements Iterable<Map.Entry<Object, Object>>, IndexedCollection, FieldSource {

    private static final HashDictionary EMPTY = new HashDictionary(Tree.empty(TreeKind.HASHED), null);

    HashDictionary(Tree tree, Lineage lineage) {
        super(tree, lineage);
    }

    HashDictionary(Tree tree, Lineage lineage, Indexes indexes) {
        super(tree, lineage, indexes);
    }

    HashDictionary(Tree tree, Lineage lineage, Indexes indexes, int depth) {
        super(tree, lineage, indexes, depth);
    }

    /** The empty hash dictionary. */
    public static HashDictionary empty() {
        return EMPTY;
    }

    /** A hash dictionary of alternating keys and values. */
    public static HashDictionary of(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("HashDictionary.of takes key/value pairs; got an odd number");
        }
        Builder b = builder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            b.setAt(keysAndValues[i], keysAndValues[i + 1]);
        }
        return b.build();
    }

    /** A hash dictionary with the entries of a map. */
    public static HashDictionary from(Map<?, ?> map) {
        Builder b = builder();
        map.forEach(b::setAt);
        return b.build();
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this hash dictionary. */
    public Builder toBuilder() {
        return new Builder(tree, lineage, indexes, depthNow(), true);
    }

    /** The value under {@code key}, or {@code null} when absent. */
    public Object getAt(Object key) {
        Object k = Values.key(key);
        readKey(k);
        Object v = ops().get(tree, HashedKey.of(k));
        return v == TreeOps.MISSING ? null : Values.exposed(v);
    }

    /** The value under the text key {@code name}, {@code null} for a present null, or {@link FieldPath#ABSENT}. */
    @Override
    public Object fieldOrAbsent(String name) {
        return has(name) ? getAt(name) : FieldPath.ABSENT;
    }

    /** Whether {@code key} is present. */
    public boolean has(Object key) {
        Object k = Values.key(key);
        readKey(k);
        return ops().has(tree, HashedKey.of(k));
    }

    /** A hash dictionary with {@code key} mapped to {@code value}. */
    public HashDictionary setAt(Object key, Object value) {
        return new Builder(tree, lineage, indexes, depthNow(), false).setAt(key, value).build();
    }

    /** A hash dictionary without {@code key}; removing an absent key changes nothing. */
    public HashDictionary removeAt(Object key) {
        return new Builder(tree, lineage, indexes, depthNow(), false).removeAt(key).build();
    }

    /** A hash dictionary with every entry of {@code other} added (other's values win). */
    public HashDictionary merge(HashDictionary other) {
        Builder b = new Builder(tree, lineage, indexes, depthNow(), true);
        for (Map.Entry<Object, Object> e : other) {
            b.setAt(e.getKey(), e.getValue());
        }
        return b.build();
    }

    @Override
    public Iterator<Map.Entry<Object, Object>> iterator() {
        readAll();
        return TreeCursor.atIndex(ops(), tree, 0)
                .iterator(c -> DbObject.entry(((HashedKey) c.key()).value(), c.value()));
    }

    /** Entries in hash order. */
    public Stream<Map.Entry<Object, Object>> stream() {
        return StreamSupport.stream(Spliterators.spliterator(iterator(), tree.size(),
                Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** Keys in hash order; values are not read (a large one is never loaded). */
    public Stream<Object> keys() {
        readAll();
        Iterator<Object> it = TreeCursor.atIndex(ops(), tree, 0)
                .iterator(c -> Values.exposed(((HashedKey) c.key()).value()));
        return StreamSupport.stream(Spliterators.spliterator(it, tree.size(), Spliterator.DISTINCT), false);
    }

    @Override
    public String toString() {
        return "HashDictionary(" + tree.size() + " entries)";
    }

    @Override
    HashDictionary withTree(Tree t) {
        return new HashDictionary(t, null, indexes, depth);
    }

    @Override
    HashDictionary withLineage(Lineage l) {
        return new HashDictionary(tree, l, indexes, depth);
    }

    @Override
    HashDictionary withIndexes(Indexes ix) {
        return new HashDictionary(tree, lineage, ix, depth);
    }

    /**
     * This collection with one more secondary index, filled from the current records and kept
     * exact by every later change. Fails if an index of that name exists.
     */
    public HashDictionary withIndex(IndexDefinition definition) {
        return new Builder(tree, lineage, indexes, depthNow(), false).addIndex(definition).build();
    }

    /** This collection without the index named {@code name} (which must exist). */
    public HashDictionary withoutIndex(String name) {
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
        return ops().get(tree, HashedKey.of(key));
    }

    @Override
    Object recordOf(Object id) {
        Object v = ops().get(tree, HashedKey.of(id));
        if (v == TreeOps.MISSING) {
            throw new io.protobase.CorruptionException("An index of this hash dictionary names the key " + id
                    + ", which the dictionary does not hold; the stored index is damaged "
                    + "(rebuild it: withoutIndex, withIndex)");
        }
        return v;
    }

    /** The values, in hash order: the records queries and indexes see. */
    @Override
    public Stream<Object> records() {
        return stream().map(Map.Entry::getValue);
    }

    /** Applies many changes, editing its own new nodes in place. Not thread-safe. */
    public static final class Builder extends ProtoCollection.Builder<HashDictionary> {

        Builder(Tree tree, Lineage lineage, Indexes indexes, int depth, boolean transientNodes) {
            super(tree, lineage, indexes, depth, transientNodes);
        }

        /** Maps {@code key} to {@code value}. */
        public Builder setAt(Object key, Object value) {
            Object k = Values.key(key);
            Object v = Values.storable(value);
            holds(k, "HashDictionary");
            holds(v, "HashDictionary");
            if (editor != null) {
                Object old = ops().get(tree, HashedKey.of(k));
                if (old != TreeOps.MISSING) {
                    editor.remove(old, k);
                }
                editor.add(v, k);
            }
            tree = ops().put(tree, HashedKey.of(k), v);
            this.<Builder>record(b -> b.setAt(k, v));
            return this;
        }

        /** Removes {@code key} if present. */
        public Builder removeAt(Object key) {
            Object k = Values.key(key);
            if (editor != null) {
                Object old = ops().get(tree, HashedKey.of(k));
                if (old != TreeOps.MISSING) {
                    editor.remove(old, k);
                }
            }
            tree = ops().remove(tree, HashedKey.of(k));
            this.<Builder>record(b -> b.removeAt(k));
            return this;
        }

        @Override
        void forEachRecord(java.util.function.BiConsumer<Object, Object> action) {
            for (TreeCursor c = TreeCursor.atIndex(ops(), tree, 0); c.valid(); c.next()) {
                action.accept(c.value(), ((HashedKey) c.key()).value());
            }
        }

        /** The value under {@code key}, or {@code null}. */
        public Object getAt(Object key) {
            Object k = Values.key(key);
            readKey(k);
            Object v = ops().get(tree, HashedKey.of(k));
            return v == TreeOps.MISSING ? null : Values.exposed(v);
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
        public HashDictionary build() {
            freeze();
            return new HashDictionary(tree, lineage, indexes(), depth);
        }
    }
}
