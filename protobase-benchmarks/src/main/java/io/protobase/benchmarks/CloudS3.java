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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * An S3-compatible server for the cloud benchmarks: S3Proxy on an in-memory blob store, on 127.0.0.1, reached
 * over HTTP through the AWS SDK v2 (Apache client), as in the tests. By default it runs in this JVM. With
 * {@code -Dprotobase.bench.s3=niced-process} (with JMH: {@code -jvmArgsAppend -Dprotobase.bench.s3=niced-process})
 * it runs in a process of its own at the lowest CPU priority ({@code nice -n 19}): on a machine of two cores the
 * server's own work (an MD5 and a SHA-256 of every body it receives) otherwise competes with the nodes at equal
 * priority, which a real bucket, on other machines, does not.
 */
final class CloudS3 implements AutoCloseable {

    static final String BUCKET = "bench";
    /** The property choosing where the server runs. */
    static final String WHERE = "protobase.bench.s3";
    private BlobStoreContext context;
    private S3Proxy proxy;
    private Process process;
    final S3Client client;

    CloudS3() {
        int port;
        if ("niced-process".equals(System.getProperty(WHERE, "in-jvm"))) {
            port = startProcess();
        } else {
            context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                    .build(BlobStoreContext.class);
            proxy = start(context);
            port = proxy.getPort();
        }
        client = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port))
                .forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("access", "secret")))
                .build();
        client.createBucket(CreateBucketRequest.builder().bucket(BUCKET).build());
    }

    private static S3Proxy start(BlobStoreContext context) {
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret").build();
        try {
            proxy.start();
            while (!"STARTED".equals(proxy.getState())) {
                Thread.onSpinWait();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start S3Proxy", e);
        }
        return proxy;
    }

    /** Starts {@link #main} in a process of its own at the lowest priority; returns the port it serves. */
    private int startProcess() {
        List<String> command = List.of("nice", "-n", "19",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), CloudS3.class.getName());
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("PORT ")) {
                process.destroyForcibly();
                throw new IllegalStateException("The S3 server process did not start: " + line);
            }
            return Integer.parseInt(line.substring(5).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the S3 server process", e);
        }
    }

    /**
     * The server process of {@code -Dprotobase.bench.s3=niced-process}: serves until its standard input closes
     * (its parent ended), after printing {@code PORT <port>}.
     */
    public static void main(String[] args) throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                .build(BlobStoreContext.class);
        S3Proxy proxy = start(context);
        System.out.println("PORT " + proxy.getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // the parent writes nothing; end of input means it is gone
        }
        proxy.stop();
        context.close();
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
        if (process != null) {
            process.destroy();
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        context.close();
    }
}
