package io.protobase.query;

import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

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
public sealed interface Expression extends Predicate<@Nullable Object> {

    /**
     * Evaluates this expression on a record with three-valued logic.
     *
     * @param record the record; {@code null} or a record without the field makes comparisons
     *               {@code UNKNOWN}
     * @return {@code TRUE}, {@code FALSE} or {@code UNKNOWN}
     */
    Truth evaluate(@Nullable Object record);

    /**
     * Whether the expression is {@code TRUE} for a record: what a WHERE keeps.
     *
     * @param record the record
     * @return {@code true} only when {@link #evaluate} is {@code TRUE}
     */
    @Override
    default boolean test(@Nullable Object record) {
        return evaluate(record) == Truth.TRUE;
    }

    /**
     * The conjunction of this and another expression, flattened:
     * {@code Field.of("a").eq(1).and(Field.of("b").gt(2))}.
     *
     * @param other the other term, not {@code null}
     * @return an expression {@code TRUE} when both are
     */
    default Expression and(Expression other) {
        return allOf(this, other);
    }

    /**
     * The disjunction of this and another expression, flattened.
     *
     * @param other the other term, not {@code null}
     * @return an expression {@code TRUE} when either is
     */
    default Expression or(Expression other) {
        return anyOf(this, other);
    }

    /**
     * The negation of this expression; {@code UNKNOWN} stays {@code UNKNOWN}, so
     * {@code Field.of("price").gt(5).not()} does not keep records without a price.
     *
     * @return the negation
     */
    default Expression not() {
        return new Not(this);
    }

    /**
     * Same as {@link #not()}, so {@code Predicate} composition stays readable by the optimizer.
     *
     * @return the negation
     */
    @Override
    default Expression negate() {
        return not();
    }

    /**
     * The conjunction of the terms, flattened ({@code a and (b and c)} has three terms).
     *
     * @param terms the terms, none {@code null}; no term gives an expression always {@code TRUE}
     * @return the conjunction
     * @throws NullPointerException if a term is {@code null}
     */
    static Expression allOf(Expression... terms) {
        return new And(flatten(List.of(terms), And.class));
    }

    /**
     * The disjunction of the terms, flattened.
     *
     * @param terms the terms, none {@code null}; no term gives an expression always {@code FALSE}
     * @return the disjunction
     * @throws NullPointerException if a term is {@code null}
     */
    static Expression anyOf(Expression... terms) {
        return new Or(flatten(List.of(terms), Or.class));
    }

    /**
     * The negation of a term: {@code Expression.not(Field.of("archived").eq(true))}.
     *
     * @param term the term to negate, not {@code null}
     * @return the negation
     */
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
        /** Equal. */
        EQ("=="),
        /** Not equal. */
        NE("!="),
        /** Less than. */
        LT("<"),
        /** Less than or equal. */
        LE("<="),
        /** Greater than. */
        GT(">"),
        /** Greater than or equal. */
        GE(">=");

