package io.protobase.spring.data.core.query;

import io.protobase.query.Query;
import io.protobase.query.SortKey;
import org.springframework.data.domain.Sort;

import java.util.Locale;
import java.util.Objects;

/**
 * What a repository asks for: a {@link Criteria}, an order, and a window ({@code offset}, {@code
 * limit}, {@code -1} for no limit). {@link #applyTo} turns it into an engine {@link Query} over an
 * entity's root collection: the filter first (where the planner picks indexes), then the order,
 * then the window.
 */
public record ProtoBaseQuery(Criteria criteria, Sort sort, long offset, long limit) {

    public ProtoBaseQuery {
        Objects.requireNonNull(criteria, "criteria");
        Objects.requireNonNull(sort, "sort");
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
        return new ProtoBaseQuery(criteria, by, offset, limit);
    }

    /** This query skipping {@code n} records. */
    public ProtoBaseQuery skip(long n) {
        return new ProtoBaseQuery(criteria, sort, n, limit);
    }

    /** This query returning at most {@code n} records. */
    public ProtoBaseQuery limit(long n) {
        return new ProtoBaseQuery(criteria, sort, offset, n);
    }

    /** The same filter without order or window, for counting. */
    public ProtoBaseQuery unpaged() {
        return new ProtoBaseQuery(criteria, Sort.unsorted(), 0, -1);
    }

    /** The engine query reading {@code root}'s records. */
    public Query applyTo(Object root) {
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
