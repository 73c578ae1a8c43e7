package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** The first {@code limit} records of its input; stops reading the input once they are out. */
public final class LimitPlan implements QueryPlan {

    private final long limit;
    private final QueryPlan basedOn;

    /**
     * Keeps the first {@code limit} records.
     *
     * @param limit   the number of records to keep, 0 or more
     * @param basedOn the input plan, not {@code null}
     * @throws QueryException if {@code limit} is negative
     */
    public LimitPlan(long limit, QueryPlan basedOn) {
        if (limit < 0) {
            throw new QueryException("limit(" + limit + ") is negative; pass the number of records to keep, 0 or more");
        }
        this.limit = limit;
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * The number of records kept.
     *
     * @return the limit
     */
    public long limit() {
        return limit;
    }

    /**
     * The plan this one reads.
     *
     * @return the input plan
     */
    public QueryPlan basedOn() {
        return basedOn;
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return basedOn.execute().limit(limit);
    }

    @Override
    public long count() {
        return Math.min(limit, basedOn.count());
    }

    @Override
    public QueryPlan optimize() {
        return new LimitPlan(limit, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        double rows = Math.min(limit, in.rows());
        // a pipelined input stops early; estimate the cost share actually read
        double share = in.rows() <= 0 ? 1 : Math.min(1, rows / in.rows());
        return new Estimate(rows, pipelined(basedOn) ? in.cost() * share : in.cost());
    }

    /** Whether a plan produces records as it reads, so reading a prefix costs a prefix of its cost. */
    static boolean pipelined(QueryPlan p) {
        return !(p instanceof OrderByPlan || p instanceof GroupByPlan || p instanceof JoinPlan);
    }

    @Override
    public Explanation explain() {
        return Explanation.of("Limit", Explanation.Access.NONE, Map.of("limit", Long.toString(limit)), estimate(),
                basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
