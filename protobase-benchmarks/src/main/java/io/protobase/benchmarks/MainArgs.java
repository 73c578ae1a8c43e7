package io.protobase.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code name=value} arguments of the space programs ({@link WriteAmplification}, {@link DiskGrowth},
 * {@link CommitLatency}, {@link CloudGrowth}): each program names the arguments it knows with their defaults, and
 * an unknown name or a malformed value stops it before it builds anything, with the list of known names. Numbers
 * may carry {@code _} separators ({@code commits=1_000_000}).
 */
final class MainArgs {

    private final String program;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> defaults;

    /** Parses {@code args} of {@code program}, whose known arguments and defaults are {@code defaults}. */
    MainArgs(String program, String[] args, Map<String, String> defaults) {
        this.program = program;
        this.defaults = defaults;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (eq < 0 || !defaults.containsKey(name)) {
                throw new IllegalArgumentException(program + ": unknown argument '" + arg + "'; pass name=value with "
                        + "a name among " + defaults.keySet() + " (defaults " + defaults + ")");
            }
            values.put(name, arg.substring(eq + 1));
        }
    }

    /** The value of {@code name}, given or default. */
    String string(String name) {
        if (!defaults.containsKey(name)) {
            throw new IllegalStateException(program + " reads an argument it does not declare: " + name);
        }
        return values.getOrDefault(name, defaults.get(name));
    }

    /** The value of {@code name} as a non-negative {@code int}. */
    int count(String name) {
        String v = string(name);
        try {
            int n = Integer.parseInt(v.replace("_", ""));
            if (n < 0) {
                throw new NumberFormatException("negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(program + ": " + name + " must be a non-negative whole number, not '"
                    + v + "'", e);
        }
    }

    /** The value of {@code name}, which must be one of {@code choices}. */
    String choice(String name, Set<String> choices) {
        String v = string(name);
        if (!choices.contains(v)) {
            throw new IllegalArgumentException(program + ": " + name + " must be one of " + choices + ", not '" + v
                    + "'");
        }
        return v;
    }

    /** Every argument with its value, given or default, for the report's first line. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (String name : defaults.keySet()) {
            sb.append(sb.length() == 0 ? "" : " ").append(name).append('=').append(string(name));
        }
        return sb.toString();
    }
}
