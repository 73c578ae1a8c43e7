package io.protobase.spring.autoconfigure;

import io.protobase.spring.storage.FileStorageRegistry;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.StandaloneFileStorage;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

/**
 * {@code protobase.storage.type=file}, the default: a write-ahead log in
 * {@code protobase.storage.file.path}, leased from the process-wide registry so that two
 * application contexts on one directory share one open storage.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "file", matchIfMissing = true)
class FileStorageConfiguration {

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties) {
        ProtoBaseProperties.File file = properties.storage().file();
        Path directory = StorageDirectories.usable("protobase.storage.file.path", file.path());
        StandaloneFileStorage.Options options = new StandaloneFileStorage.Options(file.fsync(), file.fsyncInterval(),
                file.segmentSize().toBytes());
        return FileStorageRegistry.lease(directory, options);
    }
}
