package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.index.IndexDefinition;
import io.protobase.index.SecondaryIndex;

import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One index of a collection value, answering lookups, ordered range scans and counts from its
 * {@link RepeatedKeysDictionary} of (index key, record id) pairs. Ranges become pair bounds that sort
 * just before or after every pair of a key ({@link PairKey#lowest}, {@link PairKey#highest}), or of a
 * whole group of the value order for an open end, so a range is one cursor walk and its size two
 * O(log n) rank lookups (summing occurrence counts only when a list holds duplicates).
 *
 * <p>Records come from the host collection by id ({@link ProtoCollection#recordOf}: a descent of the
 * host's tree per entry for a dictionary), except where the entries carry them: the elements of a
 * list or set are their own ids, and a covering dictionary index maps each pair to its record
 * ({@link Indexes}), so a walk of the index yields records without touching the host's tree.
 *
 * <p>Reading an index is a read of the whole host collection for transaction validation: a
 * concurrent insert of a matching record must conflict, which key-level tracking cannot see.
 */
final class CollectionIndex implements SecondaryIndex {

    private final ProtoCollection host;
    private final Indexes.Index index;
    /** Whether each entry's value is its record (else an occurrence count). */
    private final boolean holdsRecords;

    CollectionIndex(ProtoCollection host, Indexes.Index index) {
        this.host = host;
        this.index = index;
        this.holdsRecords = index.holdsRecords(host.tree.kind());
    }

    @Override
    public IndexDefinition definition() {
        return index.definition();
    }

    @Override
    public boolean isCovering() {
        return holdsRecords || !Indexes.recordsApart(host.tree.kind());
    }

    private RepeatedKeysDictionary entries() {
        host.readAll();
        return index.entries();
    }

    @Override
    public long entryCount() {
        return entries().total;
    }

    @Override
    public long distinctKeys() {
        return entries().keyCount;
    }

    @Override
    public Stream<Object> lookup(Object key) {
        if (!indexable(key)) {
            entries();
            return Stream.empty();
        }
        Object k = Values.key(key);
        return records(PairKey.lowest(k), PairKey.highest(k));
    }

    @Override
    public long count(Object key) {
        if (!indexable(key)) {
            entries();
            return 0;
        }
        Object k = Values.key(key);
        return count(PairKey.lowest(k), PairKey.highest(k));
    }

    @Override
    public Stream<Object> range(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        PairKey[] b = bounds(from, fromInclusive, to, toInclusive);
        if (b == null) {
            entries();
            return Stream.empty();
        }
        return records(b[0], b[1]);
    }

    @Override
    public long countRange(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        PairKey[] b = bounds(from, fromInclusive, to, toInclusive);
        if (b == null) {
            entries();
            return 0;
        }
        return count(b[0], b[1]);
    }

    private static boolean indexable(Object key) {
        return key != null && ValueOrder.isOrderable(key);
    }

    /** The pair bounds of a key range, or {@code null} when it is empty by construction. */
    private static PairKey[] bounds(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        boolean openFrom = from == Dictionary.UNBOUNDED;
        boolean openTo = to == Dictionary.UNBOUNDED;
        if ((!openFrom && !indexable(from)) || (!openTo && !indexable(to))) {
            return null;
        }
        Object f = openFrom ? null : Values.key(from);
        Object t = openTo ? null : Values.key(to);
        if (f != null && t != null) {
            if (!ValueOrder.INSTANCE.comparable(f, t)) {
                return null;
            }
            int c = ValueOrder.INSTANCE.compare(f, t);
            if (c > 0 || (c == 0 && !(fromInclusive && toInclusive))) {
                return null;
            }
        }
        PairKey lower;
        PairKey upper;
        if (openFrom && openTo) {
            lower = null;
            upper = null;
        } else {
            Object group = f != null ? f : t;
            lower = f == null ? PairKey.lowest(ValueOrder.groupStart(group))
                    : fromInclusive ? PairKey.lowest(f) : PairKey.highest(f);
            upper = t == null ? PairKey.highest(ValueOrder.groupEnd(group))
                    : toInclusive ? PairKey.highest(t) : PairKey.lowest(t);
        }
        return new PairKey[] {lower, upper};
    }

    private long count(PairKey lower, PairKey upper) {
        RepeatedKeysDictionary e = entries();
        TreeOps ops = e.ops();
        long pairs = (upper == null ? e.tree.size() : ops.rank(e.tree, upper))
                - (lower == null ? 0 : ops.rank(e.tree, lower));
        if (e.total == e.tree.size()) {
            // every pair occurs once (dictionaries, sets, lists without duplicates): pairs are records
            return pairs;
        }
        long total = 0;
        TreeCursor c = cursor(e, ops, lower);
        for (long i = 0; i < pairs && c.valid(); i++) {
            total += (Long) c.value();
            c.next();
        }
        return total;
    }

    private static TreeCursor cursor(RepeatedKeysDictionary e, TreeOps ops, PairKey lower) {
        return lower == null ? TreeCursor.atIndex(ops, e.tree, 0) : TreeCursor.atKey(ops, e.tree, lower, true);
    }

    private Stream<Object> records(PairKey lower, PairKey upper) {
        RepeatedKeysDictionary e = entries();
        TreeOps ops = e.ops();
        Comparator<Object> order = TreeOps.order(e.tree.kind());
        TreeCursor c = cursor(e, ops, lower);
        Iterator<Object> it = new Iterator<>() {
            Object pending;
            long repeat;

            @Override
            public boolean hasNext() {
                if (repeat > 0) {
                    return true;
                }
                if (!c.valid() || (upper != null && order.compare(c.key(), upper) >= 0)) {
                    return false;
                }
                if (holdsRecords) {
                    repeat = 1;
                    pending = c.value();
                } else {
                    repeat = (Long) c.value();
                    pending = host.recordOf(((PairKey) c.key()).value());
                }
                c.next();
                return true;
            }

            @Override
            public Object next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                repeat--;
                return Values.exposed(pending);
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    @Override
    public String toString() {
        return index.definition() + " (" + index.entries().total + " entries)";
    }
}
