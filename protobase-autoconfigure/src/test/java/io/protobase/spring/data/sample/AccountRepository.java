package io.protobase.spring.data.sample;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.List;

public interface AccountRepository extends ProtoBaseRepository<Account, Long> {

    List<Account> findByOwner(String owner);
}
