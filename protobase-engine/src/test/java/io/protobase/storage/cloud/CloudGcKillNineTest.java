package io.protobase.storage.cloud;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.testing.ChildJvm;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of a writer whose compaction releases segments and whose garbage collector deletes their
 * chunks while it commits (grace 100 ms): after each kill, reopening its cache directory and then a
 * node with an empty cache read every acknowledged commit, and every value the last one reaches.
 * Garbage collection never deletes what the root object reaches, whatever instant the kill hits.
 */
@ExpectedWarnings(loggers = {"org.jclouds", "io.protobase.storage.cloud.CloudFileStorage"},
        messages = {"^An error occurred storing the new blob", "is not the history of"})
@Tag("slow")
class CloudGcKillNineTest {

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path work;

    @Test
    void aWriterKilledWhileCollectingGarbageLosesNoAcknowledgedCommitAndLeavesNoHole() throws Exception {
        Path cache = work.resolve("cache");
        long lastAcked = 0;
        for (int round = 0; round < 3; round++) {
            Path stdout = work.resolve("child-" + round + ".out");
            Path stderr = work.resolve("child-" + round + ".err");
            ChildJvm child = ChildJvm.start(stdout, stderr, "256m", CloudGcCrashingWriterMain.class, cache.toString(),
                    S3.server().endpoint().toString(), S3.bucket());
            long target = lastAcked + 150 + round * 70L;
            try {
                child.awaitAcks(Duration.ofSeconds(180), a -> a.last() >= target);
            } finally {
                child.kill();
            }
            assertThat(child.exitValue()).as("killed; stderr: %s", Files.readString(stderr)).isEqualTo(128 + 9);
            long acked = child.acks().last();
            assertThat(acked).isGreaterThanOrEqualTo(target);

            try (CloudFileStorage restarted = open(cache)) {
                Snapshot s = read(restarted);
                assertThat(s.counter()).isBetween(acked, acked + 1);
                assertThat(s.data()).isEqualTo(expected(s.counter()));
            } // close uploads everything
            try (CloudFileStorage fresh = open(work.resolve("fresh-" + round))) {
                Snapshot s = read(fresh);
                assertThat(s.counter()).as("round %d, read from the bucket alone", round).isBetween(acked, acked + 1);
                assertThat(s.data()).as("round %d, every value from the bucket alone", round)
                        .isEqualTo(expected(s.counter()));
            }
            lastAcked = acked;
        }
        // the kills left deletions half done and releases unpublished; a writer finishes them: the first
        // segment of the first log, dead since the first round, is gone from the bucket
        try (CloudFileStorage last = open(work.resolve("final"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                last.collectGarbageNow();
                return last.pendingSegmentDeletions() == 0;
            });
            assertThat(store().list("gc-crash/segments/0000000100000001/")).isEmpty();
            assertThat(read(last).counter()).isBetween(lastAcked, lastAcked + 1);
        }
    }

    private static Map<Object, Object> expected(long counter) {
        Map<Object, Object> m = new HashMap<>();
        for (long v = Math.max(1, counter - CloudGcCrashingWriterMain.KEYS + 1); v <= counter; v++) {
            m.put("key-" + v % CloudGcCrashingWriterMain.KEYS, CloudGcCrashingWriterMain.value(v));
        }
        return m;
    }

    private record Snapshot(long counter, Map<Object, Object> data) {
    }

    private static Snapshot read(CloudFileStorage storage) {
        Database db = new ObjectSpace(storage).getDatabase("gc");
        return db.read(tx -> {
            Map<Object, Object> m = new HashMap<>();
            tx.getRootObject("data", Dictionary.class).stream().forEach(e -> m.put(e.getKey(), e.getValue()));
            return new Snapshot(((Number) tx.getRootObject("counter")).longValue(), m);
        });
    }

    private static S3ObjectStore store() {
        return new S3ObjectStore(S3.client(), S3.bucket());
    }

    private static CloudFileStorage open(Path cache) {
        return new CloudFileStorage(new CloudBlockProvider(store(), "gc-crash/", cache,
                1L << 20, 64 * 1024), CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50))
                .withGcGrace(Duration.ofMillis(100)));
    }
}
