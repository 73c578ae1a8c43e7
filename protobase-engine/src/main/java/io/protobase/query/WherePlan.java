package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The records of its input for which a filter holds, in input order. The filter is either a Java
 * lambda, which is opaque and always evaluated record by record, or an {@link Expression}, which
 * {@link #optimize()} may answer from secondary indexes when the input is a {@link FromPlan} over an
 * {@link io.protobase.index.IndexedCollection} (see {@link IndexPlanner} for the rules).
 *
 * <p>Without statistics about a lambda or an unindexed field, the estimate uses fixed selectivities
 * (equality 5%, ranges 30%, lambdas 50%...), documented in {@code docs/queries.md}.
 */
public final class WherePlan implements QueryPlan {

    private final Predicate<@Nullable Object> filter;
    private final QueryPlan basedOn;

    /**
     * Keeps the records for which the lambda returns true; the optimizer cannot look inside it.
     *
     * @param filter  the predicate, not {@code null}
     * @param basedOn the input plan, not {@code null}
     */
    public WherePlan(Predicate<@Nullable Object> filter, QueryPlan basedOn) {
        this.filter = Objects.requireNonNull(filter, "filter");
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * Keeps the records for which the expression is {@link Truth#TRUE}.
     *
     * @param filter  the expression, not {@code null}
     * @param basedOn the input plan, not {@code null}
     */
    public WherePlan(Expression filter, QueryPlan basedOn) {
        this((Predicate<@Nullable Object>) filter, basedOn);
    }

    /**
     * The filter as a predicate, whichever way it was given.
     *
     * @return the filter
     */
    public Predicate<@Nullable Object> filter() {
        return filter;
    }

    /**
     * The filter, when it is an expression the optimizer can read.
     *
     * @return the expression, or empty for a lambda filter
     */
    public Optional<Expression> expression() {
        return filter instanceof Expression e ? Optional.of(e) : Optional.empty();
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
        return basedOn.execute().filter(filter);
    }

    @Override
    public QueryPlan optimize() {
        return IndexPlanner.optimize(this);
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(in.rows() * selectivity(filter), in.cost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("filter", filter instanceof Expression ? filter.toString() : "lambda");
        if (basedOn instanceof FromPlan from) {
            d.put("reason", IndexPlanner.scanReason(filter, from));
        }
        return Explanation.of("Where", Explanation.Access.NONE, d, estimate(), basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }

    /** The fraction of records a filter is assumed to keep when no index tells better. */
    static double selectivity(Predicate<?> filter) {
        if (!(filter instanceof Expression e)) {
            return 0.5;
        }
        if (e instanceof Expression.Comparison c) {
            return switch (c.operator()) {
                case EQ -> 0.05;
                case NE -> 0.95;
                default -> 0.3;
            };
        }
        if (e instanceof Expression.In in) {
            return Math.min(1.0, 0.05 * in.values().size());
        }
        if (e instanceof Expression.Between) {
            return 0.25;
        }
        if (e instanceof Expression.IsNull) {
            return 0.05;
        }
        if (e instanceof Expression.IsNotNull) {
            return 0.95;
        }
        if (e instanceof Expression.And a) {
            return a.terms().stream().mapToDouble(WherePlan::selectivity).reduce(1.0, (x, y) -> x * y);
        }
        if (e instanceof Expression.Or o) {
            return 1 - o.terms().stream().mapToDouble(t -> 1 - selectivity(t)).reduce(1.0, (x, y) -> x * y);
        }
        if (e instanceof Expression.Not n) {
            return 1 - selectivity(n.term());
        }
        return 0.1;
    }
}
