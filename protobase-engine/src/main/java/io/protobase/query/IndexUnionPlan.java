package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A disjunction answered from indexes: branch {@code i} is an index plan yielding exactly the records
 * for which {@code filters[i]} is TRUE; the union is branch 0, then each further branch without the
 * records for which an earlier branch's filter is TRUE. That de-duplicates by re-evaluating the
 * filters instead of remembering records, so it streams, needs no record identity, and keeps list
 * multiplicities: an element occurring {@code n} times in a list and matching several branches
 * appears {@code n} times, from the first branch it matches.
 */
final class IndexUnionPlan implements QueryPlan {

    private final List<QueryPlan> branches;
    private final List<Expression> filters;

    IndexUnionPlan(List<QueryPlan> branches, List<Expression> filters) {
        this.branches = List.copyOf(branches);
        this.filters = List.copyOf(filters);
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return IntStream.range(0, branches.size()).boxed().flatMap(i -> {
            List<Expression> earlier = filters.subList(0, i);
            Stream<@Nullable Object> s = branches.get(i).execute();
            return earlier.isEmpty() ? s : s.filter(r -> earlier.stream().noneMatch(e -> e.test(r)));
        });
    }

    @Override
    public QueryPlan optimize() {
        return this;
    }

    @Override
    public Estimate estimate() {
        double rows = 0;
        double cost = 0;
        for (QueryPlan b : branches) {
            Estimate e = b.estimate();
            rows += e.rows();
            cost += e.cost();
        }
        return new Estimate(rows, cost);
    }

    @Override
    public Explanation explain() {
        List<Explanation> in = new ArrayList<>();
        for (QueryPlan b : branches) {
            in.add(b.explain());
        }
        Map<String, String> d = new LinkedHashMap<>();
        d.put("branches", filters.stream().map(Object::toString).collect(Collectors.joining(" | ")));
        d.put("dedup", "drop records matching an earlier branch");
        Estimate e = estimate();
        return new Explanation("IndexUnion", Explanation.Access.NONE, d, e.rows(), e.cost(), in);
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
