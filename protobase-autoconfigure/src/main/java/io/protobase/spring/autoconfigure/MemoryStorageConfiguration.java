package io.protobase.spring.autoconfigure;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code protobase.storage.type=memory}: the heap only, nothing survives the process. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "memory")
class MemoryStorageConfiguration {

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage() {
        return new MemoryStorage();
    }
}
