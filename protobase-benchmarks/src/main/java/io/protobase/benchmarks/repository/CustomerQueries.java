package io.protobase.benchmarks.repository;

import org.springframework.data.repository.ListCrudRepository;

import java.util.List;

/**
 * The repository methods both stores run: CRUD plus two derived queries, indexed and not, and the
 * indexed one again returning a closed projection.
 */
public interface CustomerQueries extends ListCrudRepository<BenchCustomer, Long> {

    List<BenchCustomer> findByCity(String city);

    List<BenchCustomer> findBySegment(String segment);

    List<NameAndAge> findProjectedByCity(String city);

    /** A closed projection: two of the entity's five properties. */
    interface NameAndAge {
        String getName();

        int getAge();
    }
}
