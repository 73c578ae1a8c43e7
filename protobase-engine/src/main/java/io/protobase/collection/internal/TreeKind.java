package io.protobase.collection.internal;

/**
 * The shapes of B+tree behind the collections: whether nodes carry keys and whether leaves carry
 * values. The ordinal is stored in every node atom (see {@code docs/atom-format.md}), which is why the
 * graph walks of this package read it; how each kind orders its keys is the collection layer's
 * business ({@code TreeOps}).
 */
public enum TreeKind {
    /** Keys in {@link io.protobase.codec.ValueOrder}; values present (Dictionary). */
    SORTED(true, true),
    /** Hashed keys (hash, then key); values present (HashDictionary, CountedSet). */
    HASHED(true, true),
    /**
     * Pairs of a key and the hash of a value, with occurrence counts (RepeatedKeysDictionary), or with
     * records (the entries of a covering index of a dictionary).
     */
    PAIRED(true, true),
    /** No keys: entries addressed by position through subtree counts (ProtoList). */
    POSITIONAL(false, true),
    /** Hashed keys without values (ProtoSet). */
    HASHED_SET(true, false),
    /**
     * Pairs and counts as {@link #PAIRED}, in the same order except that values equal in
     * {@link io.protobase.codec.ValueOrder} but of different exact form ({@code 0} and {@code 0L}) are
     * different pairs: the entries of a ProtoList's secondary index, whose values are the list's
     * elements and must come back as they were stored.
     */
    PAIRED_EXACT(true, true),
    /**
     * Pairs with occurrence counts or records as {@link #PAIRED}, ordered by key, then by the value in
     * {@link io.protobase.codec.ValueOrder} instead of its hash: the entries of a dictionary's secondary
     * index, whose values are the dictionary's keys. New entries of one index key then arrive where its
     * dictionary keys do (new ids at the end of the key's run), so a commit adding many records changes
     * few leaves of the index instead of one leaf per record.
     */
    PAIRED_BY_VALUE(true, true);

    /** The most entries a node of any kind holds; a node atom announcing more is corrupt. */
    public static final int MAX_NODE_ENTRIES = 64;

    /** Whether the nodes hold keys. */
    public final boolean keyed;
    /** Whether the leaves hold values. */
    public final boolean valued;

    TreeKind(boolean keyed, boolean valued) {
        this.keyed = keyed;
        this.valued = valued;
    }
}
