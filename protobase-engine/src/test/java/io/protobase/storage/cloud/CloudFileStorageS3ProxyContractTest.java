package io.protobase.storage.cloud;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The storage contract against a real S3-compatible server over HTTP;
 * reopening uses an empty cache directory, so everything is read back from the bucket.
 */
class CloudFileStorageS3ProxyContractTest extends SharedStorageContract {

    private static S3ProxyServer server;
    private static S3Client client;
    private static String bucket;

    @TempDir
    Path root;

    private final AtomicInteger count = new AtomicInteger();

    @BeforeAll
    static void startServer() {
        server = new S3ProxyServer();
        client = server.client();
        bucket = server.createBucket();
    }

    @AfterAll
    static void stopServer() {
        client.close();
        server.close();
    }

    @Override
    protected SharedStorage createStorage() {
        return open("t" + System.nanoTime() + "/");
    }

    @Override
    protected SharedStorage reopen(SharedStorage closed) {
        return open(((CloudFileStorage) closed).provider().prefix());
    }

    private CloudFileStorage open(String prefix) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, bucket), prefix,
                root.resolve("cache-" + count.incrementAndGet()), 1 << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(java.time.Duration.ofMillis(50)));
    }
}
