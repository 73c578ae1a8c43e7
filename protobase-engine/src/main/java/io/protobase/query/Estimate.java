package io.protobase.query;

import io.protobase.index.SecondaryIndex;

/**
 * What the optimizer believes about a plan before running it: the number of records it yields and
 * its cost, in units of "one record read from the collection or an index". Both are computed from
 * collection counts and {@link io.protobase.index.SecondaryIndex} counts, never by executing.
 *
 * @param rows the number of records the plan is expected to yield
 * @param cost the expected number of record reads to produce them
 */
public record Estimate(double rows, double cost) {

    /** Records read per record yielded by an index lookup, relative to a sequential scan's 1. */
    static final double INDEX_READ_COST = 2.0;
    /**
     * The same for a covering index, whose entries carry their records: reading one is a step of a
     * sequential walk, like a scan's, with no lookup in the collection.
     */
    static final double COVERING_READ_COST = 1.0;

    /** The cost of reading one record through {@code index}. */
    static double readCost(SecondaryIndex index) {
        return index.isCovering() ? COVERING_READ_COST : INDEX_READ_COST;
    }
    /** The size assumed for a source whose size is unknown (a plain {@code Iterable}). */
    static final double UNKNOWN_SIZE = 1000;

    static double log2(double n) {
        return Math.log(Math.max(n, 1) + 1) / Math.log(2);
    }
}
