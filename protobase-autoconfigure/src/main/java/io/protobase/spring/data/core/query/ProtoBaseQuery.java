package io.protobase.spring.data.core.query;

import io.protobase.query.Query;
import io.protobase.query.SortKey;
import org.springframework.data.domain.Sort;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a repository asks for: a {@link Criteria}, an order, whether the results are distinct, and a
 * window ({@code offset}, {@code limit}, {@code -1} for no limit). {@link #applyTo} turns it into an
 * engine {@link Query} over an entity's root collection: the filter first (where the planner picks
 * indexes), then the order, then the distinct step, then the window, as SQL's {@code SELECT DISTINCT
 * ... ORDER BY ... LIMIT} does.
 *
 * <p>{@code distinct} means distinct by what the query returns: the template decides the key (the
 * attributes a projection reads; for entities, which are distinct by id anyway, nothing).
 */
public record ProtoBaseQuery(Criteria criteria, Sort sort, long offset, long limit, boolean distinct) {

    public ProtoBaseQuery {
        Objects.requireNonNull(criteria, "criteria");
        Objects.requireNonNull(sort, "sort");
    }

    /** A query whose results are not made distinct. */
    public ProtoBaseQuery(Criteria criteria, Sort sort, long offset, long limit) {
        this(criteria, sort, offset, limit, false);
    }

    /** All records, unordered. */
    public static ProtoBaseQuery all() {
        return new ProtoBaseQuery(Criteria.all(), Sort.unsorted(), 0, -1);
    }

    /** The records matching {@code criteria}, unordered. */
    public static ProtoBaseQuery where(Criteria criteria) {
        return new ProtoBaseQuery(criteria, Sort.unsorted(), 0, -1);
    }

    /** This query ordered by {@code by}. */
    public ProtoBaseQuery orderBy(Sort by) {
        return new ProtoBaseQuery(criteria, by, offset, limit, distinct);
    }

    /** This query skipping {@code n} records. */
    public ProtoBaseQuery skip(long n) {
        return new ProtoBaseQuery(criteria, sort, n, limit, distinct);
    }

    /** This query returning at most {@code n} records. */
    public ProtoBaseQuery limit(long n) {
        return new ProtoBaseQuery(criteria, sort, offset, n, distinct);
    }

    /** This query returning each distinct result once (the first in its order), before the window applies. */
    public ProtoBaseQuery distinctResults() {
        return new ProtoBaseQuery(criteria, sort, offset, limit, true);
    }

    /** The same filter without order or window, for counting. */
    public ProtoBaseQuery unpaged() {
        return new ProtoBaseQuery(criteria, Sort.unsorted(), 0, -1);
    }

    /** The engine query reading {@code root}'s records, without a distinct step. */
    public Query applyTo(Object root) {
        return applyTo(root, null);
    }

    /**
     * The engine query reading {@code root}'s records; when this query is {@link #distinctResults() distinct} and
     * {@code distinctKey} is not {@code null}, only the first record of each key is kept.
     */
    public Query applyTo(Object root, Function<Object, ?> distinctKey) {
        Query q = Query.from(root);
        if (criteria.expression() != null) {
            q = q.where(criteria.expression());
        }
        if (criteria.predicate() != null) {
            q = q.where(criteria.predicate());
        }
        if (sort.isSorted()) {
            q = q.orderBy(sort.stream().map(ProtoBaseQuery::sortKey).toArray(SortKey[]::new));
        }
        if (distinct && distinctKey != null) {
            q = q.distinct(distinctKey);
        }
        if (offset > 0) {
            q = q.offset(offset);
        }
        if (limit >= 0) {
            q = q.limit(limit);
        }
        return q;
    }

    private static SortKey sortKey(Sort.Order order) {
        String path = order.getProperty();
        SortKey key;
        if (order.isIgnoreCase()) {
            io.protobase.query.Field field = io.protobase.query.Field.of(path);
            java.util.function.Function<Object, Object> lower = r -> field.apply(r) instanceof String s
                    ? s.toLowerCase(Locale.ROOT) : field.apply(r);
            key = order.isAscending() ? SortKey.asc(lower) : SortKey.desc(lower);
        } else {
            key = order.isAscending() ? SortKey.asc(path) : SortKey.desc(path);
        }
        return switch (order.getNullHandling()) {
            case NULLS_FIRST -> key.nullsFirst();
            case NULLS_LAST -> key.nullsLast();
            case NATIVE -> key;
        };
    }
}
