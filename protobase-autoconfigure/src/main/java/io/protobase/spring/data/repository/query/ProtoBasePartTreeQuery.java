package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.data.domain.Limit;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.SliceImpl;
import org.springframework.data.repository.query.ParametersParameterAccessor;
import org.springframework.data.repository.query.QueryMethod;
import org.springframework.data.repository.query.ResultProcessor;
import org.springframework.data.repository.query.ReturnedType;
import org.springframework.data.repository.query.RepositoryQuery;
import org.springframework.data.repository.query.parser.PartTree;
import org.springframework.data.support.PageableExecutionUtils;
import org.springframework.util.ClassUtils;

import java.util.List;

/**
 * A derived query method ({@code findByCityAndAgeGreaterThan}, {@code countBy…}, {@code existsBy…},
 * {@code deleteBy…}), parsed once into a {@link PartTree} and compiled per call by
 * {@link ProtoBaseQueryCreator}. A call runs in one transaction: the current one, or its own, so a
 * page and its total count come from the same snapshot. A {@code Stream} result is the exception: it
 * is read lazily, from a read-only snapshot that stays open until the stream is closed (or from the
 * current transaction).
 *
 * <p>Results are read as the method returns them ({@link ProtoBaseOperations#find(ProtoBaseQuery,
 * Class, Class)}): entities, or projections (interface, DTO, or a {@code Class} parameter) read from
 * the stored records directly; {@code Distinct} makes them distinct by what is returned. A
 * {@code delete…By} returns the number deleted, the deleted entities, or the one deleted entity.
 */
public class ProtoBasePartTreeQuery implements RepositoryQuery {

    private final QueryMethod method;
    private final ProtoBaseOperations template;
    private final PartTree tree;
    private final Class<?> domainType;

    public ProtoBasePartTreeQuery(QueryMethod method, ProtoBaseOperations template) {
        this.method = method;
        this.template = template;
        this.domainType = method.getEntityInformation().getJavaType();
        this.tree = new PartTree(method.getName(), domainType);
    }

    /** The query a call with {@code parameters} runs, before paging: for tests and {@code explain}. */
    public ProtoBaseQuery createQuery(Object[] parameters) {
        ParametersParameterAccessor accessor = new ParametersParameterAccessor(method.getParameters(), parameters);
        ProtoBaseQuery query = new ProtoBaseQueryCreator(tree, accessor, template.getMappingContext()).createQuery();
        if (tree.isDistinct()) {
            query = query.distinctResults();
        }
        if (tree.isLimiting()) {
            query = query.limit(tree.getMaxResults());
        }
        Limit limit = method.getParameters().hasLimitParameter() ? accessor.getLimit() : Limit.unlimited();
        if (limit.isLimited()) {
            query = query.limit(query.limit() < 0 ? limit.max() : Math.min(query.limit(), limit.max()));
        }
        return query;
    }

    @Override
    public Object execute(Object[] parameters) {
        ParametersParameterAccessor accessor = new ParametersParameterAccessor(method.getParameters(), parameters);
        ResultProcessor processor = method.getResultProcessor().withDynamicProjection(accessor);
        ReturnedType returned = processor.getReturnedType();
        Class<?> resultType = returned.isProjecting() ? returned.getReturnedType() : domainType;
        ProtoBaseQuery query = createQuery(parameters);
        if (method.isStreamQuery() && !tree.isDelete()) {
            return processor.processResult(template.stream(window(query, accessor.getPageable()), domainType,
                    resultType));
        }
        Object result = template.execute(tree.isDelete(), tx -> run(query, accessor.getPageable(), resultType));
        return processor.processResult(result);
    }

    /** {@code query} restricted to {@code pageable}'s page, when it is paged. */
    private static ProtoBaseQuery window(ProtoBaseQuery query, Pageable pageable) {
        if (pageable.isUnpaged()) {
            return query;
        }
        long max = query.limit() < 0 ? Long.MAX_VALUE : Math.max(0, query.limit() - pageable.getOffset());
        return query.skip(pageable.getOffset()).limit(Math.min(pageable.getPageSize(), max));
    }

    private Object run(ProtoBaseQuery query, Pageable pageable, Class<?> resultType) {
        if (tree.isDelete()) {
            return delete(query);
        }
        if (tree.isCountProjection()) {
            return template.count(query, domainType);
        }
        if (tree.isExistsProjection()) {
            return template.exists(query, domainType);
        }
        if (pageable.isPaged()) {
            ProtoBaseQuery window = query.skip(pageable.getOffset());
            long size = pageable.getPageSize();
            long max = query.limit() < 0 ? Long.MAX_VALUE : Math.max(0, query.limit() - pageable.getOffset());
            if (method.isSliceQuery()) {
                List<Object> content = find(window.limit(Math.min(size + 1, max)), resultType);
                boolean hasNext = content.size() > size;
                return new SliceImpl<>(hasNext ? content.subList(0, (int) size) : content, pageable, hasNext);
            }
            List<Object> content = find(window.limit(Math.min(size, max)), resultType);
            if (method.isPageQuery()) {
                return PageableExecutionUtils.getPage(content, pageable, () -> Math.min(
                        template.count(query, domainType), query.limit() < 0 ? Long.MAX_VALUE : query.limit()));
            }
            return content;
        }
        if (method.isCollectionQuery() || method.isSliceQuery() || method.isPageQuery()) {
            List<Object> content = find(query, resultType);
            if (method.isSliceQuery()) {
                return new SliceImpl<>(content, pageable, false);
            }
            if (method.isPageQuery()) {
                return PageableExecutionUtils.getPage(content, pageable, content::size);
            }
            return content;
        }
        List<Object> content = find(query.limit(query.limit() < 0 ? 2 : Math.min(query.limit(), 2)), resultType);
        if (content.size() > 1 && !tree.isLimiting()) {
            throw tooMany();
        }
        return content.isEmpty() ? null : content.get(0);
    }

    /**
     * Deletes what {@code query} selects and returns, as the method declares: the deleted entities
     * (a collection), the one deleted entity (an entity or {@code Optional}; more than one match fails
     * and, as the failure ends the transaction, deletes nothing), or how many were deleted.
     */
    private Object delete(ProtoBaseQuery query) {
        List<?> deleted = template.delete(query, domainType);
        if (method.isCollectionQuery()) {
            return deleted;
        }
        Class<?> returned = method.getReturnedObjectType();
        if (returned == void.class || returned == Void.class || ClassUtils.isAssignable(Number.class, returned)) {
            return (long) deleted.size();
        }
        if (deleted.size() > 1) {
            throw tooMany();
        }
        return deleted.isEmpty() ? null : deleted.get(0);
    }

    @SuppressWarnings("unchecked")
    private List<Object> find(ProtoBaseQuery query, Class<?> resultType) {
        return (List<Object>) template.find(query, domainType, resultType);
    }

    private IncorrectResultSizeDataAccessException tooMany() {
        return new IncorrectResultSizeDataAccessException("Query " + method.getName() + " of "
                + method.getEntityInformation().getJavaType().getName() + " matched more than one "
                + domainType.getSimpleName() + "; return a collection, or narrow the query (First, Top)", 1);
    }

    @Override
    public QueryMethod getQueryMethod() {
        return method;
    }
}
