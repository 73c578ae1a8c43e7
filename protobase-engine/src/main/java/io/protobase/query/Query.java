package io.protobase.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The fluent way to build a {@link QueryPlan}:
 *
 * <pre>{@code
 * List<Object> cheapest = Query.from(products)
 *         .where(Field.of("category").eq("electronics"))
 *         .orderBy(SortKey.asc("price"))
 *         .limit(10)
 *         .toList();
 * }</pre>
 *
 * A query is an immutable value: each operator returns a new query whose plan has one more operator
 * on top, so a query can be shared and extended in several directions. Operators apply in the order
 * written — {@code limit(2).orderBy(k)} sorts two arbitrary records, {@code orderBy(k).limit(2)}
 * returns the two smallest — exactly like the plan tree they build. Terminal operations ({@link
 * #toList}, {@link #stream}, {@link #first}, {@link #count}, {@link #any}, {@link #groupBy(Function)})
 * optimize the plan (see {@link IndexPlanner}) and run it; {@link #explain()} shows the optimized plan
 * without running it.
 */
public final class Query {

    private final QueryPlan plan;

    private Query(QueryPlan plan) {
        this.plan = Objects.requireNonNull(plan, "plan");
    }

    /** A query over the records of a collection, Map or Iterable (see {@link FromPlan}). */
    public static Query from(Object source) {
        return new Query(new FromPlan(source));
    }

    /** A query continuing an existing plan. */
    public static Query of(QueryPlan plan) {
        return new Query(plan);
    }

    /** The plan as written, before optimization. */
    public QueryPlan plan() {
        return plan;
    }

    /** Keeps the records for which the expression is TRUE; may be answered from indexes. */
    public Query where(Expression filter) {
        return new Query(new WherePlan(filter, plan));
    }

    /** Keeps the records for which the lambda returns true; always evaluated on each record. */
    public Query where(Predicate<Object> filter) {
        return new Query(new WherePlan(filter, plan));
    }

    /** Maps each record. */
    public Query select(Function<Object, ?> projection) {
        return new Query(new SelectPlan(projection, plan));
    }

    /** Maps each record to a row of the given dotted fields (see {@link SelectPlan#fields}). */
    public Query select(String... paths) {
        return new Query(SelectPlan.fields(List.of(paths), plan));
    }

    /** Sorts by the keys, the first deciding first. */
    public Query orderBy(SortKey... keys) {
        return new Query(new OrderByPlan(List.of(keys), plan));
    }

    /** Sorts ascending by dotted field paths, nulls last. */
    public Query orderBy(String... paths) {
        return orderBy(Arrays.stream(paths).map(SortKey::asc).toArray(SortKey[]::new));
    }

    /** Keeps the first {@code n} records. */
    public Query limit(long n) {
        return new Query(new LimitPlan(n, plan));
    }

    /** Skips the first {@code n} records. */
    public Query offset(long n) {
        return new Query(new OffsetPlan(n, plan));
    }

    /** Removes repeated records. */
    public Query distinct() {
        return new Query(new DistinctPlan(plan));
    }

    /** Keeps the first record of each key. */
    public Query distinct(Function<Object, ?> key) {
        return new Query(new DistinctPlan(key, plan));
    }

    /** One record per element of the collection at {@code path}. */
    public Query unnest(String path) {
        return new Query(new UnnestPlan(path, null, plan));
    }

    /** Each record once per element of the collection at {@code path}, with the element under {@code alias}. */
    public Query unnest(String path, String alias) {
        return new Query(new UnnestPlan(path, alias, plan));
    }

    /** Joins with another query on keys; rows are {@code {left, right}} maps (see {@link JoinPlan}). */
    public Query join(Query right, Function<Object, ?> leftKey, Function<Object, ?> rightKey, JoinPlan.Type type) {
        return new Query(new JoinPlan(plan, right.plan, leftKey, rightKey, type));
    }

    /** Joins with another query on keys, combining each pair (a missing side is {@code null}). */
    public Query join(Query right, Function<Object, ?> leftKey, Function<Object, ?> rightKey, JoinPlan.Type type,
                      java.util.function.BiFunction<Object, Object, ?> combiner) {
        return new Query(new JoinPlan(plan, right.plan, leftKey, rightKey, type, combiner));
    }

    /** One row per group of the dotted key fields, with the aggregates (see {@link GroupByPlan}). */
    public Query groupBy(List<String> keyPaths, Aggregate... aggregates) {
        return new Query(GroupByPlan.byFields(keyPaths, List.of(aggregates), plan));
    }

    /** The optimized plan that the terminal operations run. */
    public QueryPlan optimizedPlan() {
        return plan.optimize();
    }

    /** Streams the results lazily. */
    public Stream<Object> stream() {
        return optimizedPlan().execute();
    }

    /** The results in a list. */
    public List<Object> toList() {
        try (Stream<Object> s = stream()) {
            return s.collect(Collectors.toCollection(ArrayList::new));
        }
    }

    /** The first result, reading no further. */
    public Optional<Object> first() {
        try (Stream<Object> s = stream()) {
            return s.findFirst();
        }
    }

    /** Whether there is a result, reading no further than the first. */
    public boolean any() {
        return first().isPresent();
    }

    /** The number of results; from index counts, without loading records, when an index answers the whole filter. */
    public long count() {
        return optimizedPlan().count();
    }

    /**
     * The results grouped by a key, groups in order of their first record, records in result order.
     * Keys are equal as in {@link DistinctPlan} ({@code 1} and {@code 1.0} group together, under the
     * first seen); records with a missing key are grouped under {@code null}.
     */
    public Map<Object, List<Object>> groupBy(Function<Object, ?> classifier) {
        Map<ValueKey, List<Object>> groups = new LinkedHashMap<>();
        try (Stream<Object> s = stream()) {
            s.forEach(r -> groups.computeIfAbsent(new ValueKey(classifier.apply(r)), k -> new ArrayList<>()).add(r));
        }
        Map<Object, List<Object>> out = new LinkedHashMap<>();
        groups.forEach((k, v) -> out.put(k.value(), Collections.unmodifiableList(v)));
        return Collections.unmodifiableMap(out);
    }

    /** The optimized plan's explanation; nothing is executed. */
    public Explanation explain() {
        return optimizedPlan().explain();
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
