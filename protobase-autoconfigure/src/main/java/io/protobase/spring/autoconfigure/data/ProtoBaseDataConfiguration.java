package io.protobase.spring.autoconfigure.data;

import io.protobase.Database;
import io.protobase.spring.data.core.ProtoBaseExceptionTranslator;
import io.protobase.spring.data.core.ProtoBaseIdentifierGenerator;
import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.SequenceIdentifierGenerator;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.transaction.TransactionObserver;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The mapping context, id generator, exception translator and template the repositories use; each
 * backs off for a bean of the application's own. The template backs off for any
 * {@link ProtoBaseOperations} bean, which the repositories then use.
 */
@Configuration(proxyBeanMethods = false)
class ProtoBaseDataConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseMappingContext protoBaseMappingContext() {
        return new ProtoBaseMappingContext();
    }

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseIdentifierGenerator protoBaseIdentifierGenerator() {
        return new SequenceIdentifierGenerator();
    }

    /** Also found by Spring's {@code PersistenceExceptionTranslationPostProcessor}, for {@code @Repository} beans. */
    @Bean
    @ConditionalOnMissingBean
    ProtoBaseExceptionTranslator protoBaseExceptionTranslator() {
        return new ProtoBaseExceptionTranslator();
    }

    @Bean
    @ConditionalOnMissingBean(ProtoBaseOperations.class)
    ProtoBaseTemplate protoBaseTemplate(Database database, ProtoBaseMappingContext protoBaseMappingContext,
            ProtoBaseIdentifierGenerator protoBaseIdentifierGenerator,
            ProtoBaseExceptionTranslator protoBaseExceptionTranslator, ObjectProvider<TransactionObserver> observer) {
        ProtoBaseTemplate template = new ProtoBaseTemplate(database, protoBaseMappingContext,
                protoBaseIdentifierGenerator, protoBaseExceptionTranslator);
        observer.ifAvailable(template::setTransactionObserver);
        return template;
    }
}