        private final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        /**
         * The operator as {@code explain()} writes it.
         *
         * @return {@code "=="}, {@code "!="}, {@code "<"}, {@code "<="}, {@code ">"} or {@code ">="}
         */
        public String symbol() {
            return symbol;
        }
    }

    /**
     * {@code path op value}; build it with {@link Field#eq} and its siblings.
     *
     * @param path     the field compared
     * @param operator the comparison
     * @param value    the constant; {@code null} makes the comparison {@code UNKNOWN}
     */
    record Comparison(FieldPath path, Operator operator, @Nullable Object value) implements Expression {
        /**
         * Checks the parts.
         *
         * @param path     the field compared, not {@code null}
         * @param operator the comparison, not {@code null}
         * @param value    the constant; may be {@code null}
         */
        public Comparison {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(operator, "operator");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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

    /**
     * {@code path in (values)}: the disjunction of {@code path == v} over the values; build it with
     * {@link Field#in(Object...)}.
     *
     * @param path   the field compared
     * @param values the candidates, an unmodifiable copy
     */
    record In(FieldPath path, List<@Nullable Object> values) implements Expression {
        /**
         * Copies the candidates.
         *
         * @param path   the field compared, not {@code null}
         * @param values the candidates, not {@code null}; {@code null} elements never match
         */
        public In {
            Objects.requireNonNull(path, "path");
            values = Collections.unmodifiableList(new ArrayList<>(values));
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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
            return path + " in " + values.stream().map(ValueSemantics::show)
                    .collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /**
     * {@code low <(=) path <(=) high}: the conjunction of the two orderings; build it with
     * {@link Field#between(Object, Object)}.
     *
     * @param path   the field compared
     * @param low    the lower end; {@code null} makes the comparison {@code UNKNOWN}
     * @param high   the upper end; {@code null} makes the comparison {@code UNKNOWN}
     * @param bounds which ends are included
     */
    record Between(FieldPath path, @Nullable Object low, @Nullable Object high, Bounds bounds) implements Expression {
        /**
         * Checks the parts.
         *
         * @param path   the field compared, not {@code null}
         * @param low    the lower end; may be {@code null}
         * @param high   the upper end; may be {@code null}
         * @param bounds which ends are included, not {@code null}
         */
        public Between {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(bounds, "bounds");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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
            return path + " between " + n.charAt(0) + ValueSemantics.show(low) + ", " + ValueSemantics.show(high)
                    + n.charAt(1);
        }
    }

    /**
     * {@code path contains value}: for a string field, substring containment of a string value; for a
     * list, set, multiset, {@code java.util.Collection} or array field, membership of an element equal to
     * the value; for a map or dictionary field, presence of the key. UNKNOWN when either side is missing,
     * FALSE for any other field type.
     *
     * @param path  the field tested
     * @param value the substring, element or key
     */
    record Contains(FieldPath path, @Nullable Object value) implements Expression {
        /**
         * Checks the path.
         *
         * @param path  the field tested, not {@code null}
         * @param value the substring, element or key; {@code null} makes the test {@code UNKNOWN}
         */
        public Contains {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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

    /**
     * {@code path} is a string starting with {@code prefix}; UNKNOWN when missing, FALSE for non-strings.
     *
     * @param path   the field tested
     * @param prefix the prefix
     */
    record StartsWith(FieldPath path, @Nullable String prefix) implements Expression {
        /**
         * Checks the path.
         *
         * @param path   the field tested, not {@code null}
         * @param prefix the prefix; {@code null} makes the test {@code UNKNOWN}
         */
        public StartsWith {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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

    /**
     * {@code path} is {@code null} or absent (never UNKNOWN).
     *
     * @param path the field tested
     */
    record IsNull(FieldPath path) implements Expression {
        /**
         * Checks the path.
         *
         * @param path the field tested, not {@code null}
         */
        public IsNull {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
            return Truth.of(ValueSemantics.missing(path.extract(record)));
        }

        @Override
        public String toString() {
            return path + " is null";
        }
    }

    /**
     * {@code path} is present and not {@code null} (never UNKNOWN).
     *
     * @param path the field tested
     */
    record IsNotNull(FieldPath path) implements Expression {
        /**
         * Checks the path.
         *
         * @param path the field tested, not {@code null}
         */
        public IsNotNull {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
            return Truth.of(!ValueSemantics.missing(path.extract(record)));
        }

        @Override
        public String toString() {
            return path + " is not null";
        }
    }

    /**
     * All terms (TRUE for no terms); build it with {@link Expression#and} or {@link Expression#allOf}.
     *
     * @param terms the terms, an unmodifiable copy
     */
    record And(List<Expression> terms) implements Expression {
        /**
         * Copies the terms.
         *
         * @param terms the terms, not {@code null}, none {@code null}
         */
        public And {
            terms = List.copyOf(terms);
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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

    /**
     * Any term (FALSE for no terms); build it with {@link Expression#or} or {@link Expression#anyOf}.
     *
     * @param terms the terms, an unmodifiable copy
     */
    record Or(List<Expression> terms) implements Expression {
        /**
         * Copies the terms.
         *
         * @param terms the terms, not {@code null}, none {@code null}
         */
        public Or {
            terms = List.copyOf(terms);
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
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

    /**
     * The negation of a term; build it with {@link Expression#not()}.
     *
     * @param term the negated term
     */
    record Not(Expression term) implements Expression {
        /**
         * Checks the term.
         *
         * @param term the negated term, not {@code null}
         */
        public Not {
            Objects.requireNonNull(term, "term");
        }

        @Override
        public Truth evaluate(@Nullable Object record) {
            return term.evaluate(record).not();
        }

        @Override
        public String toString() {
            return "NOT " + term;
        }
    }
}
