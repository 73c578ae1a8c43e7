package io.protobase.query;

import io.protobase.ProtoBaseException;
import io.protobase.collection.DbObject;
import org.jspecify.annotations.Nullable;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One output record per element of a collection-valued field of each input record (a SQL {@code
 * UNNEST}/lateral flatten): a list, set, multiset, dictionary (its values), {@code Map} (values),
 * array or other {@code Iterable}. Records whose field is missing or not a collection (strings
 * included) yield nothing. Without an alias the output records are the elements; with an alias each
 * is the input record with the element under that name ({@code DbObject.with(alias, element)} for a
 * {@code DbObject}, a copied {@code Map} for a map record).
 */
public final class UnnestPlan implements QueryPlan {

    private final Function<@Nullable Object, ?> elements;
    private final String description;
    private final @Nullable String alias;
    private final QueryPlan basedOn;

    /**
     * The elements of the collection at a field of each record.
     *
     * @param path    the dotted path of the collection-valued field
     * @param alias   the name the element is bound to in a copy of the record, or {@code null} to yield
     *                the bare elements
     * @param basedOn the input plan, not {@code null}
     * @throws QueryException if the path is malformed
     */
    public UnnestPlan(String path, @Nullable String alias, QueryPlan basedOn) {
        this(Field.of(path), path, alias, basedOn);
    }

    /**
     * The elements of the collection a function returns for each record.
     *
     * @param elements computes the collection from a record, not {@code null}; a {@code null} or a
     *                 non-collection yields nothing
     * @param alias    the name the element is bound to in a copy of the record, or {@code null} to yield
     *                 the bare elements
     * @param basedOn  the input plan, not {@code null}
     */
    public UnnestPlan(Function<@Nullable Object, ?> elements, @Nullable String alias, QueryPlan basedOn) {
        this(elements, elements instanceof Field f ? f.toString() : "lambda", alias, basedOn);
    }

    private UnnestPlan(Function<@Nullable Object, ?> elements, String description, @Nullable String alias,
                       QueryPlan basedOn) {
        this.elements = Objects.requireNonNull(elements, "elements");
        this.description = description;
        this.alias = alias;
        this.basedOn = Objects.requireNonNull(basedOn, "basedOn");
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
        return basedOn.execute().flatMap(r -> {
            Object c = elements.apply(r);
            if (!(FromPlan.isCollection(c) || c instanceof Map<?, ?>) || c instanceof DbObject) {
                return Stream.empty();
            }
            Stream<@Nullable Object> es = FromPlan.recordsOf(c);
            return alias == null ? es : es.map(e -> bind(r, e));
        });
    }

    private Object bind(Object record, Object element) {
        if (record instanceof DbObject o) {
            try {
                return o.with(alias, element);
            } catch (ProtoBaseException e) {
                // an element a DbObject cannot hold: fall through to a map row
            }
        }
        if (record instanceof DbObject || record instanceof Map<?, ?>) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (record instanceof DbObject o) {
                m.putAll(o.asMap());
            } else {
                ((Map<?, ?>) record).forEach((k, v) -> m.put(String.valueOf(k), v));
            }
            m.put(alias, element);
            return Collections.unmodifiableMap(m);
        }
        throw new QueryException("unnest(" + description + ", \"" + alias + "\") binds elements into DbObject or Map "
                + "records, not into a " + record.getClass().getName() + "; unnest without an alias or select() a "
                + "DbObject first");
    }

    @Override
    public QueryPlan optimize() {
        return new UnnestPlan(elements, description, alias, basedOn.optimize());
    }

    @Override
    public Estimate estimate() {
        Estimate in = basedOn.estimate();
        return new Estimate(in.rows() * 4, in.cost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("elements", description);
        if (alias != null) {
            d.put("alias", alias);
        }
        return Explanation.of("Unnest", Explanation.Access.NONE, d, estimate(), basedOn.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
