package io.protobase.spring.autoconfigure.observation;

import io.micrometer.observation.ObservationRegistry;
import io.protobase.ObjectSpace;
import io.protobase.spring.observation.ObservationTransactionObserver;
import io.protobase.spring.observation.ProtoBaseTransactionObservationConvention;
import io.protobase.spring.transaction.TransactionObserver;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Observes the transactions of the {@code ProtoBaseTransactionManager} and of the template and
 * repositories as {@code protobase.transaction} observations, when the application has an
 * {@link ObservationRegistry} (Boot's observation auto-configuration makes one with
 * spring-boot-micrometer-observation, which the actuator starter brings). A
 * {@link ProtoBaseTransactionObservationConvention} bean replaces the default names and keys.
 * Without a registry the transaction manager and the template observe nothing.
 */
@AutoConfiguration(
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass({ ObservationRegistry.class, ObjectSpace.class })
@ConditionalOnBean(ObservationRegistry.class)
public final class ProtoBaseObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TransactionObserver protoBaseTransactionObserver(ObservationRegistry registry,
            ObjectProvider<ProtoBaseTransactionObservationConvention> convention) {
        return new ObservationTransactionObserver(registry, convention.getIfUnique());
    }
}
