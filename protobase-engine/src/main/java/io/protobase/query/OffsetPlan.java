package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** Its input without the first {@code offset} records. */
public final class OffsetPlan implements QueryPlan {

    private final long offset;
    private final QueryPlan basedOn;

    /**
     * Skips the first {@code offset} records.
     *
     * @param offset  the number of records to skip, 0 or more
     * @param basedOn the input plan, not {@code null}
     * @throws QueryException if {@code offset} is negative
     */
    public OffsetPlan(long offset, QueryPlan basedOn) {
        if (offset < 0) {
            throw new QueryException("offset(" + offset
                    + ") is negative; pass the number of records to skip, 0 or more");
        }
        this.offset = offset;
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * The number of records skipped.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
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
        return basedOn.execute().skip(offset);
    }

    @Override
    public long count() {
        return Math.max(0, basedOn.count() - offset);
    }

    @Override
    public QueryPlan optimize() {
        return new OffsetPlan(offset, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(Math.max(0, in.rows() - offset), in.cost());
    }

    @Override
    public Explanation explain() {
        return Explanation.of("Offset", Explanation.Access.NONE, Map.of("offset", Long.toString(offset)), estimate(),
                basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
