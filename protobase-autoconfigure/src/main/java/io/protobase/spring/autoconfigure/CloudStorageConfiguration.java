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
 * with the local log and cache in {@code protobase.storage.cloud.cache-dir}. The cloud cluster
 * ({@link CloudClusterStorageConfiguration}) builds its bucket side with the same methods.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud")
class CloudStorageConfiguration {

    /** The artifact that brings the AWS SDK's S3 client and builds it from {@code spring.cloud.aws.*}. */
    static final String S3_STARTER = "io.awspring.cloud:spring-cloud-aws-starter-s3";

    /** What decides whether the bucket is reachable, as the end of "Check ...". */
    static final String BUCKET_SETTINGS = "protobase.storage.cloud.bucket (the bucket must exist), the region, "
            + "endpoint and credentials under spring.cloud.aws.* (region.static, s3.endpoint, credentials.*), and "
            + "that the endpoint is reachable from this host";

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ObjectProvider<ObjectStore> objectStores) {
        ProtoBaseProperties.Cloud cloud = properties.storage().cloud();
        requireBucket(cloud);
        ObjectStore store = objectStores.getIfAvailable();
        if (store == null) {
            throw new CloudStorageUnusableException("protobase.storage.type is 'cloud' but the AWS SDK for S3 is "
                    + "not on the classpath", "Add " + S3_STARTER + " to the application, "
                    + "or define an io.protobase.storage.cloud.ObjectStore bean.", null);
        }
        CloudBlockProvider provider = provider(cloud, store);
        try {
            return new CloudFileStorage(provider, options(cloud));
        } catch (StorageLockedException e) {
            throw new CloudStorageUnusableException(e.getMessage(), "Stop the other process using it, or set "
                    + "protobase.storage.cloud.cache-dir to a directory no other storage uses.", e);
        } catch (StorageException e) {
            throw new CloudStorageUnusableException("cannot open the cloud storage on " + store.describe() + " prefix '"
                    + provider.prefix() + "': " + e.getMessage(), "Check " + BUCKET_SETTINGS + ".", e);
        }
    }

    static String requireBucket(ProtoBaseProperties.Cloud cloud) {
        if (cloud.bucket() == null || cloud.bucket().isBlank()) {
            throw new InvalidProtoBasePropertyException("protobase.storage.cloud.bucket", cloud.bucket(),
                    "the cloud storage needs a bucket", "Set it to the name of an existing S3 bucket");
        }
        return cloud.bucket();
    }

    /**
     * The bucket ({@code store}), prefix, cache directory, cache and object size of
     * {@code protobase.storage.cloud.*}; the cache directory is created when missing.
     */
    static CloudBlockProvider provider(ProtoBaseProperties.Cloud cloud, ObjectStore store) {
        Path cacheDir = StorageDirectories.usable("protobase.storage.cloud.cache-dir", cloud.cacheDir());
        return new CloudBlockProvider(store, cloud.prefix(), cacheDir, cloud.cacheSize().toBytes(),
                cloud.objectSize().toBytes());
    }

    /** Durability, upload interval, backlog bound and GC grace of {@code protobase.storage.cloud.*}. */
    static CloudFileStorage.Options options(ProtoBaseProperties.Cloud cloud) {
        return CloudFileStorage.Options.defaults().withDurability(cloud.durability())
                .withUploadInterval(cloud.uploadInterval()).withMaxBacklog(cloud.maxBacklog().toBytes())
                .withGcGrace(cloud.gcGrace());
    }
}
