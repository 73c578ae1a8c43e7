package io.protobase.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A bucket of its own on an {@link S3ProxyServer} in this JVM, and a client for it, shared by the
 * tests of one class. JUnit classes register it as a static field
 * ({@code @RegisterExtension static final S3ProxyBucket S3 = new S3ProxyBucket();}), which starts
 * it before the first test and stops it after the last; others (jqwik) call {@link #start()} and
 * {@link #close()} from their own hooks.
 */
public final class S3ProxyBucket implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private S3ProxyServer server;
    private S3Client client;
    private String bucket;

    /**
     * Starts the server and creates the bucket.
     *
     * @return this
     */
    public S3ProxyBucket start() {
        server = new S3ProxyServer();
        client = server.client();
        bucket = server.createBucket();
        return this;
    }

    /** The server: stop and start it to simulate an outage. */
    public S3ProxyServer server() {
        return server;
    }

    /** A client of the server (closed with it). */
    public S3Client client() {
        return client;
    }

    /** The name of the bucket. */
    public String bucket() {
        return bucket;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Closes the client and stops the server; its data is gone. */
    @Override
    public void close() {
        client.close();
        server.close();
    }
}
