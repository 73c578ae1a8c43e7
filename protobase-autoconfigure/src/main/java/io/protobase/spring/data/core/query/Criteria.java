package io.protobase.spring.data.core.query;

import io.protobase.query.Expression;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * A repository filter: an engine {@link Expression}, which the query planner can answer from
 * secondary indexes, and/or a residual {@link Predicate} for what expressions cannot say (case-
 * insensitive comparisons, suffixes, regular expressions, {@code Like} patterns). A record matches
 * when the expression is {@code TRUE} (SQL's three-valued logic) and the predicate accepts it.
 *
 * <p>A conjunction keeps the two parts apart, so the expression still drives index selection; a
 * disjunction involving a predicate becomes a predicate (a scan).
 */
public final class Criteria {

    private static final Criteria ALL = new Criteria(null, null, "true");

    private final Expression expression;
    private final Predicate<Object> predicate;
    private final String description;

    private Criteria(Expression expression, Predicate<Object> predicate, String description) {
        this.expression = expression;
        this.predicate = predicate;
        this.description = description;
    }

    /** Matches every record. */
    public static Criteria all() {
        return ALL;
    }

    /** A filter the planner can read. */
    public static Criteria of(Expression expression) {
        return new Criteria(Objects.requireNonNull(expression, "expression"), null, expression.toString());
    }

    /** A filter evaluated on each record; {@code description} names it in {@link #toString()}. */
    public static Criteria matching(String description, Predicate<Object> predicate) {
        return new Criteria(null, Objects.requireNonNull(predicate, "predicate"), description);
    }

    /** The expression part, or {@code null}. */
    public Expression expression() {
        return expression;
    }

    /** The predicate part, or {@code null}. */
    public Predicate<Object> predicate() {
        return predicate;
    }

    /** Whether a record matches. */
    public boolean test(Object record) {
        return (expression == null || expression.test(record)) && (predicate == null || predicate.test(record));
    }

    /** This and {@code other}. */
    public Criteria and(Criteria other) {
        if (this == ALL) {
            return other;
        }
        if (other == ALL) {
            return this;
        }
        Expression e = expression == null ? other.expression
                : other.expression == null ? expression : expression.and(other.expression);
        Predicate<Object> p = predicate == null ? other.predicate
                : other.predicate == null ? predicate : predicate.and(other.predicate);
        return new Criteria(e, p, "(" + description + " AND " + other.description + ")");
    }

    /** This or {@code other}. */
    public Criteria or(Criteria other) {
        if (this == ALL || other == ALL) {
            return ALL;
        }
        String d = "(" + description + " OR " + other.description + ")";
        if (predicate == null && other.predicate == null) {
            return new Criteria(expression.or(other.expression), null, d);
        }
        Criteria left = this;
        return new Criteria(null, r -> left.test(r) || other.test(r), d);
    }

    @Override
    public String toString() {
        return description;
    }
}
