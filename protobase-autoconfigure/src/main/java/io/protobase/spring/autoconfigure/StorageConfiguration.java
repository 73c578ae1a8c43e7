package io.protobase.spring.autoconfigure;

import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import io.protobase.spring.storage.FileStorageRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The storage backend selected by {@code protobase.storage.type}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean(SharedStorage.class)
class StorageConfiguration {

    @Bean
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ObjectProvider<ObjectStore> objectStores) {
        ProtoBaseProperties.Storage storage = properties.storage();
        return switch (storage.type()) {
            case MEMORY -> new MemoryStorage();
            case FILE -> fileStorage(storage.file());
            case CLOUD -> cloudStorage(storage.cloud(), objectStores);
            case CLUSTER, CLOUD_CLUSTER -> throw new StorageTypeNotAvailableException(storage.type());
        };
    }

    static String requireBucket(ProtoBaseProperties.Cloud cloud) {
        if (cloud.bucket() == null || cloud.bucket().isBlank()) {
            throw new InvalidProtoBasePropertyException("protobase.storage.cloud.bucket", cloud.bucket(),
                    "the cloud storage needs a bucket", "Set it to the name of an existing S3 bucket");
        }
        return cloud.bucket();
    }

    private static SharedStorage cloudStorage(ProtoBaseProperties.Cloud cloud,
            ObjectProvider<ObjectStore> objectStores) {
        requireBucket(cloud);
        ObjectStore store = objectStores.getIfAvailable();
        if (store == null) {
            throw new CloudStorageUnusableException("protobase.storage.type is 'cloud' but the AWS SDK for S3 is "
                    + "not on the classpath", "Add io.awspring.cloud:spring-cloud-aws-starter-s3 to the application, "
                    + "or define an io.protobase.storage.cloud.ObjectStore bean.", null);
        }
        Path cacheDir = usableDirectory("protobase.storage.cloud.cache-dir", cloud.cacheDir());
        CloudBlockProvider provider = new CloudBlockProvider(store, cloud.prefix(), cacheDir,
                cloud.cacheSize().toBytes(), cloud.objectSize().toBytes());
        CloudFileStorage.Options options = CloudFileStorage.Options.defaults().withDurability(cloud.durability())
                .withUploadInterval(cloud.uploadInterval()).withMaxBacklog(cloud.maxBacklog().toBytes())
                .withGcGrace(cloud.gcGrace());
        try {
            return new CloudFileStorage(provider, options);
        } catch (io.protobase.StorageLockedException e) {
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

    private static SharedStorage fileStorage(ProtoBaseProperties.File file) {
        Path directory = usableDirectory("protobase.storage.file.path", file.path());
        StandaloneFileStorage.Options options = new StandaloneFileStorage.Options(file.fsync(), file.fsyncInterval(),
                file.segmentSize().toBytes());
        return FileStorageRegistry.lease(directory, options);
    }

    /**
     * Checks the directory up front, so the failure names the property and the actual problem (a
     * file where a directory is expected, missing permissions) rather than an I/O call's exception.
     */
    private static Path usableDirectory(String property, Path configured) {
        Path directory = configured.toAbsolutePath().normalize();
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new StorageDirectoryUnusableException(property, directory, "it is a file, not a directory",
                    "Set " + property + " to a directory (it is created when missing), or move the file "
                            + directory + " away.", null);
        }
        Path existing = directory.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw new StorageDirectoryUnusableException(property, directory, "it cannot be created: " + existing
                    + " is a file, not a directory", "Set " + property + " to a path under a directory, or move the "
                    + "file " + existing + " away.", null);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageDirectoryUnusableException(property, directory, "it cannot be created (" + e + ")",
                    "Set " + property + " to a directory this process can create and write, or fix the permissions "
                            + "of " + (existing != null ? existing : directory) + ".", e);
        }
        if (!Files.isWritable(directory)) {
            throw new StorageDirectoryUnusableException(property, directory, "it is not writable by this process",
                    "Set " + property + " to a directory this process can write, or fix the permissions of "
                            + directory + ".", null);
        }
        return directory;
    }
}
