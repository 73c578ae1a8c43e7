package io.protobase.spring.autoconfigure;

import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.S3ObjectStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The bucket of {@code protobase.storage.type=cloud}, on the application's {@link S3Client} (the
 * one Spring Cloud AWS's S3 starter builds from {@code spring.cloud.aws.*}). Applies only when the
 * AWS SDK is on the classpath; an application may define its own {@link ObjectStore} bean instead.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = "software.amazon.awssdk.services.s3.S3Client")
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud")
class CloudObjectStoreConfiguration {

    @Bean
    @ConditionalOnMissingBean(ObjectStore.class)
    ObjectStore protoBaseObjectStore(ObjectProvider<S3Client> clients, ProtoBaseProperties properties) {
        String bucket = CloudStorageConfiguration.requireBucket(properties.storage().cloud());
        S3Client client = clients.getIfAvailable();
        if (client == null) {
            throw new CloudStorageUnusableException("protobase.storage.type is 'cloud' but the application has no "
                    + "S3Client bean", "Add io.awspring.cloud:spring-cloud-aws-starter-s3 (it builds the S3Client from "
                    + "spring.cloud.aws.*), or define an S3Client or io.protobase.storage.cloud.ObjectStore bean.",
                    null);
        }
        return new S3ObjectStore(client, bucket);
    }
}
