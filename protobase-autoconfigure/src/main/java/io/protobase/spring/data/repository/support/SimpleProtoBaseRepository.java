package io.protobase.spring.data.repository.support;

import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.query.ExampleCriteria;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import io.protobase.spring.data.repository.ProtoBaseRepository;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.data.domain.Example;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;
import org.springframework.data.repository.core.EntityInformation;
import org.springframework.data.repository.query.FluentQuery;
import org.springframework.data.support.PageableExecutionUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The implementation behind every {@link ProtoBaseRepository}: each method is one call of the
 * {@link ProtoBaseOperations}, in the current transaction or one of its own; methods taking several
 * entities or ids run them all in one transaction.
 */
public class SimpleProtoBaseRepository<T, ID> implements ProtoBaseRepository<T, ID> {

    private final EntityInformation<T, ID> entityInformation;
    private final ProtoBaseOperations template;
    private final Class<T> type;

    public SimpleProtoBaseRepository(EntityInformation<T, ID> entityInformation, ProtoBaseOperations template) {
        this.entityInformation = entityInformation;
        this.template = template;
        this.type = entityInformation.getJavaType();
    }

    @Override
    public <S extends T> S save(S entity) {
        return template.save(entity);
    }

    @Override
    public <S extends T> List<S> saveAll(Iterable<S> entities) {
        return template.saveAll(entities);
    }

    @Override
    public Optional<T> findById(ID id) {
        return template.findById(id, type);
    }

    @Override
    public boolean existsById(ID id) {
        return findById(id).isPresent();
    }

    @Override
    public List<T> findAll() {
        return template.find(ProtoBaseQuery.all(), type);
    }

    @Override
    public List<T> findAllById(Iterable<ID> ids) {
        Objects.requireNonNull(ids, "ids");
        return template.execute(false, tx -> {
            List<T> found = new ArrayList<>();
            ids.forEach(id -> findById(id).ifPresent(found::add));
            return found;
        });
    }

    @Override
    public long count() {
        return template.count(ProtoBaseQuery.all(), type);
    }

    @Override
    public void deleteById(ID id) {
        template.deleteById(id, type);
    }

    @Override
    public void delete(T entity) {
        template.delete(entity);
    }

    @Override
    public void deleteAllById(Iterable<? extends ID> ids) {
        Objects.requireNonNull(ids, "ids");
        template.execute(true, tx -> {
            ids.forEach(id -> template.deleteById(id, type));
            return null;
        });
    }

    @Override
    public void deleteAll(Iterable<? extends T> entities) {
        Objects.requireNonNull(entities, "entities");
        template.execute(true, tx -> {
            entities.forEach(template::delete);
            return null;
        });
    }

    @Override
    public void deleteAll() {
        template.deleteAll(type);
    }

    @Override
    public List<T> findAll(Sort sort) {
        return template.find(ProtoBaseQuery.all().orderBy(sort), type);
    }

    @Override
    public Page<T> findAll(Pageable pageable) {
        return page(ProtoBaseQuery.all(), pageable, type);
    }

    private <S> Page<S> page(ProtoBaseQuery query, Pageable pageable, Class<S> resultType) {
        return template.execute(false, tx -> {
            if (pageable.isUnpaged()) {
                List<S> all = template.find(query.orderBy(pageable.getSort()), type, resultType);
                return PageableExecutionUtils.getPage(all, pageable, all::size);
            }
            List<S> content = template.find(query.orderBy(pageable.getSort()).skip(pageable.getOffset())
                    .limit(pageable.getPageSize()), type, resultType);
            return PageableExecutionUtils.getPage(content, pageable, () -> template.count(query, type));
        });
    }

    // ------------------------------------------------------------------ query by example

    private ProtoBaseQuery query(Example<?> example) {
        return ProtoBaseQuery.where(ExampleCriteria.of(example, template.getMappingContext()));
    }

    @SuppressWarnings("unchecked")
    private <S extends T> Class<S> probeType(Example<S> example) {
        return (Class<S>) type;
    }

    @Override
    public <S extends T> Optional<S> findOne(Example<S> example) {
        List<S> found = template.find(query(example).limit(2), probeType(example));
        if (found.size() > 1) {
            throw new IncorrectResultSizeDataAccessException("More than one " + type.getSimpleName()
                    + " matches the example", 1);
        }
        return found.stream().findFirst();
    }

    @Override
    public <S extends T> List<S> findAll(Example<S> example) {
        return template.find(query(example), probeType(example));
    }

    @Override
    public <S extends T> List<S> findAll(Example<S> example, Sort sort) {
        return template.find(query(example).orderBy(sort), probeType(example));
    }

    @Override
    public <S extends T> Page<S> findAll(Example<S> example, Pageable pageable) {
        return page(query(example), pageable, probeType(example));
    }

    @Override
    public <S extends T> long count(Example<S> example) {
        return template.count(query(example), type);
    }

    @Override
    public <S extends T> boolean exists(Example<S> example) {
        return template.exists(query(example), type);
    }

    @Override
    public <S extends T, R> R findBy(Example<S> example,
            Function<FluentQuery.FetchableFluentQuery<S>, R> queryFunction) {
        return queryFunction.apply(new FetchableExampleQuery<>(query(example), probeType(example)));
    }

    /**
     * The fluent API of query by example: order, limit, projections ({@code as}: an interface or DTO,
     * read as derived queries read them) and fetch; {@code stream()} reads lazily, as derived
     * {@code Stream} queries do. {@code project(properties)} is accepted and changes nothing: the
     * result type decides what is read.
     */
    private final class FetchableExampleQuery<S> implements FluentQuery.FetchableFluentQuery<S> {

        private final ProtoBaseQuery query;
        private final Class<S> resultType;

        FetchableExampleQuery(ProtoBaseQuery query, Class<S> resultType) {
            this.query = query;
            this.resultType = resultType;
        }

        @Override
        public FetchableFluentQuery<S> sortBy(Sort sort) {
            return new FetchableExampleQuery<>(query.orderBy(query.sort().and(sort)), resultType);
        }

        @Override
        public FetchableFluentQuery<S> limit(int limit) {
            return new FetchableExampleQuery<>(query.limit(limit), resultType);
        }

        @Override
        public <R> FetchableFluentQuery<R> as(Class<R> projection) {
            return new FetchableExampleQuery<>(query, Objects.requireNonNull(projection, "projection"));
        }

        @Override
        public FetchableFluentQuery<S> project(java.util.Collection<String> properties) {
            return this;
        }

        @Override
        public S oneValue() {
            List<S> found = template.find(query.limit(2), type, resultType);
            if (found.size() > 1) {
                throw new IncorrectResultSizeDataAccessException(1);
            }
            return found.isEmpty() ? null : found.get(0);
        }

        @Override
        public S firstValue() {
            List<S> found = template.find(query.limit(1), type, resultType);
            return found.isEmpty() ? null : found.get(0);
        }

        @Override
        public List<S> all() {
            return template.find(query, type, resultType);
        }

        @Override
        public Page<S> page(Pageable pageable) {
            return SimpleProtoBaseRepository.this.page(query, pageable, resultType);
        }

        @Override
        public java.util.stream.Stream<S> stream() {
            return template.stream(query, type, resultType);
        }

        @Override
        public long count() {
            return template.count(query, type);
        }

        @Override
        public boolean exists() {
            return template.exists(query, type);
        }
    }
}
