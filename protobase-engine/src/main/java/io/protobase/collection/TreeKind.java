package io.protobase.collection;

import io.protobase.codec.ValueOrder;

import java.util.Comparator;

/**
 * The four shapes of B+tree behind the collections: how keys are ordered and whether leaves carry
 * values. The ordinal is stored in every node atom (see {@code docs/atom-format.md}).
 */
enum TreeKind {
    /** Keys in {@link ValueOrder}; values present (Dictionary). */
    SORTED(true, true, ValueOrder.INSTANCE),
    /** {@link HashedKey}s; values present (HashDictionary, CountedSet) or absent (ProtoSet). */
    HASHED(true, true, HashedKey.ORDER),
    /**
     * {@link PairKey}s with occurrence counts (RepeatedKeysDictionary), or with records (the entries
     * of a covering index of a dictionary, see {@link Indexes}).
     */
    PAIRED(true, true, PairKey.ORDER),
    /** No keys: entries addressed by position through subtree counts (ProtoList). */
    POSITIONAL(false, true, null),
    /** {@link HashedKey}s without values (ProtoSet). */
    HASHED_SET(true, false, HashedKey.ORDER);

    final boolean keyed;
    final boolean valued;
    final Comparator<Object> order;

    TreeKind(boolean keyed, boolean valued, Comparator<Object> order) {
        this.keyed = keyed;
        this.valued = valued;
        this.order = order;
    }
}
