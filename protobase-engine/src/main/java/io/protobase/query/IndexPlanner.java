package io.protobase.query;

import io.protobase.collection.Dictionary;
import io.protobase.index.FieldPath;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The optimizer's one decision: whether a filter over a collection is answered by scanning it or
 * from its secondary indexes, and by which. It applies to {@link WherePlan}s (consecutive ones
 * merged) directly over a {@link FromPlan} whose source is an {@link IndexedCollection}, and to
 * {@link Expression} filters only: a lambda is opaque and is always evaluated on each record (it is
 * kept, above the index plan, when it sits in the same chain of filters). Only path indexes found by
 * {@link IndexedCollection#indexOn} are used; extractor indexes are used by name only.
 *
 * <p>Rules, by expression ({@code access} is "an index plan yielding exactly the records for which the
 * expression is TRUE, and its estimate"):
 * <ul>
 *   <li>{@code ==} on an indexed path: an {@link IndexLookupPlan}; {@code in}: one lookup of several
 *       keys (null values dropped: they are never TRUE);</li>
 *   <li>{@code <, <=, >, >=, between, startsWith}: an {@link IndexRangePlan} (open ends run to the end
 *       of the bound's type group, matching the expression semantics);</li>
 *   <li>{@code and}: the term whose access is cheapest drives; the other terms are a residual
 *       {@link WherePlan} over it;</li>
 *   <li>{@code or}: an {@link IndexUnionPlan} if every term has an access, else none;</li>
 *   <li>{@code !=}, {@code not}, {@code contains}, {@code isNull}, {@code isNotNull}: none (their TRUE
 *       set is not a set of index keys: indexes leave out unorderable values, which are not null).</li>
 * </ul>
 * Estimates come from {@link SecondaryIndex#count}/{@link SecondaryIndex#countRange} and the
 * collection's count; the index plan is taken only when its estimated cost is below the scan's.
 */
final class IndexPlanner {

    private IndexPlanner() {
    }

    /** An index plan for an expression, and the part of the expression it leaves to a residual filter. */
    private record Access(QueryPlan plan, @Nullable Expression residual, double cost) {
        QueryPlan withResidual() {
            return residual == null ? plan : new WherePlan(residual, plan);
        }
    }

    static QueryPlan optimize(WherePlan where) {
        List<Expression> expressions = new ArrayList<>();
        List<Predicate<@Nullable Object>> lambdas = new ArrayList<>();
        QueryPlan p = where;
        while (p instanceof WherePlan w) {
            if (w.expression().isPresent()) {
                expressions.add(0, w.expression().get());
            } else {
                lambdas.add(0, w.filter());
            }
            p = w.basedOn();
        }
        QueryPlan base = p.optimize();
        if (!(base instanceof FromPlan from) || from.indexed().isEmpty() || expressions.isEmpty()) {
            return rebuild(where, base);
        }
        Expression filter = expressions.size() == 1 ? expressions.get(0)
                : Expression.allOf(expressions.toArray(new Expression[0]));
        QueryPlan result = access(filter, from.indexed().get())
                .filter(a -> a.cost() < from.estimate().cost())
                .map(Access::withResidual)
                .orElseGet(() -> new WherePlan(filter, from));
        for (Predicate<@Nullable Object> lambda : lambdas) {
            result = new WherePlan(lambda, result);
        }
        return result;
    }

    /** The chain of filters as written, over an optimized base. */
    private static QueryPlan rebuild(WherePlan w, QueryPlan base) {
        QueryPlan inner = w.basedOn() instanceof WherePlan iw ? rebuild(iw, base) : base;
        return new WherePlan(w.filter(), inner);
    }

    /** Why a filter directly over {@code from} is (or would be) evaluated by a scan; for explain(). */
    static String scanReason(Predicate<@Nullable Object> filter, FromPlan from) {
        if (!(filter instanceof Expression e)) {
            return "lambda filters are evaluated on every record";
        }
        if (from.indexed().isEmpty()) {
            return "the source has no secondary indexes";
        }
        Optional<Access> a = access(e, from.indexed().get());
        if (a.isEmpty()) {
            return "no index answers this filter";
        }
        double scan = from.estimate().cost();
        return a.get().cost() < scan
                ? "not optimized: optimize() would read an index (cost≈" + Math.round(a.get().cost()) + ")"
                : "a scan (cost≈" + Math.round(scan) + ") is cheaper than the index (cost≈"
                        + Math.round(a.get().cost()) + ")";
    }

    private static Optional<Access> access(Expression e, IndexedCollection c) {
        if (e instanceof Expression.Comparison cmp) {
            return comparison(cmp, c);
        }
        if (e instanceof Expression.In in) {
            if (!in.values().stream().allMatch(v -> ValueSemantics.missing(v) || ValueSemantics.orderable(v))) {
                return Optional.empty();
            }
            return pathIndex(in.path(), c).map(i -> plan(new IndexLookupPlan(c, i, in.values())));
        }
        if (e instanceof Expression.Between b) {
            if (!bound(b.low()) || !bound(b.high())) {
                return Optional.empty();
            }
            return pathIndex(b.path(), c).map(i -> plan(new IndexRangePlan(c, i, b.low(), b.bounds().lowInclusive(),
                    b.high(), b.bounds().highInclusive())));
        }
        if (e instanceof Expression.StartsWith s && s.prefix() != null) {
            Object upper = prefixSuccessor(s.prefix());
            return pathIndex(s.path(), c).map(i -> plan(new IndexRangePlan(c, i, s.prefix(), true, upper, false)));
        }
        if (e instanceof Expression.And and) {
            return conjunction(and, c);
        }
        if (e instanceof Expression.Or or) {
            return disjunction(or, c);
        }
        return Optional.empty();
    }

    private static Optional<Access> comparison(Expression.Comparison cmp, IndexedCollection c) {
        Object v = cmp.value();
        if (!bound(v)) {
            return Optional.empty();
        }
        Object u = Dictionary.UNBOUNDED;
        return pathIndex(cmp.path(), c).flatMap(i -> switch (cmp.operator()) {
            case EQ -> Optional.of(plan(new IndexLookupPlan(c, i, v)));
            case LT -> Optional.of(plan(new IndexRangePlan(c, i, u, true, v, false)));
            case LE -> Optional.of(plan(new IndexRangePlan(c, i, u, true, v, true)));
            case GT -> Optional.of(plan(new IndexRangePlan(c, i, v, false, u, true)));
            case GE -> Optional.of(plan(new IndexRangePlan(c, i, v, true, u, true)));
            case NE -> Optional.empty();
        });
    }

    private static Optional<Access> conjunction(Expression.And and, IndexedCollection c) {
        List<Expression> terms = and.terms();
        int best = -1;
        @Nullable Access bestAccess = null;
        for (int i = 0; i < terms.size(); i++) {
            Optional<Access> a = access(terms.get(i), c);
            if (a.isPresent() && (bestAccess == null || a.get().cost() < bestAccess.cost())) {
                best = i;
                bestAccess = a.get();
            }
        }
        if (bestAccess == null) {
            return Optional.empty();
        }
        List<Expression> rest = new ArrayList<>();
        if (bestAccess.residual() != null) {
            rest.add(bestAccess.residual());
        }
        for (int i = 0; i < terms.size(); i++) {
            if (i != best) {
                rest.add(terms.get(i));
            }
        }
        Expression residual = rest.isEmpty() ? null
                : rest.size() == 1 ? rest.get(0) : Expression.allOf(rest.toArray(new Expression[0]));
        return Optional.of(new Access(bestAccess.plan(), residual, bestAccess.cost()));
    }

    private static Optional<Access> disjunction(Expression.Or or, IndexedCollection c) {
        List<QueryPlan> branches = new ArrayList<>();
        double cost = 0;
        for (Expression t : or.terms()) {
            Optional<Access> a = access(t, c);
            if (a.isEmpty()) {
                return Optional.empty();
            }
            branches.add(a.get().withResidual());
            cost += a.get().cost();
        }
        if (branches.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Access(new IndexUnionPlan(branches, or.terms()), null, cost));
    }

    private static Access plan(QueryPlan indexPlan) {
        return new Access(indexPlan, null, indexPlan.estimate().cost());
    }

    private static Optional<String> pathIndex(FieldPath path, IndexedCollection c) {
        return c.indexOn(path).map(i -> i.definition().name());
    }

    private static boolean bound(Object v) {
        return !ValueSemantics.missing(v) && ValueSemantics.orderable(v);
    }

    /** The least string above every string starting with {@code prefix}, or UNBOUNDED when there is none. */
    static Object prefixSuccessor(String prefix) {
        int i = prefix.length() - 1;
        while (i >= 0 && prefix.charAt(i) == Character.MAX_VALUE) {
            i--;
        }
        if (i < 0) {
            return Dictionary.UNBOUNDED;
        }
        return prefix.substring(0, i) + (char) (prefix.charAt(i) + 1);
    }
}
