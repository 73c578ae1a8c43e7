package io.protobase.spring.autoconfigure;

import io.protobase.ObjectSpace;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of ProtoBase: the storage chosen by {@code protobase.storage.type}, the
 * {@code ObjectSpace} on it, the default {@code Database} ({@code protobase.database}), a
 * transaction manager for {@code @Transactional} when spring-tx is present, and the lifecycle that
 * closes the space gracefully. Each bean backs off when the application defines its own.
 *
 * <p>The storage comes from one configuration class per type, each conditional on its
 * {@code protobase.storage.type} value ({@code file} also when the property is missing), as Boot
 * picks a Redis client; the last one imported fails the startup for a spelling of a type none of them
 * recognises.
 *
 * <p>Runs before Boot's transaction auto-configuration, which enables {@code @Transactional} once a
 * transaction manager exists, and after the one that collects the transaction manager customizers
 * it applies.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
        afterName = { "io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration",
                "org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration" })
@ConditionalOnClass(ObjectSpace.class)
@ConditionalOnBooleanProperty(name = "protobase.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ProtoBaseProperties.class)
@Import({ CloudObjectStoreConfiguration.class, MemoryStorageConfiguration.class, FileStorageConfiguration.class,
        CloudStorageConfiguration.class, ClusterStorageConfiguration.class, CloudClusterStorageConfiguration.class,
        UnavailableStorageConfiguration.class,
        ObjectSpaceConfiguration.class, TransactionManagerConfiguration.class })
public final class ProtoBaseAutoConfiguration {
}
