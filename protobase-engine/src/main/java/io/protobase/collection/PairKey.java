package io.protobase.collection;

import io.protobase.codec.StableHash;
import io.protobase.codec.ValueOrder;

import java.util.Comparator;

/**
 * A key of a paired tree (multimap): the user key in total order, then the value by stable hash and
 * total order. All values of one key are adjacent, so a key's bucket is one range scan.
 *
 * <p>{@link #ORDER} compares values as keys, so {@code 0} and {@code 0L} are one pair: a
 * {@link RepeatedKeysDictionary} counts them as one value, and a dictionary's index finds the pair of
 * its key whatever numeric type the caller names the key with. {@link #EXACT_ORDER} keeps such values
 * apart, for the entries of a list's index, whose values are the elements themselves.
 */
record PairKey(Object key, long valueHash, Object value) {

    /** Sorts before every pair of its key. */
    static final Object LOW = new Object();
    /** Sorts after every pair of its key. */
    static final Object HIGH = new Object();

    static final Comparator<Object> ORDER = (a, b) -> compare((PairKey) a, (PairKey) b, true);

    /**
     * The user key in total order, then the value in total order (no hash): the order of a
     * {@link io.protobase.collection.internal.TreeKind#PAIRED_BY_VALUE} tree. Values equal as keys are one
     * pair, as in {@link #ORDER}.
     */
    static final Comparator<Object> BY_VALUE_ORDER = (a, b) -> compare((PairKey) a, (PairKey) b, false);

    /** By key, then the bounds of a key's pairs, then (when {@code hashFirst}) by value hash, then by value. */
    private static int compare(PairKey x, PairKey y, boolean hashFirst) {
        int c = ValueOrder.INSTANCE.compare(x.key, y.key);
        if (c != 0) {
            return c;
        }
        int bx = bound(x.value);
        int by = bound(y.value);
        if (bx != 0 || by != 0) {
            return Integer.compare(bx, by);
        }
        if (hashFirst) {
            c = Long.compareUnsigned(x.valueHash, y.valueHash);
            if (c != 0) {
                return c;
            }
        }
        return ValueOrder.INSTANCE.compare(x.value, y.value);
    }

    /**
     * {@link #ORDER}, then the exact form of values it calls equal ({@link Values#compareExact}): a
     * refinement of {@link #ORDER}, so a bucket or range is still one scan between the same bounds.
     */
    static final Comparator<Object> EXACT_ORDER = (a, b) -> {
        int c = ORDER.compare(a, b);
        if (c != 0) {
            return c;
        }
        Object x = ((PairKey) a).value;
        Object y = ((PairKey) b).value;
        return bound(x) != 0 || bound(y) != 0 ? 0 : Values.compareExact(x, y);
    };

    private static int bound(Object value) {
        return value == LOW ? -1 : value == HIGH ? 1 : 0;
    }

    static PairKey of(Object key, Object value) {
        return new PairKey(key, StableHash.of(value), value);
    }

    /** The smallest pair of {@code key}, for seeking to the start of its bucket. */
    static PairKey lowest(Object key) {
        return new PairKey(key, 0, LOW);
    }

    /** The largest pair of {@code key}, for seeking past its bucket. */
    static PairKey highest(Object key) {
        return new PairKey(key, 0, HIGH);
    }
}
