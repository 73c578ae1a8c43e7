package io.protobase.query;

import org.jspecify.annotations.Nullable;

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

    /**
     * Runs the plan exactly as built (no optimization) and streams its records lazily; close the
     * stream when not reading it to the end.
     *
     * @return the result records, read from the source as they are consumed
     * @throws QueryException if the plan meets records it cannot process (see the operator)
     */
    Stream<@Nullable Object> execute();

    /**
     * Runs the plan as {@link #execute()} does and iterates its records.
     *
     * @return an iterator over the result records
     */
    default Iterator<@Nullable Object> iterator() {
        return execute().iterator();
    }

    /**
     * Counts the result records; index plans answer from index counts without loading records.
     *
     * @return the number of result records
     */
    default long count() {
        try (Stream<@Nullable Object> s = execute()) {
            return s.count();
        }
    }

    /**
     * Returns an equivalent plan using indexes where they are cheaper than a scan; this plan is
     * unchanged.
     *
     * @return the optimized plan, giving the same records (see {@link IndexPlanner} for the order)
     */
    QueryPlan optimize();

    /**
     * Estimates the result size and the cost of producing it, from statistics only.
     *
     * @return the estimate; nothing is executed
     */
    Estimate estimate();

    /**
     * Describes this plan and its inputs with estimates, without executing anything.
     *
     * @return the explanation tree
     */
    Explanation explain();
}
