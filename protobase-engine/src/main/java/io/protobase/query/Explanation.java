package io.protobase.query;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The structured form of {@link QueryPlan#explain()}: one node per plan operator, with how it reads
 * its records ({@link #access()}), operator details (the index used, keys, the filter...), the
 * estimated row count and cost, and the nodes of its inputs. {@link #toText()} (also {@link
 * #toString()}) renders the tree one operator per line, inputs indented below:
 *
 * <pre>
 * Where [filter=price &lt; 100.0] rows≈12 cost≈24
 *   IndexLookup INDEX [index=category, keys=['electronics']] rows≈24 cost≈62
 * </pre>
 *
 * <p>An index node reading a covering index (one that yields records from its own entries, see
 * {@link io.protobase.index.SecondaryIndex#isCovering()}) has the detail {@code covering=true}.
 *
 * @param operator the plan type without the {@code Plan} suffix ({@code "Where"}, {@code "IndexLookup"})
 * @param access {@link Access#SCAN} for a full read of a collection, {@link Access#INDEX} for an index
 *               read, {@link Access#NONE} for operators that only transform their inputs
 * @param details operator-specific facts, in display order
 * @param estimatedRows see {@link Estimate#rows()}
 * @param estimatedCost see {@link Estimate#cost()}
 * @param inputs the explanations of the plans this one reads
 */
public record Explanation(String operator, Access access, Map<String, String> details, double estimatedRows,
                          double estimatedCost, List<Explanation> inputs) {

    /** How a node reads records. */
    public enum Access {
        /** Reads a whole collection. */
        SCAN,
        /** Reads a secondary index. */
        INDEX,
        /** Reads no collection: transforms the records of its inputs. */
        NONE
    }

    /**
     * Copies the details and inputs; the plans make explanations, users read them.
     *
     * @param operator      the plan type without the {@code Plan} suffix
     * @param access        how the node reads records
     * @param details       operator-specific facts, in display order, not {@code null}
     * @param estimatedRows the estimated number of records yielded
     * @param estimatedCost the estimated cost
     * @param inputs        the explanations of the plans this one reads, not {@code null}
     */
    public Explanation {
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
        inputs = List.copyOf(inputs);
    }

    static Explanation of(String operator, Access access, Map<String, String> details, Estimate e,
            Explanation... inputs) {
        return new Explanation(operator, access, details, e.rows(), e.cost(), List.of(inputs));
    }

    /**
     * Whether this node or any input reads an index.
     *
     * @return {@code true} if some node of the tree has {@link Access#INDEX}
     */
    public boolean usesIndex() {
        return access == Access.INDEX || inputs.stream().anyMatch(Explanation::usesIndex);
    }

    /**
     * Whether this node or any input reads a covering index (the detail {@code covering=true}).
     *
     * @return {@code true} if some index node of the tree reads a covering index
     */
    public boolean usesCoveringIndex() {
        return (access == Access.INDEX && "true".equals(details.get("covering")))
                || inputs.stream().anyMatch(Explanation::usesCoveringIndex);
    }

    /**
     * Whether this node or any input scans a whole collection.
     *
     * @return {@code true} if some node of the tree has {@link Access#SCAN}
     */
    public boolean usesScan() {
        return access == Access.SCAN || inputs.stream().anyMatch(Explanation::usesScan);
    }

    /**
     * Renders the tree as indented text, one operator per line, as in the class comment.
     *
     * @return the text, one line per node, each ending with the line separator
     */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        render(sb, 0);
        return sb.toString();
    }

    private void render(StringBuilder sb, int depth) {
        sb.append("  ".repeat(depth)).append(operator);
        if (access != Access.NONE) {
            sb.append(' ').append(access);
        }
        if (!details.isEmpty()) {
            sb.append(details.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ", " [", "]")));
        }
        sb.append(String.format(Locale.ROOT, " rows≈%s cost≈%s%n", number(estimatedRows), number(estimatedCost)));
        for (Explanation in : inputs) {
            in.render(sb, depth + 1);
        }
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d)
                : String.format(Locale.ROOT, "%.1f", d);
    }

    @Override
    public String toString() {
        return toText();
    }
}
