package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.data.domain.Limit;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.SliceImpl;
import org.springframework.data.repository.query.ParametersParameterAccessor;
import org.springframework.data.repository.query.QueryMethod;
import org.springframework.data.repository.query.RepositoryQuery;
import org.springframework.data.repository.query.parser.PartTree;
import org.springframework.data.support.PageableExecutionUtils;

import java.util.List;

/**
 * A derived query method ({@code findByCityAndAgeGreaterThan}, {@code countBy…}, {@code existsBy…},
 * {@code deleteBy…}), parsed once into a {@link PartTree} and compiled per call by
 * {@link ProtoBaseQueryCreator}. A call runs in one transaction: the current one, or its own, so a
 * page and its total count come from the same snapshot.
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
        ProtoBaseQuery query = createQuery(parameters);
        Object result = template.execute(tree.isDelete(), tx -> run(query, accessor.getPageable()));
        return method.getResultProcessor().withDynamicProjection(accessor).processResult(result);
    }

    private Object run(ProtoBaseQuery query, Pageable pageable) {
        if (tree.isDelete()) {
            List<?> deleted = template.delete(query, domainType);
            return method.isCollectionQuery() ? deleted : (Object) (long) deleted.size();
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
                List<Object> content = find(window.limit(Math.min(size + 1, max)));
                boolean hasNext = content.size() > size;
                return new SliceImpl<>(hasNext ? content.subList(0, (int) size) : content, pageable, hasNext);
            }
            List<Object> content = find(window.limit(Math.min(size, max)));
            if (method.isPageQuery()) {
                return PageableExecutionUtils.getPage(content, pageable, () -> Math.min(
                        template.count(query, domainType), query.limit() < 0 ? Long.MAX_VALUE : query.limit()));
            }
            return content;
        }
        if (method.isCollectionQuery() || method.isStreamQuery() || method.isSliceQuery() || method.isPageQuery()) {
            List<Object> content = find(query);
            if (method.isStreamQuery()) {
                return content.stream();
            }
            if (method.isSliceQuery()) {
                return new SliceImpl<>(content, pageable, false);
            }
            if (method.isPageQuery()) {
                return PageableExecutionUtils.getPage(content, pageable, content::size);
            }
            return content;
        }
        List<Object> content = find(query.limit(query.limit() < 0 ? 2 : Math.min(query.limit(), 2)));
        if (content.size() > 1 && !tree.isLimiting()) {
            throw new IncorrectResultSizeDataAccessException("Query " + method.getName()
                    + " returned more than one " + domainType.getSimpleName(), 1);
        }
        return content.isEmpty() ? null : content.get(0);
    }

    @SuppressWarnings("unchecked")
    private List<Object> find(ProtoBaseQuery query) {
        return (List<Object>) template.find(query, domainType);
    }

    @Override
    public QueryMethod getQueryMethod() {
        return method;
    }
}
