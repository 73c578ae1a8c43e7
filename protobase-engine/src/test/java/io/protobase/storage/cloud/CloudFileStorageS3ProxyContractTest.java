package io.protobase.storage.cloud;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The storage contract against a real S3-compatible server over HTTP;
 * reopening uses an empty cache directory, so everything is read back from the bucket.
 */
class CloudFileStorageS3ProxyContractTest extends SharedStorageContract {

    @TempDir
    Path root;

    private final AtomicInteger count = new AtomicInteger();

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @Override
    protected SharedStorage createStorage() {
        return open("t" + System.nanoTime() + "/");
    }

    @Override
    protected SharedStorage reopen(SharedStorage closed) {
        return open(((CloudFileStorage) closed).provider().prefix());
    }

    private CloudFileStorage open(String prefix) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(S3.client(), S3.bucket()), prefix,
                root.resolve("cache-" + count.incrementAndGet()), 1 << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(java.time.Duration.ofMillis(50)));
    }
}
