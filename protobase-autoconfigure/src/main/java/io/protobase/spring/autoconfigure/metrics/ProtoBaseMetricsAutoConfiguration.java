package io.protobase.spring.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.metrics.ProtoBaseMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code protobase.*} Micrometer meters, when micrometer-core is present. The meters are a
 * {@link io.micrometer.core.instrument.binder.MeterBinder}: Boot's metrics auto-configuration binds
 * it to the application's registry.
 */
@AutoConfiguration(after = ProtoBaseAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ MeterRegistry.class, ObjectSpace.class })
@ConditionalOnBean(ObjectSpace.class)
public final class ProtoBaseMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseMetrics protoBaseMetrics(ObjectSpace space, ObjectProvider<Database> databases) {
        Set<String> names = databases.stream().filter(d -> d.space() == space).map(Database::name)
                .collect(Collectors.toSet());
        return new ProtoBaseMetrics(space, Tags.empty(), names);
    }
}
