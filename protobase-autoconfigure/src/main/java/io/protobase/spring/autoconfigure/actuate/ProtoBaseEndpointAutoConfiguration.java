package io.protobase.spring.autoconfigure.actuate;

import io.protobase.ObjectSpace;
import io.protobase.spring.actuate.ProtoBaseEndpoint;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * The {@code protobase} actuator endpoint, when Spring Boot's actuator is present. Like Boot's own
 * endpoints it is available by default ({@code management.endpoint.protobase.access} switches it
 * off or makes it read-only) and exposed over the web only when the application lists it in
 * {@code management.endpoints.web.exposure.include}.
 */
@AutoConfiguration(after = ProtoBaseAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class, ObjectSpace.class })
@ConditionalOnBean(ObjectSpace.class)
public final class ProtoBaseEndpointAutoConfiguration {

    /**
     * Nested, so that its endpoint condition, whose class lives in the actuator's auto-configuration,
     * is only read once the class conditions above found that module.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnAvailableEndpoint(ProtoBaseEndpoint.class)
    @EnableConfigurationProperties(ProtoBaseBackupProperties.class)
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ProtoBaseEndpoint protoBaseEndpoint(ObjectSpace space, ProtoBaseBackupProperties backup) {
            return new ProtoBaseEndpoint(space, backup.path(), Clock.systemUTC());
        }
    }
}
