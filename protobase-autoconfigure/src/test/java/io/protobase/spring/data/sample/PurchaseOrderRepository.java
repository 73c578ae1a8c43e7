package io.protobase.spring.data.sample;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

public interface PurchaseOrderRepository extends ProtoBaseRepository<PurchaseOrder, Integer> {

    List<PurchaseOrder> findByCustomerId(String customerId);

    List<PurchaseOrder> findByCustomer(Customer customer);
}
