package io.protobase.query;

/**
 * Which ends of a {@link Field#between between} range are included, written as in interval notation.
 */
public enum Bounds {
    /** {@code [lo, hi]}: both ends included (the default, as SQL's BETWEEN). */
    CLOSED(true, true, "[]"),
    /** {@code (lo, hi)}: both ends excluded. */
    OPEN(false, false, "()"),
    /** {@code [lo, hi)}: low end included, high end excluded. */
    CLOSED_OPEN(true, false, "[)"),
    /** {@code (lo, hi]}: low end excluded, high end included. */
    OPEN_CLOSED(false, true, "(]");

    private final boolean lowInclusive;
    private final boolean highInclusive;
    private final String notation;

    Bounds(boolean lowInclusive, boolean highInclusive, String notation) {
        this.lowInclusive = lowInclusive;
        this.highInclusive = highInclusive;
        this.notation = notation;
    }

    /**
     * Parses interval notation.
     *
     * @param notation {@code "[]"}, {@code "()"}, {@code "[)"} or {@code "(]"}
     * @return the bounds written so
     * @throws QueryException if {@code notation} is none of these (or {@code null})
     */
    public static Bounds of(String notation) {
        for (Bounds b : values()) {
            if (b.notation.equals(notation)) {
                return b;
            }
        }
        throw new QueryException("Unknown bounds '" + notation + "': write one of \"[]\", \"()\", \"[)\", \"(]\"");
    }

    /**
     * Whether the low end is included.
     *
     * @return {@code true} for {@code [}
     */
    public boolean lowInclusive() {
        return lowInclusive;
    }

    /**
     * Whether the high end is included.
     *
     * @return {@code true} for {@code ]}
     */
    public boolean highInclusive() {
        return highInclusive;
    }

    /**
     * The interval notation, as {@link #of} reads it.
     *
     * @return {@code "[]"}, {@code "()"}, {@code "[)"} or {@code "(]"}
     */
    public String notation() {
        return notation;
    }
}
