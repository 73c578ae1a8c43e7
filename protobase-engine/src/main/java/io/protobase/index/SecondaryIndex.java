package io.protobase.index;


import java.util.stream.Stream;

/**
 * One secondary index of a collection, as the query optimizer sees it: lookups and ordered range
 * scans that yield the collection's <em>records</em> (list and set elements, dictionary values),
 * and counts that cost O(log n) without loading records.
 *
 * <p>Keys compare under {@link io.protobase.codec.ValueOrder} (so {@code 1}, {@code 1L} and
 * {@code 1.0} are one key). A record appears once per distinct key it has; a list element that
 * occurs {@code n} times in the list appears {@code n} times. A range covers only keys of the same
 * group as its bounds (numbers with numbers, strings with strings, ...): queries treat comparisons
 * across groups as false.
 */
public interface SecondaryIndex {

    /** Returns the definition of this index. */
    IndexDefinition definition();

    /**
     * Returns whether the index yields records from its own entries, without looking each one up
     * in the collection: a {@link IndexDefinition#covering() covering} index, or any index of a
     * collection whose elements are their own ids (lists, sets).
     */
    default boolean isCovering() {
        return definition().isCovering();
    }

    /** Returns the number of (key, record) entries. */
    long entryCount();

    /** Returns the number of distinct keys. */
    long distinctKeys();

    /** Streams the records whose key equals {@code key}. */
    Stream<Object> lookup(Object key);

    /** Counts the records whose key equals {@code key}, without loading them. */
    long count(Object key);

    /**
     * Streams the records whose key lies between the bounds, in key order. Either bound may be
     * {@code Dictionary.UNBOUNDED}; the range then ends where the other bound's group ends. With
     * both unbounded, every entry.
     */
    Stream<Object> range(Object from, boolean fromInclusive, Object to, boolean toInclusive);

    /** Counts the records a {@link #range} with the same bounds would stream, without loading them. */
    long countRange(Object from, boolean fromInclusive, Object to, boolean toInclusive);
}
