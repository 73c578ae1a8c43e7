package io.protobase.benchmarks.repository.protobase;

import io.protobase.benchmarks.repository.BenchCustomer;
import io.protobase.benchmarks.repository.CustomerQueries;
import io.protobase.spring.data.repository.ProtoBaseRepository;

public interface ProtoBaseCustomerRepository extends ProtoBaseRepository<BenchCustomer, Long>, CustomerQueries {
}
