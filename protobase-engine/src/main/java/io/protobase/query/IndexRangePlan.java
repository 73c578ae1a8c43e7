package io.protobase.query;

import io.protobase.collection.Dictionary;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;
import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The records of an indexed collection whose key in one secondary index lies between two bounds, in
 * key order, read by an ordered index scan. Either bound may be {@link Dictionary#UNBOUNDED}; a range
 * stays within its bounds' type group (numbers with numbers, strings with strings), which is exactly
 * where the query's orderings are defined. Bounds of different groups, or a low bound above the high
 * one, give an empty range without touching the index.
 *
 * <p>With a multi-valued extractor index (used by name only), a record with several keys in the range
 * appears once per such key.
 */
public final class IndexRangePlan implements QueryPlan {

    private final IndexedCollection source;
    private final SecondaryIndex index;
    private final Object from;
    private final boolean fromInclusive;
    private final Object to;
    private final boolean toInclusive;
    private final boolean empty;

    /**
     * Scans a range of a secondary index by name: {@code new IndexRangePlan(products, "price", 10, true,
     * Dictionary.UNBOUNDED, false)} reads every record priced 10 or more, by price.
     *
     * @param source        the indexed collection, not {@code null}
     * @param indexName     the name of one of its indexes
     * @param from          the low bound, or {@link Dictionary#UNBOUNDED}
     * @param fromInclusive whether a key equal to {@code from} is in the range
     * @param to            the high bound, or {@link Dictionary#UNBOUNDED}
     * @param toInclusive   whether a key equal to {@code to} is in the range
     * @throws QueryException if the collection has no index of that name, or a bound is {@code null} or
     *                        not an orderable value
     */
    public IndexRangePlan(IndexedCollection source, String indexName, Object from, boolean fromInclusive, Object to,
                          boolean toInclusive) {
        this.source = Objects.requireNonNull(source, "source");
        this.index = resolve(source, indexName);
        this.from = bound(from, indexName);
        this.fromInclusive = fromInclusive;
        this.to = bound(to, indexName);
        this.toInclusive = toInclusive;
        this.empty = isEmpty(this.from, fromInclusive, this.to, toInclusive);
    }

    static SecondaryIndex resolve(IndexedCollection source, String indexName) {
        SecondaryIndex index = source.indexes().get(indexName);
        if (index == null) {
            throw new QueryException("The " + source.getClass().getSimpleName() + " has no index named '" + indexName
                    + "'; its indexes are " + source.indexes().keySet()
                    + ". Add the index to the collection, or filter with Query.where(...) to scan");
        }
        return index;
    }

    private static Object bound(Object b, String indexName) {
        if (b == Dictionary.UNBOUNDED) {
            return b;
        }
        if (ValueSemantics.missing(b) || !ValueSemantics.orderable(b)) {
            throw new QueryException("Cannot scan index '" + indexName + "' from or to " + ValueSemantics.describe(b)
                    + ": a bound is an orderable, non-null value or Dictionary.UNBOUNDED");
        }
        return b;
    }

    private static boolean isEmpty(Object from, boolean fi, Object to, boolean ti) {
        if (from == Dictionary.UNBOUNDED || to == Dictionary.UNBOUNDED) {
            return false;
        }
        Integer c = ValueSemantics.compareWithinGroup(from, to);
        return c == null || c > 0 || (c == 0 && !(fi && ti));
    }

    /**
     * The index read.
     *
     * @return the index's name
     */
    public String indexName() {
        return index.definition().name();
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return empty ? Stream.empty() : Stream.of(0).flatMap(x -> index.range(from, fromInclusive, to, toInclusive));
    }

    /** Ranges always count from the index: a range yields exactly what {@code countRange} counts. */
    boolean countsFromIndex() {
        return true;
    }

    @Override
    public long count() {
        return empty ? 0 : index.countRange(from, fromInclusive, to, toInclusive);
    }

    double seekCost() {
        return 2 * Estimate.log2(index.entryCount());
    }

    @Override
    public QueryPlan optimize() {
        return this;
    }

    @Override
    public Estimate estimate() {
        double rows = count();
        return new Estimate(rows, rows * Estimate.readCost(index) + seekCost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("index", indexName());
        if (index.isCovering()) {
            d.put("covering", "true");
        }
        d.put("range", (fromInclusive ? "[" : "(") + show(from) + ", " + show(to) + (toInclusive ? "]" : ")"));
        d.put("collection", source.getClass().getSimpleName() + " of " + source.count());
        return Explanation.of("IndexRange", Explanation.Access.INDEX, d, estimate());
    }

    private static String show(Object bound) {
        return bound == Dictionary.UNBOUNDED ? "*" : ValueSemantics.show(bound);
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
