package io.protobase.benchmarks.repository;

import org.springframework.data.repository.ListCrudRepository;

import java.util.List;

/** The repository methods both stores run: CRUD plus two derived queries, indexed and not. */
public interface CustomerQueries extends ListCrudRepository<BenchCustomer, Long> {

    List<BenchCustomer> findByCity(String city);

    List<BenchCustomer> findBySegment(String segment);
}
