package io.protobase.query;

import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Each input record mapped by a projection, in input order: a lambda, or {@link #fields} which
 * builds a row of named field values.
 */
public final class SelectPlan implements QueryPlan {

    private final Function<@Nullable Object, ?> projection;
    private final String description;
    private final QueryPlan basedOn;

    /**
     * Maps every record with {@code projection}.
     *
     * @param projection the mapping, not {@code null}; it may return {@code null}
     * @param basedOn    the input plan, not {@code null}
     */
    public SelectPlan(Function<@Nullable Object, ?> projection, QueryPlan basedOn) {
        this(projection, "lambda", basedOn);
    }

    private SelectPlan(Function<@Nullable Object, ?> projection, String description, QueryPlan basedOn) {
        this.projection = Objects.requireNonNull(projection, "projection");
        this.description = description;
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
    }

    /**
     * Maps every record to a row: an unmodifiable {@code Map} from each dotted path, in the order given,
     * to the field's value ({@code null} when absent). Rows are records for the plans above; {@code
     * DbObject.from(row)} makes a storable record of one.
     *
     * @param paths   the dotted paths, in the order of the row's columns
     * @param basedOn the input plan, not {@code null}
     * @return the projection
     * @throws QueryException if a path is malformed
     */
    public static SelectPlan fields(List<String> paths, QueryPlan basedOn) {
        List<FieldPath> parsed = paths.stream().map(p -> Field.of(p).path()).toList();
        Function<@Nullable Object, @Nullable Object> row = r -> {
            Map<String, @Nullable Object> m = new LinkedHashMap<>();
            for (FieldPath p : parsed) {
                Object v = p.extract(r);
                m.put(p.toString(), v == FieldPath.ABSENT ? null : v);
            }
            return Collections.unmodifiableMap(m);
        };
        return new SelectPlan(row, "fields " + paths, basedOn);
    }

    /**
     * The plan this one reads.
     *
     * @return the input plan
     */
    public QueryPlan basedOn() {
        return basedOn;
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return basedOn.execute().map(projection);
    }

    @Override
    public long count() {
        return basedOn.count();
    }

    @Override
    public QueryPlan optimize() {
        return new SelectPlan(projection, description, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        return basedOn.estimate();
    }

    @Override
    public Explanation explain() {
        return Explanation.of("Select", Explanation.Access.NONE, Map.of("projection", description), estimate(),
                basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
