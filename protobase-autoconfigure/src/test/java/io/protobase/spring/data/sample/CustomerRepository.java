package io.protobase.spring.data.sample;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

public interface CustomerRepository extends ProtoBaseRepository<Customer, String> {

    List<Customer> findByTier(Customer.Tier tier);
}
