package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Its input with repeated records (or records with a repeated key) removed, keeping the first of
 * each in input order. Records are equal as in expressions: under {@link
 * io.protobase.codec.ValueOrder} within a type group (so {@code 1} and {@code 1.0} are the same), by
 * {@code equals} otherwise; missing values are one value. Streams, remembering the keys seen so far.
 */
public final class DistinctPlan implements QueryPlan {

    private final Function<@Nullable Object, ?> key;
    private final String description;
    private final QueryPlan basedOn;

    /**
     * Distinct whole records.
     *
     * @param basedOn the input plan, not {@code null}
     */
    public DistinctPlan(QueryPlan basedOn) {
        this(Function.identity(), "record", basedOn);
    }

    /**
     * Distinct by a key: the first record of each key.
     *
     * @param key     the key of a record, not {@code null}; it may return {@code null}
     * @param basedOn the input plan, not {@code null}
     */
    public DistinctPlan(Function<@Nullable Object, ?> key, QueryPlan basedOn) {
        this(key, key instanceof Field f ? f.toString() : "lambda", basedOn);
    }

    private DistinctPlan(Function<@Nullable Object, ?> key, String description, QueryPlan basedOn) {
        this.key = Objects.requireNonNull(key, "key");
        this.description = description;
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

    @Override
    public Stream<@Nullable Object> execute() {
        Set<ValueKey> seen = new HashSet<>();
        return basedOn.execute().filter(r -> seen.add(new ValueKey(key.apply(r))));
    }

    @Override
    public QueryPlan optimize() {
        return new DistinctPlan(key, description, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(in.rows(), in.cost());
    }

    @Override
    public Explanation explain() {
        return Explanation.of("Distinct", Explanation.Access.NONE, Map.of("key", description), estimate(),
                basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
