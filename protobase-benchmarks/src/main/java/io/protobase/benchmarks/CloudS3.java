package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.Dictionary;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.S3ObjectStore;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

import java.net.URI;
import java.nio.file.Path;

/**
 * An S3-compatible server in this JVM for the cloud benchmarks: S3Proxy on an in-memory blob store,
 * on 127.0.0.1, reached over HTTP through the AWS SDK v2 (Apache client), as in the tests.
 */
final class CloudS3 implements AutoCloseable {

    static final String BUCKET = "bench";
    private final BlobStoreContext context;
    private final S3Proxy proxy;
    final S3Client client;

    CloudS3() {
        context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret").build();
        try {
            proxy.start();
            while (!"STARTED".equals(proxy.getState())) {
                Thread.onSpinWait();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start S3Proxy", e);
        }
        client = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                .forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("access", "secret")))
                .build();
        client.createBucket(CreateBucketRequest.builder().bucket(BUCKET).build());
    }

    /** A cloud storage on this server; default cache and object sizes. */
    CloudFileStorage open(String prefix, Path cacheDir, CloudFileStorage.Options options) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, BUCKET), prefix, cacheDir),
                options);
    }

    /** Loads entries {@code 1..size} in one transaction, as {@link FileStores.ProtoBaseFile#load} does. */
    static void load(Database db, int size) {
        int[] ids = Dataset.shuffledIds(size, Dataset.INSERT_SEED);
        try (Transaction tx = db.newTransaction()) {
            Dictionary.Builder b = Dictionary.builder();
            for (int id : ids) {
                b.setAt(Dataset.key(id), Dataset.protobaseRecord(id));
            }
            tx.setRootObject(Dataset.NAME, b.build());
            tx.commit();
        }
    }

    static ObjectSpace space(CloudFileStorage storage) {
        return ObjectSpace.builder(storage).build();
    }

    @Override
    public void close() {
        client.close();
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        context.close();
    }
}
