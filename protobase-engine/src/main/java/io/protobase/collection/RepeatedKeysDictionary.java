package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.TreeKind;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent sorted multimap: each key maps to a counted bucket of values. Stored as one B+tree of
 * {@code (key, value) → occurrences}, sorted by key, so a key's bucket and any key range are one
 * ordered scan — the structure behind secondary indexes.
 *
 * <p>{@link #count()} is the number of distinct keys; {@link #totalCount()} the number of
 * occurrences of all values under all keys.
 *
 * <p>The entries of a covering secondary index ({@link Indexes}) are the same tree with another leaf
 * value: each {@code (index key, record id)} pair, which occurs once, maps to the record itself
 * instead of to an occurrence count ({@link Builder#putRecord}, {@link Builder#removePair}); the counts
 * stay exact ({@code totalCount()} is the number of pairs). The public methods reading occurrence
 * counts do not apply to such a tree, which only the index code sees. Nor do they to the entries of
 * a list's index, whose tree keeps values of different exact form apart ({@link #EMPTY_EXACT}).
 */
public final class RepeatedKeysDictionary extends ProtoCollection {

    private static final RepeatedKeysDictionary EMPTY =
            new RepeatedKeysDictionary(Tree.empty(TreeKind.PAIRED), 0, 0, null);
    /**
     * Empty entries of a list's secondary index: a tree of kind {@link TreeKind#PAIRED_EXACT}, where
     * values equal as keys but of different exact form ({@code 0}, {@code 0L}) are different pairs.
     */
    static final RepeatedKeysDictionary EMPTY_EXACT =
            new RepeatedKeysDictionary(Tree.empty(TreeKind.PAIRED_EXACT), 0, 0, null);
    /**
     * Empty entries of a dictionary's secondary index: a tree of kind {@link TreeKind#PAIRED_BY_VALUE},
     * whose pairs of one key are ordered by the dictionary key they name.
     */
    static final RepeatedKeysDictionary EMPTY_BY_VALUE =
            new RepeatedKeysDictionary(Tree.empty(TreeKind.PAIRED_BY_VALUE), 0, 0, null);

    final long keyCount;
    final long total;

    RepeatedKeysDictionary(Tree tree, long keyCount, long total, Lineage lineage) {
        super(tree, lineage);
        this.keyCount = keyCount;
        this.total = total;
    }

    /** The empty multimap. */
    public static RepeatedKeysDictionary empty() {
        return EMPTY;
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this multimap. */
    public Builder toBuilder() {
        return new Builder(this, lineage, true);
    }

    /** The number of distinct keys. */
    @Override
    public long count() {
        readAll();
        return keyCount;
    }

    /** The number of occurrences of all values under all keys. */
    public long totalCount() {
        readAll();
        return total;
    }

    /** Whether {@code key} has at least one value. */
    public boolean has(Object key) {
        Object k = Values.key(key);
        readKey(k);
        return firstOf(ops(), tree, k);
    }

    /** The bucket of {@code key} as a multiset (empty when absent). */
    public CountedSet getAt(Object key) {
        Object k = Values.key(key);
        readKey(k);
        CountedSet.Builder b = CountedSet.builder();
        bucket(k).forEachRemaining(e -> b.add(e.getKey(), e.getValue()));
        return b.build();
    }

    /** The distinct values of {@code key}'s bucket, streamed in bucket order. */
    public Stream<Object> valuesOf(Object key) {
        Object k = Values.key(key);
        readKey(k);
        Iterator<Map.Entry<Object, Long>> it = bucket(k);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false)
                .map(Map.Entry::getKey);
    }

    /** A multimap with one more occurrence of {@code value} under {@code key}. */
    public RepeatedKeysDictionary setAt(Object key, Object value) {
        return new Builder(this, lineage, false).setAt(key, value).build();
    }

    /** A multimap with one occurrence less of {@code value} under {@code key}; empty keys disappear. */
    public RepeatedKeysDictionary removeRecordAt(Object key, Object value) {
        return new Builder(this, lineage, false).removeRecordAt(key, value).build();
    }

    /** A multimap without {@code key}'s whole bucket. */
    public RepeatedKeysDictionary removeAt(Object key) {
        return new Builder(this, lineage, false).removeAt(key).build();
    }

    /** Distinct keys in order. */
    public Stream<Object> keys() {
        readAll();
        TreeCursor c = TreeCursor.atIndex(ops(), tree, 0);
        Iterator<Object> it = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return c.valid();
            }

            @Override
            public Object next() {
                if (!c.valid()) {
                    throw new NoSuchElementException();
                }
                Object k = ((PairKey) c.key()).key();
                while (c.valid() && ValueOrder.INSTANCE.compare(((PairKey) c.key()).key(), k) == 0) {
                    c.next();
                }
                return Values.exposed(k);
            }
        };
        return StreamSupport.stream(Spliterators.spliterator(it, keyCount, Spliterator.ORDERED | Spliterator.DISTINCT),
                false);
    }

    /** Every {@code (key, value)} pair with its occurrences, in key order: entries of {@code List.of(key, value)}. */
    public Stream<Map.Entry<List<Object>, Long>> entries() {
        readAll();
        TreeCursor c = TreeCursor.atIndex(ops(), tree, 0);
        Iterator<Map.Entry<List<Object>, Long>> it = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return c.valid();
            }

            @Override
            public Map.Entry<List<Object>, Long> next() {
                if (!c.valid()) {
                    throw new NoSuchElementException();
                }
                PairKey p = (PairKey) c.key();
                List<Object> kv = new ArrayList<>(2);
                kv.add(Values.exposed(p.key()));
                kv.add(Values.exposed(p.value()));
                Map.Entry<List<Object>, Long> e = new java.util.AbstractMap.SimpleImmutableEntry<>(
                        java.util.Collections.unmodifiableList(kv), (Long) c.value());
                c.next();
                return e;
            }
        };
        return StreamSupport.stream(Spliterators.spliterator(it, tree.size(), Spliterator.ORDERED), false);
    }

    private Iterator<Map.Entry<Object, Long>> bucket(Object k) {
        TreeCursor c = TreeCursor.atKey(ops(), tree, PairKey.lowest(k), true);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return c.valid() && ValueOrder.INSTANCE.compare(((PairKey) c.key()).key(), k) == 0;
            }

            @Override
            public Map.Entry<Object, Long> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<Object, Long> e = new java.util.AbstractMap.SimpleImmutableEntry<>(
                        Values.exposed(((PairKey) c.key()).value()), (Long) c.value());
                c.next();
                return e;
            }
        };
    }

    static boolean firstOf(TreeOps ops, Tree tree, Object k) {
        TreeCursor c = TreeCursor.atKey(ops, tree, PairKey.lowest(k), true);
        return c.valid() && ValueOrder.INSTANCE.compare(((PairKey) c.key()).key(), k) == 0;
    }

    @Override
    public String toString() {
        return "RepeatedKeysDictionary(" + keyCount + " keys, " + total + " values)";
    }

    @Override
    boolean sameExtras(ProtoCollection other) {
        RepeatedKeysDictionary o = (RepeatedKeysDictionary) other;
        return keyCount == o.keyCount && total == o.total;
    }

    @Override
    RepeatedKeysDictionary withTree(Tree t) {
        return new RepeatedKeysDictionary(t, keyCount, total, null);
    }

    @Override
    RepeatedKeysDictionary withLineage(Lineage l) {
        return new RepeatedKeysDictionary(tree, keyCount, total, l);
    }

    @Override
    Builder replayBuilder() {
        return new Builder(this, null, true);
    }

    @Override
    Object validationLookup(Object key) {
        List<Object> contents = new ArrayList<>();
        bucket(key).forEachRemaining(e -> {
            contents.add(e.getKey());
            contents.add(e.getValue());
        });
        return contents;
    }

    /** Applies many changes, editing its own new nodes in place. Not thread-safe. */
    public static final class Builder extends ProtoCollection.Builder<RepeatedKeysDictionary> {

        private long keyCount;
        private long total;

        Builder(RepeatedKeysDictionary source, Lineage lineage, boolean transientNodes) {
            super(source.tree, lineage, transientNodes);
            this.keyCount = source.keyCount;
            this.total = source.total;
        }

        /** Adds one occurrence of {@code value} under {@code key}. */
        public Builder setAt(Object key, Object value) {
            return add(PairKey.of(Values.key(key), Values.key(value)), false);
        }

        /** One more occurrence: the new count of a pair from its old one (or {@link TreeOps#MISSING}). */
        private static final UnaryOperator<Object> INCREMENT = c -> c == TreeOps.MISSING ? (Object) 1L : (Long) c + 1;

        /**
         * Adds one occurrence of the pair {@code pk} (key and value already in key form).
         * {@code keyPresent} tells that the key is known to have a pair already, which spares the
         * lookup of its bucket.
         */
        Builder add(PairKey pk, boolean keyPresent) {
            Object k = pk.key();
            TreeOps ops = ops();
            boolean hadKey = keyPresent || firstOf(ops, tree, k);
            tree = ops.update(tree, pk, INCREMENT);
            if (!hadKey) {
                keyCount++;
            }
            total++;
            Object v = pk.value();
            this.<Builder>record(b -> b.setAt(k, v));
            return this;
        }

        /** Removes one occurrence of {@code value} under {@code key}, if present. */
        public Builder removeRecordAt(Object key, Object value) {
            return removeOne(PairKey.of(Values.key(key), Values.key(value)));
        }

        /** Removes one occurrence of the pair {@code pk} (key and value already in key form), if present. */
        Builder removeOne(PairKey pk) {
            Object k = pk.key();
            TreeOps ops = ops();
            Object c = ops.get(tree, pk);
            if (c != TreeOps.MISSING) {
                long now = (Long) c - 1;
                tree = now == 0 ? ops.remove(tree, pk) : ops.put(tree, pk, now);
                total--;
                if (now == 0 && !firstOf(ops, tree, k)) {
                    keyCount--;
                }
            }
            Object v = pk.value();
            this.<Builder>record(b -> b.removeRecordAt(k, v));
            return this;
        }

        /**
         * Maps the pair {@code (key, id)} to {@code record}, replacing what it mapped to: an entry of a
         * covering index, where each pair occurs once and carries its record.
         */
        Builder putRecord(Object key, Object id, Object record) {
            Object k = Values.key(key);
            Object i = Values.key(id);
            TreeOps ops = ops();
            PairKey pk = PairKey.of(k, i);
            if (ops.get(tree, pk) == TreeOps.MISSING) {
                if (!firstOf(ops, tree, k)) {
                    keyCount++;
                }
                total++;
            }
            tree = ops.put(tree, pk, record);
            this.<Builder>record(b -> b.putRecord(k, i, record));
            return this;
        }

        /** Removes the pair {@code (key, id)} whatever it maps to, if present (an entry of a covering index). */
        Builder removePair(Object key, Object id) {
            Object k = Values.key(key);
            Object i = Values.key(id);
            PairKey pk = PairKey.of(k, i);
            TreeOps ops = ops();
            if (ops.get(tree, pk) != TreeOps.MISSING) {
                tree = ops.remove(tree, pk);
                total--;
                if (!firstOf(ops, tree, k)) {
                    keyCount--;
                }
            }
            this.<Builder>record(b -> b.removePair(k, i));
            return this;
        }

        /** Removes {@code key}'s whole bucket. */
        public Builder removeAt(Object key) {
            Object k = Values.key(key);
            TreeOps ops = ops();
            boolean had = false;
            while (true) {
                TreeCursor c = TreeCursor.atKey(ops, tree, PairKey.lowest(k), true);
                if (!c.valid() || ValueOrder.INSTANCE.compare(((PairKey) c.key()).key(), k) != 0) {
                    break;
                }
                Object pk = c.key();
                total -= (Long) c.value();
                tree = ops.remove(tree, pk);
                had = true;
            }
            if (had) {
                keyCount--;
            }
            this.<Builder>record(b -> b.removeAt(k));
            return this;
        }

        @Override
        public RepeatedKeysDictionary build() {
            freeze();
            return new RepeatedKeysDictionary(tree, keyCount, total, lineage);
        }
    }
}
