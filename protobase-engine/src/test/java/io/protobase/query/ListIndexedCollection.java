package io.protobase.query;

import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A test-side {@link IndexedCollection}: an immutable list of records with {@link TreeMapIndex}es,
 * standing in for the engine's collections until they implement the SPI. Counts full scans.
 */
final class ListIndexedCollection implements IndexedCollection {

    private final List<Object> records;
    private final Map<String, SecondaryIndex> indexes = new LinkedHashMap<>();
    int scans;

    ListIndexedCollection(List<?> records, IndexDefinition... definitions) {
        this.records = Collections.unmodifiableList(new java.util.ArrayList<>(records));
        for (IndexDefinition d : definitions) {
            indexes.put(d.name(), new TreeMapIndex(d, this.records));
        }
    }

    TreeMapIndex index(String name) {
        return (TreeMapIndex) indexes.get(name);
    }

    @Override
    public Map<String, SecondaryIndex> indexes() {
        return Collections.unmodifiableMap(indexes);
    }

    @Override
    public Stream<Object> records() {
        scans++;
        return records.stream();
    }

    @Override
    public long count() {
        return records.size();
    }
}
