package io.protobase.index;

import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A collection that carries secondary indexes: {@code ProtoList}, {@code ProtoSet}, {@code
 * Dictionary} and {@code HashDictionary} (whose records are its values). The indexes are part of
 * the collection value: every mutator maintains them, and they are stored and reloaded with it.
 */
public interface IndexedCollection {

    /** Returns the indexes by name. */
    Map<String, SecondaryIndex> indexes();

    /** Returns the index on {@code path}, if there is one. */
    default Optional<SecondaryIndex> indexOn(FieldPath path) {
        return indexes().values().stream()
                .filter(i -> i.definition().path().map(path::equals).orElse(false))
                .findFirst();
    }

    /** Streams the records in the collection's own order (a full scan). */
    Stream<Object> records();

    /** Returns the number of records. */
    long count();
}
