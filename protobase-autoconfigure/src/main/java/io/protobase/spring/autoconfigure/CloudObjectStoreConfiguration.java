package io.protobase.spring.autoconfigure;

import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.S3ObjectStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The bucket of {@code protobase.storage.type=cloud} and {@code cloud-cluster}, on the application's
 * {@link S3Client} (the one Spring Cloud AWS's S3 starter builds from {@code spring.cloud.aws.*}).
 * Applies only when the AWS SDK is on the classpath; an application may define its own
 * {@link ObjectStore} bean instead.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = "software.amazon.awssdk.services.s3.S3Client")
@Conditional(CloudObjectStoreConfiguration.OnS3StorageType.class)
class CloudObjectStoreConfiguration {

    @Bean
    @ConditionalOnMissingBean(ObjectStore.class)
    ObjectStore protoBaseObjectStore(ObjectProvider<S3Client> clients, ProtoBaseProperties properties) {
        String bucket = CloudStorageConfiguration.requireBucket(properties.storage().cloud());
        S3Client client = clients.getIfAvailable();
        if (client == null) {
            StorageType type = properties.storage().type();
            throw new CloudStorageUnusableException(type, "protobase.storage.type is '" + type + "' but the "
                    + "application has no S3Client bean", "Add " + CloudStorageConfiguration.S3_STARTER + " (it "
                    + "builds the S3Client from spring.cloud.aws.*), or define an S3Client or "
                    + "io.protobase.storage.cloud.ObjectStore bean.", null);
        }
        return new S3ObjectStore(client, bucket);
    }

    /** The storage types that keep their data in S3: {@code cloud} and {@code cloud-cluster}. */
    static final class OnS3StorageType extends AnyNestedCondition {

        OnS3StorageType() {
            super(ConfigurationPhase.PARSE_CONFIGURATION);
        }

        @ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud")
        static final class Cloud {
        }

        @ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud-cluster")
        static final class CloudCluster {
        }
    }
}
