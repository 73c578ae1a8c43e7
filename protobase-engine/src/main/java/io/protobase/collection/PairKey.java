package io.protobase.collection;

import io.protobase.codec.StableHash;
import io.protobase.codec.ValueOrder;

import java.util.Comparator;

/**
 * A key of a paired tree (multimap): the user key in total order, then the value by stable hash and
 * total order. All values of one key are adjacent, so a key's bucket is one range scan.
 */
record PairKey(Object key, long valueHash, Object value) {

    /** Sorts before every pair of its key. */
    static final Object LOW = new Object();
    /** Sorts after every pair of its key. */
    static final Object HIGH = new Object();

    static final Comparator<Object> ORDER = (a, b) -> {
        PairKey x = (PairKey) a;
        PairKey y = (PairKey) b;
        int c = ValueOrder.INSTANCE.compare(x.key, y.key);
        if (c != 0) {
            return c;
        }
        if (x.value == LOW || y.value == LOW || x.value == HIGH || y.value == HIGH) {
            return Integer.compare(bound(x.value), bound(y.value));
        }
        c = Long.compareUnsigned(x.valueHash, y.valueHash);
        return c != 0 ? c : ValueOrder.INSTANCE.compare(x.value, y.value);
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
