package io.protobase.collection;

import java.util.Comparator;

/**
 * A search aid for a stored node whose keys are all strings: their common prefix, and for each key the
 * three characters that follow it packed into a {@code long}, so that a binary search compares numbers
 * in one small array instead of following each key to its characters (the value order compares strings
 * by UTF-16 code units, as {@link String#compareTo} does, and so does the packing). Keys that pack
 * alike are equal when they end within the packed characters, and are otherwise told apart by the full
 * comparison. Built once per stored node, which never changes.
 */
final class StringKeyIndex {

    /** Characters packed per key: 17 bits each (the code unit plus one; 0 past the key's end). */
    private static final int CHARS = 3;
    private static final int BITS = 17;
    /** The last packed character: 0 when the key ends within the packed ones. */
    private static final long LAST = (1L << BITS) - 1;
    /** Fewer keys than this are searched as they are: the index would not pay for itself. */
    static final int MIN_KEYS = 8;

    /** The first key the index covers: 0 in a leaf, 1 in an internal node (whose key 0 is not compared). */
    private final int from;
    private final String prefix;
    private final long[] packed;

    private StringKeyIndex(int from, String prefix, long[] packed) {
        this.from = from;
        this.prefix = prefix;
        this.packed = packed;
    }

    /** The index of {@code keys[from..size)}, or {@code null} when one of them is not a string or they are few. */
    static StringKeyIndex of(Object[] keys, int from, int size) {
        if (size - from < MIN_KEYS) {
            return null;
        }
        for (int i = from; i < size; i++) {
            if (!(keys[i] instanceof String)) {
                return null;
            }
        }
        // the keys are in order: what the first and the last share, all share
        String first = (String) keys[from];
        String last = (String) keys[size - 1];
        int n = 0;
        int max = Math.min(first.length(), last.length());
        while (n < max && first.charAt(n) == last.charAt(n)) {
            n++;
        }
        long[] packed = new long[size - from];
        for (int i = from; i < size; i++) {
            packed[i - from] = pack((String) keys[i], n);
        }
        return new StringKeyIndex(from, first.substring(0, n), packed);
    }

    private static long pack(String s, int at) {
        long v = 0;
        for (int k = 0; k < CHARS; k++) {
            int c = at + k < s.length() ? s.charAt(at + k) + 1 : 0;
            v = (v << BITS) | c;
        }
        return v;
    }

    /**
     * Where {@code key} stands among the keys: as a binary search over {@code keys[from..size)} would
     * answer, the index of the last key at or below it ({@code floor}), or of an equal key ({@code exact},
     * {@code -(insertion point + 1)} when there is none).
     *
     * @param exact {@code true} for a leaf's search, {@code false} for the child of an internal node
     */
    int search(Object[] keys, String key, Comparator<Object> order, boolean exact) {
        int lo = 0;
        int hi = packed.length - 1;
        if (!key.startsWith(prefix)) {
            // every key starts with the prefix, so where the key leaves it decides
            if (key.compareTo(prefix) < 0) {
                hi = -1;
            } else {
                lo = packed.length;
            }
        } else {
            long p = pack(key, prefix.length());
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                long m = packed[mid];
                // equal packs that end within the packed characters are equal keys: no need to read the key
                int c = m < p ? -1 : m > p ? 1 : (p & LAST) == 0 ? 0 : order.compare(keys[from + mid], key);
                if (c < 0) {
                    lo = mid + 1;
                } else if (c > 0) {
                    hi = mid - 1;
                } else if (exact) {
                    return from + mid;
                } else {
                    lo = mid + 1;
                }
            }
        }
        return exact ? -(from + lo + 1) : from + lo - 1;
    }
}
