package io.protobase.index;


import org.jspecify.annotations.Nullable;

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

    /**
     * Parses a dotted path: {@code FieldPath.of("address.city")}.
     *
     * @param path the steps separated by dots, every step non-empty
     * @return the parsed path
     * @throws IllegalArgumentException if a step is empty ({@code "a..b"}, {@code ".a"}, {@code ""})
     * @throws NullPointerException if {@code path} is {@code null}
     */
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

    /**
     * The steps of the path, in order.
     *
     * @return the step names, unmodifiable
     */
    public List<String> steps() {
        return List.of(steps);
    }

    /**
     * Reads the value at this path in a record.
     *
     * @param record the record; {@code null} or anything that is neither a {@link FieldSource} nor a
     *               {@code Map} has no fields
     * @return the value, {@code null} for a present null, or {@link #ABSENT} when a step does not exist
     */
    public @Nullable Object extract(@Nullable Object record) {
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
