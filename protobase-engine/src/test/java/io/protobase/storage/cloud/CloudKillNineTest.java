package io.protobase.storage.cloud;

import org.junit.jupiter.api.Tag;
import io.protobase.testing.ChildJvm;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

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

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path work;

    @Test
    void pendingCommitsOfAKilledWriterAreUploadedAtRestartAndNoneIsLost() throws Exception {
        Path cache = work.resolve("cache");
        long lastAcked = 0;
        for (int round = 0; round < 3; round++) {
            Path stdout = work.resolve("child-" + round + ".out");
            Path stderr = work.resolve("child-" + round + ".err");
            ChildJvm child = ChildJvm.start(stdout, stderr, "256m", CloudCrashingWriterMain.class, cache.toString(),
                    S3.server().endpoint().toString(), S3.bucket());
            long target = lastAcked + 50 + round * 40L;
            try {
                child.awaitAcks(Duration.ofSeconds(120), a -> a.last() >= target);
            } finally {
                child.kill();
            }
            assertThat(child.exitValue()).as("killed; stderr: %s", Files.readString(stderr)).isEqualTo(128 + 9);
            long acked = child.acks().last();
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
        S3ObjectStore real = store();
        MockS3Client copy = new MockS3Client(S3.bucket());
        for (ObjectStore.ObjectInfo info : real.list("crash/")) {
            ObjectStore.StoredObject object = real.get(info.key()).orElseThrow();
            copy.putIfAbsent(info.key(), object.data(), object.metadata());
        }
        return new CloudFileStorage(new CloudBlockProvider(copy, "crash/", cache, 64L << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }

    private static S3ObjectStore store() {
        return new S3ObjectStore(S3.client(), S3.bucket());
    }

    private static CloudFileStorage open(Path cache) {
        return new CloudFileStorage(new CloudBlockProvider(store(), "crash/", cache,
                64L << 20, 64 * 1024), CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }
}
