package io.protobase.testing;

import io.protobase.storage.cloud.MockS3Client;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An S3-compatible server in this JVM (S3Proxy on an in-memory blob store), on a fixed loopback
 * port so it can be stopped and started again with its data, to simulate an outage. Tests share one
 * per class ({@link S3ProxyBucket}). Its conditional writes are checked but not atomic under races
 * (two concurrent {@code If-None-Match} PUTs of one key can both succeed; docs/testing.md): race
 * tests use {@link MockS3Client}.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "protobase-test-access";
    public static final String SECRET_KEY = "protobase-test-secret";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final BlobStoreContext context;
    private final BlobStore blobStore;
    private final int port;
    private S3Proxy proxy;

    public S3ProxyServer() {
        context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                .build(BlobStoreContext.class);
        blobStore = context.getBlobStore();
        port = freePort();
        start();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts (again) on the same port with the same data. */
    public synchronized void start() {
        if (proxy != null) {
            return;
        }
        S3Proxy p = S3Proxy.builder().blobStore(blobStore).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        try {
            p.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!"STARTED".equals(p.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: " + p.getState());
                }
                Thread.onSpinWait();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start S3Proxy on port " + port, e);
        }
        proxy = p;
    }

    /** Stops serving (connections are refused) but keeps the data. */
    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        proxy = null;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A client for this server; short timeouts so an outage is noticed quickly. */
    public S3Client client() {
        return clientBuilder(endpoint()).overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(20))).build();
    }

    /**
     * A client builder for the server at {@code endpoint} (path-style, its region and credentials),
     * for a child JVM that knows only the endpoint or a test that configures retries itself.
     */
    public static S3ClientBuilder clientBuilder(URI endpoint) {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                SECRET_KEY)));
    }

    /**
     * A client that retries as the AWS SDK's standard mode does, each call bounded by {@code apiCallTimeout},
     * so that an outage of the server shows through the retries (outage tests).
     */
    public static S3Client outageVisibleClient(URI endpoint, Duration apiCallTimeout) {
        return clientBuilder(endpoint)
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).apiCallTimeout(apiCallTimeout))
                .build();
    }

    /** Creates a new, empty bucket and returns its name. */
    public String createBucket() {
        String name = "protobase-test-" + BUCKETS.incrementAndGet();
        try (S3Client c = client()) {
            c.createBucket(CreateBucketRequest.builder().bucket(name).build());
        }
        return name;
    }

    @Override
    public void close() {
        stop();
        context.close();
    }
}
