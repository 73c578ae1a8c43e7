package io.protobase.storage.cloud;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

/** Garbage collection against a real S3-compatible server over HTTP (S3Proxy). */
class CloudGarbageCollectionS3ProxyTest extends CloudGarbageCollectionContract {

    private static S3ProxyServer server;
    private static S3Client client;
    private static String bucket;

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
    ObjectStore store() {
        return new S3ObjectStore(client, bucket);
    }
}
