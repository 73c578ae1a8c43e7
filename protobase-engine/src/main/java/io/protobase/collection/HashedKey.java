package io.protobase.collection;

import io.protobase.codec.StableHash;
import io.protobase.codec.ValueOrder;

import java.util.Comparator;

/**
 * A key of a hashed tree: the stable 64-bit hash of a value, then the value itself, so entries
 * spread evenly and hash collisions are resolved by the value's total order.
 */
record HashedKey(long hash, Object value) {

    static final Comparator<Object> ORDER = (a, b) -> {
        HashedKey x = (HashedKey) a;
        HashedKey y = (HashedKey) b;
        int c = Long.compareUnsigned(x.hash, y.hash);
        return c != 0 ? c : ValueOrder.INSTANCE.compare(x.value, y.value);
    };

    static HashedKey of(Object value) {
        return new HashedKey(StableHash.of(value), value);
    }
}
