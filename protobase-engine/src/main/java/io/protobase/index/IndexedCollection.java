package io.protobase.index;

import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A collection that carries secondary indexes: {@code ProtoList}, {@code ProtoSet}, {@code
 * Dictionary} and {@code HashDictionary} (whose records are its values). The indexes are part of
 * the collection value: every mutator maintains them, and they are stored and reloaded with it.
 */
public interface IndexedCollection {

    /**
     * Returns the indexes by name.
     *
     * @return the indexes; empty when the collection has none
     */
    Map<String, SecondaryIndex> indexes();

    /**
     * Returns the index on a field path, if there is one.
     *
     * @param path the field path
     * @return the first index declared on {@code path}, or empty
     */
    default Optional<SecondaryIndex> indexOn(FieldPath path) {
        return indexes().values().stream()
                .filter(i -> i.definition().path().map(path::equals).orElse(false))
                .findFirst();
    }

    /**
     * Streams the records in the collection's own order (a full scan).
     *
     * @return the records: list and set elements, dictionary values
     */
    Stream<@Nullable Object> records();

    /**
     * Returns the number of records.
     *
     * @return the record count, without reading the records
     */
    long count();
}
