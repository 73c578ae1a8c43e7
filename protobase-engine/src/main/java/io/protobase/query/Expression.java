package io.protobase.query;

import io.protobase.index.FieldPath;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A filter the optimizer can read: comparisons of a record's field (a {@link FieldPath}) with
 * constants, combined with and/or/not. Build them with {@link Field}: {@code
 * Field.of("category").eq("electronics").and(Field.of("price").lt(100))}.
 *
 * <p><b>Semantics.</b> {@link #evaluate} gives a {@link Truth}, with SQL's three-valued logic:
 * <ul>
 *   <li>a missing field ({@code null} or {@link FieldPath#ABSENT}) or a {@code null} constant makes
 *       every comparison {@code UNKNOWN} (use {@link IsNull}/{@link IsNotNull} to test for it);</li>
 *   <li>equality holds between values equal under {@link io.protobase.codec.ValueOrder} in the same
 *       type group (numbers of any Java type compare numerically); values of different groups are
 *       simply not equal ({@code FALSE}), so {@code ne} is {@code TRUE} for them;</li>
 *   <li>orderings ({@code lt}, {@code le}, {@code gt}, {@code ge}, {@code between}) are defined only
 *       within one type group and are {@code UNKNOWN} across groups;</li>
 *   <li>{@code in} is the disjunction of equalities, {@code between} the conjunction of two
 *       orderings, and and/or/not are Kleene's, so {@code not(price > 5)} is {@code UNKNOWN}, not
 *       {@code TRUE}, when the price is missing.</li>
 * </ul>
 * As a {@link Predicate} ({@link #test}) an expression accepts a record only when it is {@code TRUE}.
 */
public sealed interface Expression extends Predicate<Object> {

    /** The truth of this expression for {@code record}. */
    Truth evaluate(Object record);

    /** Whether the expression is {@code TRUE} for {@code record}: what a WHERE keeps. */
    @Override
    default boolean test(Object record) {
        return evaluate(record) == Truth.TRUE;
    }

    /** This and {@code other}. */
    default Expression and(Expression other) {
        return allOf(this, other);
    }

    /** This or {@code other}. */
    default Expression or(Expression other) {
        return anyOf(this, other);
    }

    /** The negation of this expression (UNKNOWN stays UNKNOWN). */
    default Expression not() {
        return new Not(this);
    }

    /** Same as {@link #not()}. */
    @Override
    default Expression negate() {
        return not();
    }

    /** The conjunction of the terms, flattened ({@code a and (b and c)} has three terms). */
    static Expression allOf(Expression... terms) {
        return new And(flatten(List.of(terms), And.class));
    }

    /** The disjunction of the terms, flattened. */
    static Expression anyOf(Expression... terms) {
        return new Or(flatten(List.of(terms), Or.class));
    }

    /** The negation of {@code term}. */
    static Expression not(Expression term) {
        return new Not(term);
    }

    private static List<Expression> flatten(List<Expression> terms, Class<?> kind) {
        List<Expression> out = new ArrayList<>();
        for (Expression t : terms) {
            Objects.requireNonNull(t, "expression");
            if (kind == And.class && t instanceof And a) {
                out.addAll(a.terms());
            } else if (kind == Or.class && t instanceof Or o) {
                out.addAll(o.terms());
            } else {
                out.add(t);
            }
        }
        return out;
    }

    /** The comparison operators. */
    enum Operator {
        EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

        private final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }
    }

    /** {@code path op value}. */
    record Comparison(FieldPath path, Operator operator, Object value) implements Expression {
        public Comparison {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(operator, "operator");
        }

        @Override
        public Truth evaluate(Object record) {
            Object v = path.extract(record);
            return switch (operator) {
                case EQ -> ValueSemantics.equal(v, value);
                case NE -> ValueSemantics.equal(v, value).not();
                case LT -> ValueSemantics.order(v, value, c -> c < 0);
                case LE -> ValueSemantics.order(v, value, c -> c <= 0);
                case GT -> ValueSemantics.order(v, value, c -> c > 0);
                case GE -> ValueSemantics.order(v, value, c -> c >= 0);
            };
        }

        @Override
        public String toString() {
            return path + " " + operator.symbol + " " + ValueSemantics.show(value);
        }
    }

    /** {@code path in (values)}: the disjunction of {@code path == v} over the values. */
    record In(FieldPath path, List<Object> values) implements Expression {
        public In {
            Objects.requireNonNull(path, "path");
            values = Collections.unmodifiableList(new ArrayList<>(values));
        }

        @Override
        public Truth evaluate(Object record) {
            Object v = path.extract(record);
            Truth t = Truth.FALSE;
            for (Object candidate : values) {
                t = t.or(ValueSemantics.equal(v, candidate));
                if (t == Truth.TRUE) {
                    return t;
                }
            }
            return t;
        }

        @Override
        public String toString() {
            return path + " in " + values.stream().map(ValueSemantics::show).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /** {@code low <(=) path <(=) high}: the conjunction of the two orderings. */
    record Between(FieldPath path, Object low, Object high, Bounds bounds) implements Expression {
        public Between {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(bounds, "bounds");
        }

        @Override
        public Truth evaluate(Object record) {
            Object v = path.extract(record);
            Truth lo = ValueSemantics.order(v, low, bounds.lowInclusive() ? c -> c >= 0 : c -> c > 0);
            if (lo == Truth.FALSE) {
                return lo;
            }
            return lo.and(ValueSemantics.order(v, high, bounds.highInclusive() ? c -> c <= 0 : c -> c < 0));
        }

        @Override
        public String toString() {
            String n = bounds.notation();
            return path + " between " + n.charAt(0) + ValueSemantics.show(low) + ", " + ValueSemantics.show(high) + n.charAt(1);
        }
    }

    /**
     * {@code path contains value}: for a string field, substring containment of a string value; for a
     * list, set, multiset, {@code java.util.Collection} or array field, membership of an element equal to
     * the value; for a map or dictionary field, presence of the key. UNKNOWN when either side is missing,
     * FALSE for any other field type.
     */
    record Contains(FieldPath path, Object value) implements Expression {
        public Contains {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(Object record) {
            Object v = path.extract(record);
            if (ValueSemantics.missing(v) || ValueSemantics.missing(value)) {
                return Truth.UNKNOWN;
            }
            if (v instanceof String s) {
                return Truth.of(value instanceof String sub && s.contains(sub));
            }
            if (v instanceof io.protobase.collection.Dictionary d) {
                return Truth.of(ValueSemantics.orderable(value) && d.has(value));
            }
            if (v instanceof io.protobase.collection.HashDictionary d) {
                return Truth.of(ValueSemantics.orderable(value) && d.has(value));
            }
            if (v instanceof java.util.Map<?, ?> m) {
                return Truth.of(m.keySet().stream().anyMatch(k -> ValueSemantics.equal(k, value) == Truth.TRUE));
            }
            if (FromPlan.isCollection(v)) {
                try (var elements = FromPlan.recordsOf(v)) {
                    return Truth.of(elements.anyMatch(e -> ValueSemantics.equal(e, value) == Truth.TRUE));
                }
            }
            return Truth.FALSE;
        }

        @Override
        public String toString() {
            return path + " contains " + ValueSemantics.show(value);
        }
    }

    /** {@code path} is a string starting with {@code prefix}; UNKNOWN when missing, FALSE for non-strings. */
    record StartsWith(FieldPath path, String prefix) implements Expression {
        public StartsWith {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(Object record) {
            Object v = path.extract(record);
            if (ValueSemantics.missing(v) || prefix == null) {
                return Truth.UNKNOWN;
            }
            return Truth.of(v instanceof String s && s.startsWith(prefix));
        }

        @Override
        public String toString() {
            return path + " startsWith " + ValueSemantics.show(prefix);
        }
    }

    /** {@code path} is {@code null} or absent (never UNKNOWN). */
    record IsNull(FieldPath path) implements Expression {
        public IsNull {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(Object record) {
            return Truth.of(ValueSemantics.missing(path.extract(record)));
        }

        @Override
        public String toString() {
            return path + " is null";
        }
    }

    /** {@code path} is present and not {@code null} (never UNKNOWN). */
    record IsNotNull(FieldPath path) implements Expression {
        public IsNotNull {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(Object record) {
            return Truth.of(!ValueSemantics.missing(path.extract(record)));
        }

        @Override
        public String toString() {
            return path + " is not null";
        }
    }

    /** All terms (TRUE for no terms). */
    record And(List<Expression> terms) implements Expression {
        public And {
            terms = List.copyOf(terms);
        }

        @Override
        public Truth evaluate(Object record) {
            Truth t = Truth.TRUE;
            for (Expression e : terms) {
                t = t.and(e.evaluate(record));
                if (t == Truth.FALSE) {
                    return t;
                }
            }
            return t;
        }

        @Override
        public String toString() {
            return terms.stream().map(Object::toString).collect(Collectors.joining(" AND ", "(", ")"));
        }
    }

    /** Any term (FALSE for no terms). */
    record Or(List<Expression> terms) implements Expression {
        public Or {
            terms = List.copyOf(terms);
        }

        @Override
        public Truth evaluate(Object record) {
            Truth t = Truth.FALSE;
            for (Expression e : terms) {
                t = t.or(e.evaluate(record));
                if (t == Truth.TRUE) {
                    return t;
                }
            }
            return t;
        }

        @Override
        public String toString() {
            return terms.stream().map(Object::toString).collect(Collectors.joining(" OR ", "(", ")"));
        }
    }

    /** The negation of a term. */
    record Not(Expression term) implements Expression {
        public Not {
            Objects.requireNonNull(term, "term");
        }

        @Override
        public Truth evaluate(Object record) {
            return term.evaluate(record).not();
        }

        @Override
        public String toString() {
            return "NOT " + term;
        }
    }
}
