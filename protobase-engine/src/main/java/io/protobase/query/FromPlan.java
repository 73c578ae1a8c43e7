package io.protobase.query;

import io.protobase.collection.CountedSet;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.index.IndexedCollection;
import org.jspecify.annotations.Nullable;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The records of a collection, read in the collection's own order by a full scan. What a record is
 * depends on the source:
 * <ul>
 *   <li>{@link ProtoList}: its elements, in list order, an element occurring {@code n} times {@code n}
 *       times;</li>
 *   <li>{@link ProtoSet}: its elements; {@link CountedSet}: its elements, each as many times as it is
 *       counted;</li>
 *   <li>{@link Dictionary} (in key order) and {@link HashDictionary}: the <em>values</em>, not the
 *       keys — store the key inside the value if queries need it;</li>
 *   <li>an {@link IndexedCollection}: its {@link IndexedCollection#records() records}, and the
 *       optimizer may answer filters over it from its secondary indexes;</li>
 *   <li>a {@code java.util.Map}: its values; any other {@link Iterable}: its elements.</li>
 * </ul>
 * Nothing is read until the stream is consumed.
 */
public final class FromPlan implements QueryPlan {

    private final Object source;

    /**
     * A scan of a collection; see the class comment for what the records of each source are.
     *
     * @param source the collection, {@code Map} or {@code Iterable} to read
     * @throws QueryException if {@code source} is {@code null} or none of those
     */
    public FromPlan(Object source) {
        if (!isCollection(source) && !(source instanceof Map<?, ?>)) {
            throw new QueryException("Cannot query " + (source == null ? "null" : "a " + source.getClass().getName())
                    + ": FromPlan reads a ProtoList, ProtoSet, CountedSet, Dictionary or HashDictionary (values), "
                    + "an IndexedCollection, a java.util.Map (values) or any Iterable");
        }
        this.source = source;
    }

    /**
     * The collection scanned.
     *
     * @return the source given to the constructor
     */
    public Object source() {
        return source;
    }

    /**
     * The source as an indexed collection, when it is one.
     *
     * @return the indexed source, or empty when the source has no secondary indexes
     */
    public Optional<IndexedCollection> indexed() {
        return source instanceof IndexedCollection c ? Optional.of(c) : Optional.empty();
    }

    /**
     * The number of records, when the source knows it without being read.
     *
     * @return the count, or empty for a source that must be read to be counted (a plain {@code Iterable})
     */
    public OptionalLong knownCount() {
        if (source instanceof IndexedCollection c) {
            return OptionalLong.of(c.count());
        }
        if (source instanceof CountedSet c) {
            return OptionalLong.of(c.totalCount());
        }
        if (source instanceof io.protobase.collection.ProtoCollection c) {
            return OptionalLong.of(c.count());
        }
        if (source instanceof Collection<?> c) {
            return OptionalLong.of(c.size());
        }
        if (source instanceof Map<?, ?> m) {
            return OptionalLong.of(m.size());
        }
        return OptionalLong.empty();
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return recordsOf(source);
    }

    @Override
    public long count() {
        OptionalLong n = knownCount();
        return n.isPresent() ? n.getAsLong() : QueryPlan.super.count();
    }

    @Override
    public QueryPlan optimize() {
        return this;
    }

    @Override
    public Estimate estimate() {
        double n = knownCount().isPresent() ? knownCount().getAsLong() : Estimate.UNKNOWN_SIZE;
        return new Estimate(n, n);
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("source", source.getClass().getSimpleName());
        if (knownCount().isEmpty()) {
            d.put("size", "unknown");
        }
        return Explanation.of("From", Explanation.Access.SCAN, d, estimate());
    }

    @Override
    public String toString() {
        return explain().toText();
    }

    /** Whether {@code v} is something whose records {@link #recordsOf} can stream. */
    static boolean isCollection(Object v) {
        return v instanceof IndexedCollection || v instanceof ProtoList || v instanceof ProtoSet
                || v instanceof CountedSet || v instanceof Dictionary || v instanceof HashDictionary
                || v instanceof Iterable<?> || v instanceof Object[];
    }

    /** The records of a collection, Map or Iterable (see the class comment). */
    static Stream<@Nullable Object> recordsOf(Object source) {
        if (source instanceof IndexedCollection c) {
            return c.records();
        }
        if (source instanceof ProtoList l) {
            return l.stream();
        }
        if (source instanceof ProtoSet s) {
            return s.stream();
        }
        if (source instanceof CountedSet s) {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(s.counts(), Spliterator.ORDERED), false)
                    .flatMap(e -> LongStream.range(0, e.getValue()).mapToObj(i -> e.getKey()));
        }
        if (source instanceof Dictionary d) {
            return d.values();
        }
        if (source instanceof HashDictionary d) {
            return d.stream().map(Map.Entry::getValue);
        }
        if (source instanceof Map<?, ?> m) {
            return m.values().stream().map(v -> (Object) v);
        }
        if (source instanceof Collection<?> c) {
            return c.stream().map(v -> (Object) v);
        }
        if (source instanceof Object[] a) {
            return Stream.of(a);
        }
        if (source instanceof Iterable<?> it) {
            Iterator<?> i = it.iterator();
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(i, Spliterator.ORDERED), false)
                    .map(v -> (Object) v);
        }
        throw new QueryException("Cannot read records from a " + source.getClass().getName());
    }
}
