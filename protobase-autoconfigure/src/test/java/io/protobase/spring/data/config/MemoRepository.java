package io.protobase.spring.data.config;

import io.protobase.spring.data.repository.ProtoBaseRepository;

public interface MemoRepository extends ProtoBaseRepository<Memo, String> {
}
