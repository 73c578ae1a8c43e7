package io.protobase.index;


import org.jspecify.annotations.Nullable;

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
 *
 * <p>Records come back as the collection holds them, with their exact types: keys match whatever
 * the type of a number, records are never merged or converted by it. A list holding {@code 0} and
 * {@code 0L} yields both from {@code lookup(0)}, one {@code Integer} and one {@code Long}.
 */
public interface SecondaryIndex {

    /**
     * Returns the definition of this index.
     *
     * @return the definition the collection was given
     */
    IndexDefinition definition();

    /**
     * Returns whether the index yields records from its own entries, without looking each one up
     * in the collection: a {@link IndexDefinition#covering() covering} index, or any index of a
     * collection whose elements are their own ids (lists, sets).
     *
     * @return {@code true} when lookups and ranges do not read the collection
     */
    default boolean isCovering() {
        return definition().isCovering();
    }

    /**
     * Returns the number of (key, record) entries.
     *
     * @return the entry count, without loading records
     */
    long entryCount();

    /**
     * Returns the number of distinct keys.
     *
     * @return the distinct key count, without loading records
     */
    long distinctKeys();

    /**
     * Streams the records whose key equals {@code key}.
     *
     * @param key the key; {@code null} finds nothing, as it is never indexed
     * @return the records, in the index's order
     */
    Stream<@Nullable Object> lookup(@Nullable Object key);

    /**
     * Counts the records whose key equals {@code key}, without loading them.
     *
     * @param key the key; {@code null} counts 0
     * @return the number of entries with that key
     */
    long count(@Nullable Object key);

    /**
     * Streams the records whose key lies between the bounds, in key order. Either bound may be
     * {@code Dictionary.UNBOUNDED}; the range then ends where the other bound's group ends. With
     * both unbounded, every entry.
     *
     * @param from          the low bound, or {@code Dictionary.UNBOUNDED}
     * @param fromInclusive whether a key equal to {@code from} is in the range
     * @param to            the high bound, or {@code Dictionary.UNBOUNDED}
     * @param toInclusive   whether a key equal to {@code to} is in the range
     * @return the records in the range, in key order
     */
    Stream<@Nullable Object> range(Object from, boolean fromInclusive, Object to, boolean toInclusive);

    /**
     * Counts the records a {@link #range} with the same bounds would stream, without loading them.
     *
     * @param from          the low bound, or {@code Dictionary.UNBOUNDED}
     * @param fromInclusive whether a key equal to {@code from} is in the range
     * @param to            the high bound, or {@code Dictionary.UNBOUNDED}
     * @param toInclusive   whether a key equal to {@code to} is in the range
     * @return the number of entries in the range
     */
    long countRange(Object from, boolean fromInclusive, Object to, boolean toInclusive);
}
