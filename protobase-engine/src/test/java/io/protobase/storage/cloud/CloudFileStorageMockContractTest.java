package io.protobase.storage.cloud;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The storage contract on {@link MockS3Client}; reopening keeps the cache directory. */
class CloudFileStorageMockContractTest extends SharedStorageContract {

    @TempDir
    Path root;

    private final AtomicInteger count = new AtomicInteger();
    private final MockS3Client s3 = new MockS3Client();

    @Override
    protected SharedStorage createStorage() {
        return open(root.resolve("cache-" + count.incrementAndGet()), "p" + count.get() + "/");
    }

    @Override
    protected SharedStorage reopen(SharedStorage closed) {
        CloudFileStorage c = (CloudFileStorage) closed;
        return open(c.provider().cacheDirectory(), c.provider().prefix());
    }

    private CloudFileStorage open(Path cache, String prefix) {
        return new CloudFileStorage(new CloudBlockProvider(s3, prefix, cache, 1 << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }
}
