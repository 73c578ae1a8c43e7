package io.protobase.query;

/**
 * The three truth values of SQL's logic: an {@link Expression} is {@code UNKNOWN} where a comparison
 * involves {@code null}, an absent field, or (for orderings) values of different type groups. A
 * {@code WHERE} keeps only records for which the filter is {@code TRUE}. The connectives follow
 * Kleene's strong logic, as SQL does: {@code not(UNKNOWN)} is {@code UNKNOWN}, {@code FALSE and
 * UNKNOWN} is {@code FALSE}, {@code TRUE or UNKNOWN} is {@code TRUE}.
 */
public enum Truth {
    /** The record satisfies the condition. */
    TRUE,
    /** The record does not satisfy the condition. */
    FALSE,
    /** The condition cannot be decided: a value is missing or the values are not comparable. */
    UNKNOWN;

    /**
     * The truth value of a Java boolean.
     *
     * @param value the boolean
     * @return {@code TRUE} or {@code FALSE}
     */
    public static Truth of(boolean value) {
        return value ? TRUE : FALSE;
    }

    /**
     * Kleene negation.
     *
     * @return {@code FALSE} for {@code TRUE}, {@code TRUE} for {@code FALSE}, {@code UNKNOWN} for
     *         {@code UNKNOWN}
     */
    public Truth not() {
        return switch (this) {
            case TRUE -> FALSE;
            case FALSE -> TRUE;
            case UNKNOWN -> UNKNOWN;
        };
    }

    /**
     * Kleene conjunction.
     *
     * @param other the other operand, not {@code null}
     * @return {@code FALSE} if either is, {@code TRUE} if both are, otherwise {@code UNKNOWN}
     */
    public Truth and(Truth other) {
        if (this == FALSE || other == FALSE) {
            return FALSE;
        }
        return this == TRUE && other == TRUE ? TRUE : UNKNOWN;
    }

    /**
     * Kleene disjunction.
     *
     * @param other the other operand, not {@code null}
     * @return {@code TRUE} if either is, {@code FALSE} if both are, otherwise {@code UNKNOWN}
     */
    public Truth or(Truth other) {
        if (this == TRUE || other == TRUE) {
            return TRUE;
        }
        return this == FALSE && other == FALSE ? FALSE : UNKNOWN;
    }
}
