package io.protobase.index;


import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A dotted path into a record ({@code "address.city"}): each step reads an attribute of a
 * a {@link FieldSource} (a record, or a text key of a dictionary), or a key of a
 * {@link Map}. A step into anything else, or to an absent attribute, gives {@link #ABSENT}, which
 * queries treat like {@code null} and indexes do not index.
 */
public final class FieldPath {

    /** The result of {@link #extract} when some step of the path does not exist. */
    public static final Object ABSENT = new Object() {
        @Override
        public String toString() {
            return "ABSENT";
        }
    };

    private final String text;
    private final String[] steps;

    private FieldPath(String text, String[] steps) {
        this.text = text;
        this.steps = steps;
    }

    /** Parses a dotted path; every step must be non-empty. */
    public static FieldPath of(String path) {
        Objects.requireNonNull(path, "path");
        String[] steps = path.split("\\.", -1);
        for (String s : steps) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("Field path '" + path + "' has an empty step; write steps as a.b.c");
            }
        }
        return new FieldPath(path, steps);
    }

    /** The steps of the path, in order. */
    public List<String> steps() {
        return List.of(steps);
    }

    /** The value at this path in {@code record}, {@code null} for a present null, or {@link #ABSENT}. */
    public Object extract(Object record) {
        if (steps.length == 1) {
            return step(record, steps[0]);
        }
        Object current = record;
        for (String step : steps) {
            current = step(current, step);
            if (current == ABSENT) {
                return ABSENT;
            }
        }
        return current;
    }

    private static Object step(Object from, String name) {
        if (from instanceof FieldSource f) {
            return f.fieldOrAbsent(name);
        }
        if (from instanceof Map<?, ?> m) {
            return m.containsKey(name) ? m.get(name) : ABSENT;
        }
        return ABSENT;
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof FieldPath p && Arrays.equals(steps, p.steps);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(steps);
    }

    /** The dotted form. */
    @Override
    public String toString() {
        return text;
    }
}
