package io.protobase.storage.cloud;

import org.junit.jupiter.api.Tag;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of a writer in {@code async} mode: a child JVM commits to a cloud storage whose uploads
 * are pending (long upload interval) and is killed with SIGKILL. The bucket alone then lacks the
 * last acknowledged commits; reopening the same cache directory uploads what was pending, so a node
 * with an empty cache then sees every acknowledged commit. (S3Proxy logs, as expected, the upload a
 * killed child left half sent.)
 */
@ExpectedWarnings(loggers = "org.jclouds", messages = "^An error occurred storing the new blob")
@Tag("slow")
class CloudKillNineTest {

    private static S3ProxyServer server;
    private static S3Client client;
    private static String bucket;

    @TempDir
    Path work;

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

    @Test
    void pendingCommitsOfAKilledWriterAreUploadedAtRestartAndNoneIsLost() throws Exception {
        Path cache = work.resolve("cache");
        long lastAcked = 0;
        for (int round = 0; round < 3; round++) {
            Path stdout = work.resolve("child-" + round + ".out");
            Path stderr = work.resolve("child-" + round + ".err");
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    CloudCrashingWriterMain.class.getName(), cache.toString(), server.endpoint().toString(), bucket)
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            long target = lastAcked + 50 + round * 40L;
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5))
                        .until(() -> lastAck(stdout) >= target || !child.isAlive());
            } finally {
                child.destroyForcibly();
                child.waitFor();
            }
            assertThat(child.exitValue()).as("killed; stderr: %s", Files.readString(stderr)).isEqualTo(128 + 9);
            long acked = lastAck(stdout);
            assertThat(acked).isGreaterThanOrEqualTo(target);

            // the bucket alone lacks the last acknowledged commits (the uploader runs only when a
            // segment's worth is pending); a copy of it is read, so that the real one is not touched
            try (CloudFileStorage bucketOnly = openOnCopyOfTheBucket(work.resolve("bucket-only-" + round))) {
                assertThat(counter(bucketOnly)).as("round %d, read from the bucket before the restart", round)
                        .isLessThan(acked);
            }
            try (CloudFileStorage restarted = open(cache)) {
                assertThat(counter(restarted)).isBetween(acked, acked + 1);
            } // close uploads everything
            try (CloudFileStorage fresh = open(work.resolve("fresh-" + round))) {
                assertThat(counter(fresh)).as("round %d, read from the bucket alone", round)
                        .isBetween(acked, acked + 1);
            }
            lastAcked = acked;
        }
    }

    private static long counter(CloudFileStorage storage) {
        ObjectSpace space = new ObjectSpace(storage);
        return space.getDatabase("counter").read(tx -> {
            Object counter = tx.getRootObject("counter");
            return counter == null ? 0 : ((Number) counter).longValue();
        });
    }

    /**
     * Opens a storage with an empty cache on an in-memory copy of the bucket's objects: what a node
     * without the killed writer's cache would see, without claiming a writer epoch in the real bucket.
     */
    private static CloudFileStorage openOnCopyOfTheBucket(Path cache) {
        S3ObjectStore real = new S3ObjectStore(client, bucket);
        MockS3Client copy = new MockS3Client(bucket);
        for (ObjectStore.ObjectInfo info : real.list("crash/")) {
            ObjectStore.StoredObject object = real.get(info.key()).orElseThrow();
            copy.putIfAbsent(info.key(), object.data(), object.metadata());
        }
        return new CloudFileStorage(new CloudBlockProvider(copy, "crash/", cache, 64L << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }

    private static CloudFileStorage open(Path cache) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, bucket), "crash/", cache,
                64L << 20, 64 * 1024), CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }

    private static long lastAck(Path stdout) {
        try {
            if (!Files.exists(stdout)) {
                return 0;
            }
            String text = Files.readString(stdout, StandardCharsets.US_ASCII);
            long last = 0;
            int from = 0;
            for (int nl; (nl = text.indexOf('\n', from)) >= 0; from = nl + 1) {
                String line = text.substring(from, nl).trim();
                if (!line.isEmpty() && !line.equals("ready")) {
                    last = Long.parseLong(line);
                }
            }
            return last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
