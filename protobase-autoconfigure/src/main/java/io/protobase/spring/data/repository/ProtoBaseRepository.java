package io.protobase.spring.data.repository;

import org.springframework.data.repository.ListCrudRepository;
import org.springframework.data.repository.ListPagingAndSortingRepository;
import org.springframework.data.repository.NoRepositoryBean;
import org.springframework.data.repository.query.ListQueryByExampleExecutor;

/**
 * A Spring Data repository of ProtoBase entities: CRUD, paging and sorting, query by example, and
 * derived queries ({@code findByCityAndAgeGreaterThan}) declared on sub-interfaces. Every call runs
 * in the current {@code @Transactional} ProtoBase transaction, or in a transaction of its own.
 *
 * @param <T> the entity type
 * @param <ID> the id type
 */
@NoRepositoryBean
public interface ProtoBaseRepository<T, ID>
        extends ListCrudRepository<T, ID>, ListPagingAndSortingRepository<T, ID>, ListQueryByExampleExecutor<T> {
}
