package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Its input sorted by several {@link SortKey}s, the first deciding first. The sort is stable: records
 * equal on every key keep their input order. It must see every input record before yielding the
 * first, so it holds its input in memory (when it is consumed, not when the plan is built).
 */
public final class OrderByPlan implements QueryPlan {

    private final List<SortKey> keys;
    private final QueryPlan basedOn;

    /**
     * Sorts by the keys, the first deciding first.
     *
     * @param keys    the sort keys, at least one
     * @param basedOn the input plan, not {@code null}
     * @throws QueryException if {@code keys} is empty, or, when run, if two values of a key cannot be
     *                        ordered
     */
    public OrderByPlan(List<SortKey> keys, QueryPlan basedOn) {
        if (keys.isEmpty()) {
            throw new QueryException("orderBy needs at least one sort key, e.g. SortKey.asc(\"price\")");
        }
        this.keys = List.copyOf(keys);
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * The sort keys.
     *
     * @return the keys, first deciding first, unmodifiable
     */
    public List<SortKey> keys() {
        return keys;
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
        Comparator<Object> order = keys.get(0).comparator();
        for (int i = 1; i < keys.size(); i++) {
            order = order.thenComparing(keys.get(i).comparator());
        }
        Comparator<Object> o = order;
        return Stream.of(0).flatMap(x -> {
            List<Object> all;
            try (Stream<@Nullable Object> in = basedOn.execute()) {
                all = in.collect(Collectors.toCollection(ArrayList::new));
            }
            all.sort(o);
            return all.stream();
        });
    }

    @Override
    public long count() {
        return basedOn.count();
    }

    @Override
    public QueryPlan optimize() {
        return new OrderByPlan(keys, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(in.rows(), in.cost() + in.rows() * Estimate.log2(in.rows()) / 10);
    }

    @Override
    public Explanation explain() {
        return Explanation.of("OrderBy", Explanation.Access.NONE,
                Map.of("keys", keys.stream().map(SortKey::toString).collect(Collectors.joining(", "))),
                estimate(), basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
