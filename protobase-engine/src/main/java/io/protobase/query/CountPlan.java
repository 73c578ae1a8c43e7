package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The number of records of its input, as one row {@code {count: n}}. {@link #value()} gives the
 * number itself; over an optimized input that an index answers completely it comes from index counts
 * without loading a record.
 */
public final class CountPlan implements QueryPlan {

    private final QueryPlan basedOn;

    /**
     * Counts the records of a plan.
     *
     * @param basedOn the plan counted, not {@code null}
     */
    public CountPlan(QueryPlan basedOn) {
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * The plan this one reads.
     *
     * @return the input plan
     */
    public QueryPlan basedOn() {
        return basedOn;
    }

    /**
     * Counts the input records now.
     *
     * @return the number of input records
     */
    public long value() {
        return basedOn.count();
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return Stream.of(0).map(x -> Map.of("count", value()));
    }

    @Override
    public long count() {
        return 1;
    }

    @Override
    public QueryPlan optimize() {
        return new CountPlan(basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(1, countCost(basedOn, in));
    }

    /** What counting a plan costs: index lookups and ranges count without reading their records. */
    static double countCost(QueryPlan p, Estimate in) {
        if (p instanceof IndexLookupPlan l && l.countsFromIndex()) {
            return l.lookupCost();
        }
        if (p instanceof IndexRangePlan r && r.countsFromIndex()) {
            return r.seekCost();
        }
        if (p instanceof FromPlan f && f.knownCount().isPresent()) {
            return 1;
        }
        return in.cost();
    }

    @Override
    public Explanation explain() {
        return Explanation.of("Count", Explanation.Access.NONE, Map.of(), estimate(), basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
