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

    static final Comparator<Object> ORDER = (a, b) -> {
        PairKey x = (PairKey) a;
        PairKey y = (PairKey) b;
        int c = ValueOrder.INSTANCE.compare(x.key, y.key);
        if (c != 0) {
            return c;
        }
        if (x.value == LOW || y.value == LOW) {
            return x.value == y.value ? 0 : (x.value == LOW ? -1 : 1);
        }
        c = Long.compareUnsigned(x.valueHash, y.valueHash);
        return c != 0 ? c : ValueOrder.INSTANCE.compare(x.value, y.value);
    };

    static PairKey of(Object key, Object value) {
        return new PairKey(key, StableHash.of(value), value);
    }

    /** The smallest pair of {@code key}, for seeking to the start of its bucket. */
    static PairKey lowest(Object key) {
        return new PairKey(key, 0, LOW);
    }
}
