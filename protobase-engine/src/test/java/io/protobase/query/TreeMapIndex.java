package io.protobase.query;

import io.protobase.collection.Dictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.index.SecondaryIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A test-side {@link SecondaryIndex} over a {@code TreeMap} in the model's total order
 * ({@link QueryModel#ORDER}, not the engine's), built once from a list of records with the model's
 * own field paths, honouring the SPI contract: a record appears once per key (per occurrence in the
 * list), null and absent fields are not indexed, a range stays within its bound's type group. It
 * also counts how many records the queries read through it.
 */
final class TreeMapIndex implements SecondaryIndex {

    private final IndexDefinition definition;
    private final TreeMap<Object, List<Object>> buckets = new TreeMap<>(QueryModel.ORDER);
    private long entries;
    long recordsRead;

    TreeMapIndex(IndexDefinition definition, List<Object> records) {
        this.definition = definition;
        for (Object r : records) {
            for (Object k : keysOf(definition, r)) {
                buckets.computeIfAbsent(k, x -> new ArrayList<>()).add(r);
                entries++;
            }
        }
    }

    /**
     * The keys of a record as the SPI documents them, computed by the model: a path index holds the
     * field's value unless absent or null; an extractor index one key per distinct non-null element
     * when the function gives a collection, else the value itself.
     */
    private static List<Object> keysOf(IndexDefinition definition, Object record) {
        if (definition.path().isPresent()) {
            return QueryModel.indexKeys(definition.path().get().toString(), record);
        }
        Object raw = definition.extractor().orElseThrow().apply(record);
        if (raw instanceof Iterable<?> elements) {
            TreeSet<Object> keys = new TreeSet<>(QueryModel.ORDER);
            elements.forEach(e -> {
                if (e != null) {
                    keys.add(e);
                }
            });
            return new ArrayList<>(keys);
        }
        return raw == null ? List.of() : List.of(raw);
    }

    @Override
    public IndexDefinition definition() {
        return definition;
    }

    @Override
    public long entryCount() {
        return entries;
    }

    @Override
    public long distinctKeys() {
        return buckets.size();
    }

    @Override
    public Stream<Object> lookup(Object key) {
        return buckets.getOrDefault(key, List.of()).stream().peek(r -> recordsRead++);
    }

    @Override
    public long count(Object key) {
        return buckets.getOrDefault(key, List.of()).size();
    }

    @Override
    public Stream<Object> range(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        return bucketsIn(from, fromInclusive, to, toInclusive).flatMap(List::stream).peek(r -> recordsRead++);
    }

    @Override
    public long countRange(Object from, boolean fromInclusive, Object to, boolean toInclusive) {
        return bucketsIn(from, fromInclusive, to, toInclusive).mapToLong(List::size).sum();
    }

    private Stream<List<Object>> bucketsIn(Object from, boolean fi, Object to, boolean ti) {
        boolean openFrom = from == Dictionary.UNBOUNDED;
        boolean openTo = to == Dictionary.UNBOUNDED;
        if (openFrom && openTo) {
            return buckets.values().stream();
        }
        if (!openFrom && !openTo && QueryModel.ORDER.compare(from, to) > 0) {
            return Stream.empty();
        }
        NavigableMap<Object, List<Object>> sub = buckets;
        if (!openFrom) {
            sub = sub.tailMap(from, fi);
        }
        if (!openTo) {
            sub = sub.headMap(to, ti);
        }
        Object group = openFrom ? to : from;
        return sub.entrySet().stream()
                .filter(e -> QueryModel.group(group) == QueryModel.group(e.getKey()))
                .map(java.util.Map.Entry::getValue);
    }
}
