package io.protobase.spring.autoconfigure;

import io.protobase.StorageException;
import io.protobase.StorageLockedException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

/**
 * {@code protobase.storage.type=cloud}: S3 through the application's {@link ObjectStore} (built by
 * {@link CloudObjectStoreConfiguration} on Spring Cloud AWS's client, or the application's own),
 * with the local log and cache in {@code protobase.storage.cloud.cache-dir}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud")
class CloudStorageConfiguration {

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ObjectProvider<ObjectStore> objectStores) {
        ProtoBaseProperties.Cloud cloud = properties.storage().cloud();
        requireBucket(cloud);
        ObjectStore store = objectStores.getIfAvailable();
        if (store == null) {
            throw new CloudStorageUnusableException("protobase.storage.type is 'cloud' but the AWS SDK for S3 is "
                    + "not on the classpath", "Add io.awspring.cloud:spring-cloud-aws-starter-s3 to the application, "
                    + "or define an io.protobase.storage.cloud.ObjectStore bean.", null);
        }
        Path cacheDir = StorageDirectories.usable("protobase.storage.cloud.cache-dir", cloud.cacheDir());
        CloudBlockProvider provider = new CloudBlockProvider(store, cloud.prefix(), cacheDir,
                cloud.cacheSize().toBytes(), cloud.objectSize().toBytes());
        CloudFileStorage.Options options = CloudFileStorage.Options.defaults().withDurability(cloud.durability())
                .withUploadInterval(cloud.uploadInterval()).withMaxBacklog(cloud.maxBacklog().toBytes())
                .withGcGrace(cloud.gcGrace());
        try {
            return new CloudFileStorage(provider, options);
        } catch (StorageLockedException e) {
            throw new CloudStorageUnusableException(e.getMessage(), "Stop the other process using it, or set "
                    + "protobase.storage.cloud.cache-dir to a directory no other storage uses.", e);
        } catch (StorageException e) {
            throw new CloudStorageUnusableException("cannot open the cloud storage on " + store.describe() + " prefix '"
                    + provider.prefix() + "': " + e.getMessage(),
                    "Check protobase.storage.cloud.bucket (the bucket must "
                    + "exist), the region, endpoint and credentials under spring.cloud.aws.* (region.static, "
                    + "s3.endpoint, credentials.*), and that the endpoint is reachable from this host.", e);
        }
    }

    static String requireBucket(ProtoBaseProperties.Cloud cloud) {
        if (cloud.bucket() == null || cloud.bucket().isBlank()) {
            throw new InvalidProtoBasePropertyException("protobase.storage.cloud.bucket", cloud.bucket(),
                    "the cloud storage needs a bucket", "Set it to the name of an existing S3 bucket");
        }
        return cloud.bucket();
    }
}
