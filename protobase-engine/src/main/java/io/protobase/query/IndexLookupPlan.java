package io.protobase.query;

import io.protobase.codec.ValueOrder;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;
import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The records of an indexed collection whose key in one secondary index equals one of several keys
 * (an equality or an IN), read from the index without scanning the collection: key by key in {@link
 * ValueOrder}, each key's records in the index's order. Keys equal under {@code ValueOrder} ({@code
 * 1}, {@code 1L}) are looked up once.
 *
 * <p>The optimizer builds these for path indexes; build one yourself to use an index by name, which
 * is the only way to query an extractor index. A record has one key in a path index; a record of a
 * multi-valued extractor index that has several of the keys appears once (at its first matching key),
 * so the result never repeats a record more often than the collection holds it.
 */
public final class IndexLookupPlan implements QueryPlan {

    private final IndexedCollection source;
    private final SecondaryIndex index;
    private final List<Object> keys;

    /**
     * Looks up keys in a secondary index by name: {@code new IndexLookupPlan(products, "category",
     * List.of("books", "games"))}.
     *
     * @param source    the indexed collection, not {@code null}
     * @param indexName the name of one of its indexes
     * @param keys      the keys; {@code null} keys are skipped, as {@code null} is never indexed
     * @throws QueryException if the collection has no index of that name, or a key is not an orderable
     *                        value (a {@code Float}, a collection, an arbitrary object)
     */
    public IndexLookupPlan(IndexedCollection source, String indexName, List<? extends @Nullable Object> keys) {
        this.source = Objects.requireNonNull(source, "source");
        this.index = IndexRangePlan.resolve(source, indexName);
        TreeSet<Object> distinct = new TreeSet<>(ValueOrder.INSTANCE);
        for (Object k : keys) {
            if (ValueSemantics.missing(k)) {
                continue; // null is never indexed: a lookup of it finds nothing
            }
            if (!ValueSemantics.orderable(k)) {
                throw new QueryException("Cannot look up " + ValueSemantics.describe(k) + " in index '" + indexName
                        + "': index keys are orderable values (no Float, collections or arbitrary objects)");
            }
            distinct.add(k);
        }
        this.keys = List.copyOf(distinct);
    }

    /**
     * Looks up one key in a secondary index by name.
     *
     * @param source    the indexed collection, not {@code null}
     * @param indexName the name of one of its indexes
     * @param key       the key; {@code null} finds nothing
     * @throws QueryException if the collection has no index of that name, or the key is not orderable
     */
    public IndexLookupPlan(IndexedCollection source, String indexName, @Nullable Object key) {
        this(source, indexName, java.util.Collections.singletonList(key));
    }

    /**
     * The index read.
     *
     * @return the index's name
     */
    public String indexName() {
        return index.definition().name();
    }

    /**
     * The keys looked up, in {@link ValueOrder}, without {@code null}s and repeats.
     *
     * @return the keys, unmodifiable
     */
    public List<Object> keys() {
        return keys;
    }

    @Override
    public Stream<@Nullable Object> execute() {
        boolean dedup = !countsFromIndex();
        return IntStream.range(0, keys.size()).boxed().flatMap(i -> {
            Stream<@Nullable Object> records = index.lookup(keys.get(i));
            if (!dedup || i == 0) {
                return records;
            }
            List<Object> earlier = keys.subList(0, i);
            return records.filter(r -> index.definition().keysOf(r).stream()
                    .noneMatch(k -> earlier.stream().anyMatch(e -> ValueOrder.INSTANCE.same(e, k))));
        });
    }

    /** Whether {@link #count()} is a sum of index counts: a path index, or a single key. */
    boolean countsFromIndex() {
        return !index.definition().isExtractor() || keys.size() <= 1;
    }

    @Override
    public long count() {
        if (countsFromIndex()) {
            long n = 0;
            for (Object k : keys) {
                n += index.count(k);
            }
            return n;
        }
        return QueryPlan.super.count();
    }

    double lookupCost() {
        return keys.size() * Estimate.log2(index.entryCount());
    }

    @Override
    public QueryPlan optimize() {
        return this;
    }

    @Override
    public Estimate estimate() {
        double rows = 0;
        for (Object k : keys) {
            rows += index.count(k);
        }
        return new Estimate(rows, rows * Estimate.readCost(index) + lookupCost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("index", indexName());
        if (index.isCovering()) {
            d.put("covering", "true");
        }
        d.put("keys", keys.stream().map(ValueSemantics::show).collect(Collectors.joining(", ", "[", "]")));
        d.put("collection", source.getClass().getSimpleName() + " of " + source.count());
        return Explanation.of("IndexLookup", Explanation.Access.INDEX, d, estimate());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
