package io.protobase.spring.autoconfigure.health;

import io.protobase.ObjectSpace;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.health.ProtoBaseHealthIndicator;
import io.protobase.spring.storage.LeasedFileStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import java.nio.file.Path;

/**
 * The {@code protobase} health contributor, when Spring Boot's health module is present; switched
 * off with {@code management.health.protobase.enabled=false}.
 */
@AutoConfiguration(after = ProtoBaseAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ObjectSpace.class })
@ConditionalOnBean(ObjectSpace.class)
@ConditionalOnEnabledHealthIndicator("protobase")
public final class ProtoBaseHealthContributorAutoConfiguration {

    @Bean(name = "protobaseHealthIndicator")
    @ConditionalOnMissingBean(name = { "protobaseHealthIndicator", "protobaseHealthContributor" })
    ProtoBaseHealthIndicator protobaseHealthIndicator(ObjectSpace space) {
        SharedStorage storage = space.storage();
        String type;
        Path directory = null;
        if (storage instanceof LeasedFileStorage leased) {
            type = "file";
            directory = leased.directory();
        } else if (storage instanceof StandaloneFileStorage file) {
            type = "file";
            directory = file.directory();
        } else if (storage instanceof CloudFileStorage) {
            type = "cloud";
        } else if (storage instanceof ClusterFileStorage) {
            type = "cluster";
        } else if (storage instanceof CloudClusterFileStorage) {
            type = "cloud-cluster";
        } else if (storage instanceof MemoryStorage) {
            type = "memory";
        } else {
            type = storage.getClass().getSimpleName();
        }
        return new ProtoBaseHealthIndicator(space, type, directory);
    }
}
