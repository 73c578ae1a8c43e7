package io.protobase.collection;

import io.protobase.collection.internal.TreeKind;

import java.util.Iterator;
import java.util.Map;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A persistent multiset: each distinct element with its number of occurrences. {@link #count()} is
 * the number of distinct elements, {@link #totalCount()} the sum of occurrences. Concurrent
 * transactions that only add or remove occurrences (without reading counts) never conflict: their
 * increments are replayed on each other's result.
 */
public final class CountedSet extends ProtoCollection implements Iterable<Object> {

    private static final CountedSet EMPTY = new CountedSet(Tree.empty(TreeKind.HASHED), 0, null);

    final long total;

    CountedSet(Tree tree, long total, Lineage lineage) {
        super(tree, lineage);
        this.total = total;
    }

    /** The empty multiset. */
    public static CountedSet empty() {
        return EMPTY;
    }

    /** A multiset with one occurrence per argument. */
    public static CountedSet of(Object... elements) {
        Builder b = builder();
        for (Object e : elements) {
            b.add(e);
        }
        return b.build();
    }

    /** A builder starting empty. */
    public static Builder builder() {
        return EMPTY.toBuilder();
    }

    /** A builder starting from this multiset. */
    public Builder toBuilder() {
        return new Builder(tree, total, lineage, true);
    }

    /** The number of occurrences of {@code element} (0 when absent). */
    public long getCount(Object element) {
        Object e = Values.key(element);
        readKey(e);
        Object c = ops().get(tree, HashedKey.of(e));
        return c == TreeOps.MISSING ? 0 : (Long) c;
    }

    /** Whether {@code element} occurs at least once. */
    public boolean has(Object element) {
        return getCount(element) > 0;
    }

    /** The sum of all occurrences. */
    public long totalCount() {
        readAll();
        return total;
    }

    /** A multiset with one more occurrence of {@code element}. */
    public CountedSet add(Object element) {
        return add(element, 1);
    }

    /** A multiset with {@code times} more occurrences of {@code element}. */
    public CountedSet add(Object element, long times) {
        return new Builder(tree, total, lineage, false).add(element, times).build();
    }

    /** A multiset with one occurrence less of {@code element} (removed at zero; absent: unchanged). */
    public CountedSet removeAt(Object element) {
        return new Builder(tree, total, lineage, false).removeAt(element).build();
    }

    /** Distinct elements, in hash order. */
    @Override
    public Iterator<Object> iterator() {
        readAll();
        return TreeCursor.atIndex(ops(), tree, 0).iterator(c -> Values.exposed(((HashedKey) c.key()).value()));
    }

    /** Distinct elements with their counts, in hash order. */
    public Iterator<Map.Entry<Object, Long>> counts() {
        readAll();
        return TreeCursor.atIndex(ops(), tree, 0).iterator(c -> new java.util.AbstractMap.SimpleImmutableEntry<>(
                Values.exposed(((HashedKey) c.key()).value()), (Long) c.value()));
    }

    /** Distinct elements, in hash order. */
    public Stream<Object> stream() {
        return StreamSupport.stream(Spliterators.spliterator(iterator(), tree.size(), Spliterator.DISTINCT), false);
    }

    @Override
    public String toString() {
        return "CountedSet(" + tree.size() + " distinct, " + total + " total)";
    }

    @Override
    boolean sameExtras(ProtoCollection other) {
        return total == ((CountedSet) other).total;
    }

    @Override
    CountedSet withTree(Tree t) {
        return new CountedSet(t, total, null);
    }

    @Override
    CountedSet withLineage(Lineage l) {
        return new CountedSet(tree, total, l);
    }

    @Override
    Builder replayBuilder() {
        return new Builder(tree, total, null, true);
    }

    @Override
    Object validationLookup(Object key) {
        return ops().get(tree, HashedKey.of(key));
    }

    /** Applies many changes, editing its own new nodes in place. Not thread-safe. */
    public static final class Builder extends ProtoCollection.Builder<CountedSet> {

        private long total;

        Builder(Tree tree, long total, Lineage lineage, boolean transientNodes) {
            super(tree, lineage, transientNodes);
            this.total = total;
        }

        /** Adds one occurrence. */
        public Builder add(Object element) {
            return add(element, 1);
        }

        /** Adds {@code times} occurrences ({@code times >= 1}). */
        public Builder add(Object element, long times) {
            if (times < 1) {
                throw new IllegalArgumentException("times must be at least 1, got " + times);
            }
            Object e = Values.key(element);
            HashedKey hk = HashedKey.of(e);
            TreeOps ops = ops();
            Object c = ops.get(tree, hk);
            long now = (c == TreeOps.MISSING ? 0 : (Long) c) + times;
            tree = ops.put(tree, hk, now);
            total += times;
            this.<Builder>record(b -> b.add(e, times));
            return this;
        }

        /** Removes one occurrence if present. */
        public Builder removeAt(Object element) {
            Object e = Values.key(element);
            HashedKey hk = HashedKey.of(e);
            TreeOps ops = ops();
            Object c = ops.get(tree, hk);
            if (c != TreeOps.MISSING) {
                long now = (Long) c - 1;
                tree = now == 0 ? ops.remove(tree, hk) : ops.put(tree, hk, now);
                total--;
            }
            this.<Builder>record(b -> b.removeAt(e));
            return this;
        }

        /** Occurrences of {@code element} so far. */
        public long getCount(Object element) {
            Object e = Values.key(element);
            readKey(e);
            Object c = ops().get(tree, HashedKey.of(e));
            return c == TreeOps.MISSING ? 0 : (Long) c;
        }

        @Override
        public CountedSet build() {
            freeze();
            return new CountedSet(tree, total, lineage);
        }
    }
}
