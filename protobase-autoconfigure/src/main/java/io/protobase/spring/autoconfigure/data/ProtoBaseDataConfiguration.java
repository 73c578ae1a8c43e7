package io.protobase.spring.autoconfigure.data;

import io.protobase.Database;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The mapping context and the template the repositories use. */
@Configuration(proxyBeanMethods = false)
class ProtoBaseDataConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseMappingContext protoBaseMappingContext() {
        return new ProtoBaseMappingContext();
    }

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseTemplate protoBaseTemplate(Database database, ProtoBaseMappingContext protoBaseMappingContext) {
        return new ProtoBaseTemplate(database, protoBaseMappingContext);
    }
}
