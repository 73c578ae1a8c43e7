package io.protobase.query;

import java.util.Iterator;
import java.util.stream.Stream;

/**
 * One operator of a query, reading the records of the plans it is based on. Plans are immutable
 * values that compose into a tree ({@code new SelectPlan(f, new WherePlan(p, new FromPlan(list)))}),
 * and running one is lazy: {@link #execute()} returns a stream that reads the source only as far as it
 * is consumed; only operators that must see every input before their first output (ordering,
 * grouping, the build side of a join) hold records in memory.
 *
 * <p>{@link #execute()} runs the plan exactly as built. {@link #optimize()} returns an equivalent plan
 * that uses the source collection's secondary indexes where the statistics say it pays ({@link
 * Query} always optimizes). {@link #estimate()} and {@link #explain()} read statistics only
 * (collection and index counts) and never run the plan.
 */
public interface QueryPlan {

    /** Streams the result records. */
    Stream<Object> execute();

    /** Iterates the result records. */
    default Iterator<Object> iterator() {
        return execute().iterator();
    }

    /** Counts the result records; index plans answer from index counts without loading records. */
    default long count() {
        try (Stream<Object> s = execute()) {
            return s.count();
        }
    }

    /** Returns an equivalent plan using indexes where they are cheaper than a scan. */
    QueryPlan optimize();

    /** Estimates the result size and the cost of producing it, from statistics only. */
    Estimate estimate();

    /** Describes this plan and its inputs with estimates, without executing anything. */
    Explanation explain();
}
