package io.protobase.query;

import org.jspecify.annotations.Nullable;

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

    /**
     * Starts a query over the records of a collection, {@code Map} or {@code Iterable}; nothing is read
     * until a terminal operation runs.
     *
     * @param source the collection to read (see {@link FromPlan} for what its records are)
     * @return a query returning every record of {@code source}
     * @throws QueryException if {@code source} is {@code null} or not something whose records can be read
     */
    public static Query from(Object source) {
        return new Query(new FromPlan(source));
    }

    /**
     * Wraps an existing plan so the fluent operators can extend it.
     *
     * @param plan the plan to continue, not {@code null}
     * @return a query whose plan is {@code plan}
     */
    public static Query of(QueryPlan plan) {
        return new Query(plan);
    }

    /**
     * The plan as written, before optimization.
     *
     * @return the plan tree this query built
     */
    public QueryPlan plan() {
        return plan;
    }

    /**
     * Keeps the records for which the expression is {@link Truth#TRUE} (not {@code FALSE}, not {@code
     * UNKNOWN}); when the source is indexed, the optimizer may answer it from the indexes:
     * {@code where(Field.of("price").lt(100))}.
     *
     * @param filter the filter, not {@code null}
     * @return a new query with the filter on top
     */
    public Query where(Expression filter) {
        return new Query(new WherePlan(filter, plan));
    }

    /**
     * Keeps the records for which the lambda returns true. A lambda is opaque to the optimizer, so it is
     * evaluated on every record; prefer an {@link Expression} when an index could help.
     *
     * @param filter the predicate, not {@code null}; it receives each record
     * @return a new query with the filter on top
     */
    public Query where(Predicate<@Nullable Object> filter) {
        return new Query(new WherePlan(filter, plan));
    }

    /**
     * Maps each record with a function; the results are the records of the operators above.
     *
     * @param projection the mapping, not {@code null}; it may return {@code null}
     * @return a new query with the projection on top
     */
    public Query select(Function<@Nullable Object, ?> projection) {
        return new Query(new SelectPlan(projection, plan));
    }

    /**
     * Maps each record to a row of the given dotted fields: {@code select("name", "address.city")}
     * gives maps {@code {name: ..., address.city: ...}} (see {@link SelectPlan#fields}).
     *
     * @param paths the dotted field paths, in the order of the row's columns
     * @return a new query with the projection on top
     * @throws QueryException if a path is malformed
     */
    public Query select(String... paths) {
        return new Query(SelectPlan.fields(List.of(paths), plan));
    }

    /**
     * Sorts by the keys, the first deciding first; the sort is stable and holds the records in memory
     * when run: {@code orderBy(SortKey.desc("price"), SortKey.asc("name"))}.
     *
     * @param keys the sort keys, at least one
     * @return a new query with the ordering on top
     * @throws QueryException if no key is given
     */
    public Query orderBy(SortKey... keys) {
        return new Query(new OrderByPlan(List.of(keys), plan));
    }

    /**
     * Sorts ascending by dotted field paths, missing values last: {@code orderBy("category", "price")}.
     *
     * @param paths the dotted field paths, at least one, the first deciding first
     * @return a new query with the ordering on top
     * @throws QueryException if no path is given or a path is malformed
     */
    public Query orderBy(String... paths) {
        return orderBy(Arrays.stream(paths).map(SortKey::asc).toArray(SortKey[]::new));
    }

    /**
     * Keeps the first {@code n} records and stops reading its input after them.
     *
     * @param n the number of records to keep, 0 or more
     * @return a new query with the limit on top
     * @throws QueryException if {@code n} is negative
     */
    public Query limit(long n) {
        return new Query(new LimitPlan(n, plan));
    }

    /**
     * Skips the first {@code n} records.
     *
     * @param n the number of records to skip, 0 or more
     * @return a new query with the offset on top
     * @throws QueryException if {@code n} is negative
     */
    public Query offset(long n) {
        return new Query(new OffsetPlan(n, plan));
    }

    /**
     * Removes repeated records, keeping the first of each (equality as in {@link DistinctPlan}).
     *
     * @return a new query with the distinct operator on top
     */
    public Query distinct() {
        return new Query(new DistinctPlan(plan));
    }

    /**
     * Keeps the first record of each key: {@code distinct(Field.of("category"))}.
     *
     * @param key the key of a record, not {@code null}; it may return {@code null} (one key for all
     *            records without one)
     * @return a new query with the distinct operator on top
     */
    public Query distinct(Function<@Nullable Object, ?> key) {
        return new Query(new DistinctPlan(key, plan));
    }

    /**
     * Replaces each record by the elements of the collection at {@code path} (records whose field is
     * missing or not a collection yield nothing).
     *
     * @param path the dotted path of a collection-valued field
     * @return a new query with the unnest operator on top
     * @throws QueryException if the path is malformed
     */
    public Query unnest(String path) {
        return new Query(new UnnestPlan(path, null, plan));
    }

    /**
     * Repeats each record once per element of the collection at {@code path}, with the element under
     * {@code alias}: {@code unnest("tags", "tag").where(Field.of("tag").eq("sale"))}.
     *
     * @param path  the dotted path of a collection-valued field
     * @param alias the attribute name the element is bound to; {@code null} yields the bare elements as
     *              {@link #unnest(String)} does
     * @return a new query with the unnest operator on top
     * @throws QueryException if the path is malformed, or, when run, if a record is neither a
     *                        {@code DbObject} nor a {@code Map} to bind the element into
     */
    public Query unnest(String path, @Nullable String alias) {
        return new Query(new UnnestPlan(path, alias, plan));
    }

    /**
     * Joins with another query on equal keys; each output row is a map {@code {left: l, right: r}} that
     * dotted paths reach into ({@code "right.price"}). See {@link JoinPlan} for order and missing keys.
     * <pre>{@code
     * Query.from(orders).join(Query.from(customers),
     *         Field.of("customerId"), Field.of("id"), JoinPlan.Type.LEFT)
     * }</pre>
     *
     * @param right    the query on the right side, read once into memory when the join runs
     * @param leftKey  the key of a left record, not {@code null}
     * @param rightKey the key of a right record, not {@code null}
     * @param type     which unmatched records to keep, not {@code null}
     * @return a new query with the join on top
     */
    public Query join(Query right, Function<@Nullable Object, ?> leftKey, Function<@Nullable Object, ?> rightKey,
                      JoinPlan.Type type) {
        return new Query(new JoinPlan(plan, right.plan, leftKey, rightKey, type));
    }

    /**
     * Joins with another query on equal keys, combining each matched (or, for an outer join, unmatched)
     * pair into one output record.
     *
     * @param right    the query on the right side, read once into memory when the join runs
     * @param leftKey  the key of a left record, not {@code null}
     * @param rightKey the key of a right record, not {@code null}
     * @param type     which unmatched records to keep, not {@code null}
     * @param combiner makes the output record from a left and a right record, not {@code null}; it gets
     *                 {@code null} for the missing side of an outer join
     * @return a new query with the join on top
     */
    public Query join(Query right, Function<@Nullable Object, ?> leftKey, Function<@Nullable Object, ?> rightKey,
                      JoinPlan.Type type,
                      java.util.function.BiFunction<@Nullable Object, @Nullable Object, ?> combiner) {
        return new Query(new JoinPlan(plan, right.plan, leftKey, rightKey, type, combiner));
    }

    /**
     * One row per group of equal key fields, with the aggregates:
     * {@code groupBy(List.of("category"), Aggregate.count("n"), Aggregate.avg("avgPrice", "price"))}
     * gives rows {@code {category: ..., n: ..., avgPrice: ...}} (see {@link GroupByPlan}).
     *
     * @param keyPaths   the dotted paths of the key fields; each names its column
     * @param aggregates the aggregate columns
     * @return a new query with the grouping on top
     * @throws QueryException if a path is malformed
     */
    public Query groupBy(List<String> keyPaths, Aggregate... aggregates) {
        return new Query(GroupByPlan.byFields(keyPaths, List.of(aggregates), plan));
    }

    /**
     * The optimized plan that the terminal operations run: this query's plan with index plans where
     * the statistics say they pay.
     *
     * @return the optimized plan
     */
    public QueryPlan optimizedPlan() {
        return plan.optimize();
    }

    /**
     * Runs the query and streams its results lazily; close the stream when not reading it to the end.
     *
     * @return the results, read from the collection as they are consumed
     */
    public Stream<@Nullable Object> stream() {
        return optimizedPlan().execute();
    }

    /**
     * Runs the query and collects the results.
     *
     * @return a new modifiable list of the results, in result order
     */
    public List<@Nullable Object> toList() {
        try (Stream<@Nullable Object> s = stream()) {
            return s.collect(Collectors.toCollection(ArrayList::new));
        }
    }

    /**
     * Runs the query up to its first result.
     *
     * @return the first result, or empty when there is none
     * @throws NullPointerException if the first result is {@code null} (a projection that returned it)
     */
    public Optional<Object> first() {
        try (Stream<@Nullable Object> s = stream()) {
            return s.findFirst();
        }
    }

    /**
     * Runs the query up to its first result.
     *
     * @return whether the query has at least one result
     */
    public boolean any() {
        return first().isPresent();
    }

    /**
     * Counts the results; when an index answers the whole filter the count comes from index counts,
     * without loading records.
     *
     * @return the number of results
     */
    public long count() {
        return optimizedPlan().count();
    }

    /**
     * The results grouped by a key, groups in order of their first record, records in result order.
     * Keys are equal as in {@link DistinctPlan} ({@code 1} and {@code 1.0} group together, under the
     * first seen); records with a missing key are grouped under {@code null}.
     *
     * @param classifier the key of a record, not {@code null}; it may return {@code null}
     * @return an unmodifiable map from each key to the unmodifiable list of its records
     */
    public Map<@Nullable Object, List<@Nullable Object>> groupBy(Function<@Nullable Object, ?> classifier) {
        Map<ValueKey, List<@Nullable Object>> groups = new LinkedHashMap<>();
        try (Stream<@Nullable Object> s = stream()) {
            s.forEach(r -> groups.computeIfAbsent(new ValueKey(classifier.apply(r)), k -> new ArrayList<>()).add(r));
        }
        Map<@Nullable Object, List<@Nullable Object>> out = new LinkedHashMap<>();
        groups.forEach((k, v) -> out.put(k.value(), Collections.unmodifiableList(v)));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Explains the optimized plan with its estimates; nothing is executed.
     *
     * @return the explanation; {@link Explanation#toText()} renders it
     */
    public Explanation explain() {
        return optimizedPlan().explain();
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
