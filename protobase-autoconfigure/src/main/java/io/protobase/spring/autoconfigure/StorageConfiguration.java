package io.protobase.spring.autoconfigure;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import io.protobase.spring.storage.FileStorageRegistry;
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
    SharedStorage protoBaseStorage(ProtoBaseProperties properties) {
        ProtoBaseProperties.Storage storage = properties.storage();
        return switch (storage.type()) {
            case MEMORY -> new MemoryStorage();
            case FILE -> fileStorage(storage.file());
            case CLOUD, CLUSTER, CLOUD_CLUSTER -> throw new StorageTypeNotAvailableException(storage.type());
        };
    }

    private static SharedStorage fileStorage(ProtoBaseProperties.File file) {
        Path directory = usableDirectory(file.path());
        StandaloneFileStorage.Options options = new StandaloneFileStorage.Options(file.fsync(), file.fsyncInterval(),
                file.segmentSize().toBytes());
        return FileStorageRegistry.lease(directory, options);
    }

    /** Checks the directory up front, so the failure names the property rather than an I/O call. */
    private static Path usableDirectory(Path configured) {
        Path directory = configured.toAbsolutePath().normalize();
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageDirectoryUnusableException(directory, "it cannot be created (" + e + ")", e);
        }
        if (!Files.isWritable(directory)) {
            throw new StorageDirectoryUnusableException(directory, "it is not writable by this process", null);
        }
        return directory;
    }
}
