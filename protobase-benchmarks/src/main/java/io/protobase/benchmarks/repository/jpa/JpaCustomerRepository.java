package io.protobase.benchmarks.repository.jpa;

import io.protobase.benchmarks.repository.BenchCustomer;
import io.protobase.benchmarks.repository.CustomerQueries;
import org.springframework.data.jpa.repository.JpaRepository;

public interface JpaCustomerRepository extends JpaRepository<BenchCustomer, Long>, CustomerQueries {
}
