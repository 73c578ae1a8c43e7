package io.protobase.query;

import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One row per group of input records with equal keys: an unmodifiable {@code Map} holding the key
 * values under their names, then each {@link Aggregate} under its name, groups in the order their
 * first record arrived (add an {@link OrderByPlan} for another order). Keys are equal as in {@link
 * DistinctPlan} ({@code 1} and {@code 1.0} are one group, the first value seen names it); records
 * with a missing key form one group whose key is {@code null}, as in SQL. Holds one accumulator per
 * group, not the records (except for {@code collect}).
 */
public final class GroupByPlan implements QueryPlan {

    private final Map<String, Function<@Nullable Object, ?>> keys;
    private final List<Aggregate> aggregates;
    private final QueryPlan basedOn;

    /**
     * Groups by named key functions (in order) and computes the aggregates per group.
     *
     * @param keys       the key columns: name to the function reading the key from a record, in order
     * @param aggregates the aggregate columns
     * @param basedOn    the input plan, not {@code null}
     */
    public GroupByPlan(Map<String, ? extends Function<@Nullable Object, ?>> keys, List<Aggregate> aggregates,
                       QueryPlan basedOn) {
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        this.aggregates = List.copyOf(aggregates);
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * Groups by dotted field paths, each key column named by its path.
     *
     * @param paths      the dotted paths of the keys, in order
     * @param aggregates the aggregate columns
     * @param basedOn    the input plan, not {@code null}
     * @return the grouping
     * @throws QueryException if a path is malformed
     */
    public static GroupByPlan byFields(List<String> paths, List<Aggregate> aggregates, QueryPlan basedOn) {
        Map<String, Field> keys = new LinkedHashMap<>();
        for (String p : paths) {
            keys.put(p, Field.of(p));
        }
        return new GroupByPlan(keys, aggregates, basedOn);
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
        return Stream.of(0).flatMap(x -> groups().stream());
    }

    private List<Object> groups() {
        List<Function<@Nullable Object, ?>> fns = new ArrayList<>(keys.values());
        Map<List<ValueKey>, Aggregate.Accumulator[]> groups = new LinkedHashMap<>();
        Map<List<ValueKey>, Object[]> firstKeys = new LinkedHashMap<>();
        try (Stream<@Nullable Object> in = basedOn.execute()) {
            in.forEach(r -> {
                List<ValueKey> k = new ArrayList<>(fns.size());
                Object[] raw = new Object[fns.size()];
                for (int i = 0; i < fns.size(); i++) {
                    Object v = fns.get(i).apply(r);
                    raw[i] = v == FieldPath.ABSENT ? null : v;
                    k.add(new ValueKey(raw[i]));
                }
                Aggregate.Accumulator[] acc = groups.get(k);
                if (acc == null) {
                    acc = new Aggregate.Accumulator[aggregates.size()];
                    for (int i = 0; i < acc.length; i++) {
                        acc[i] = aggregates.get(i).accumulator();
                    }
                    groups.put(k, acc);
                    firstKeys.put(k, raw);
                }
                for (Aggregate.Accumulator a : acc) {
                    a.add(r);
                }
            });
        }
        if (keys.isEmpty() && groups.isEmpty()) {
            // SQL: aggregates over no records without GROUP BY keys still give one row
            Aggregate.Accumulator[] acc = aggregates.stream().map(Aggregate::accumulator)
                    .toArray(Aggregate.Accumulator[]::new);
            groups.put(List.of(), acc);
            firstKeys.put(List.of(), new Object[0]);
        }
        List<String> names = new ArrayList<>(keys.keySet());
        List<Object> rows = new ArrayList<>(groups.size());
        groups.forEach((k, acc) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            Object[] raw = firstKeys.get(k);
            for (int i = 0; i < names.size(); i++) {
                row.put(names.get(i), raw[i]);
            }
            for (int i = 0; i < acc.length; i++) {
                row.put(aggregates.get(i).name(), acc[i].result());
            }
            rows.add(Collections.unmodifiableMap(row));
        });
        return rows;
    }

    @Override
    public QueryPlan optimize() {
        return new GroupByPlan(keys, aggregates, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        double rows = keys.isEmpty() ? 1 : Math.max(1, Math.min(in.rows(), Math.sqrt(in.rows())));
        return new Estimate(rows, in.cost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("keys", String.join(", ", keys.keySet()));
        d.put("aggregates", aggregates.stream().map(Aggregate::toString).collect(Collectors.joining(", ")));
        return Explanation.of("GroupBy", Explanation.Access.NONE, d, estimate(), basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
