package io.protobase.storage.cloud;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.FencedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a fenced writer tells about itself, for health checks and operators. */
@ExpectedWarnings(value = CloudFileStorage.class, messages = {"was fenced", "written by another writer"})
class CloudFileStorageFencingStatusTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final MockS3Client s3 = new MockS3Client();

    private CloudFileStorage open(String cache) {
        return new CloudFileStorage(new CloudBlockProvider(s3, "db/", dir.resolve(cache), 8L << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(20)));
    }

    private static void commit(CloudFileStorage storage, byte[] atom) {
        AtomPointer p = storage.push(atom);
        try (CommitLock lock = storage.acquireCommitLock(WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, storage.readRoot(), p)).isTrue();
        }
    }

    @Test
    void aWriterIsNotFencedWhileItOwnsThePrefix() {
        try (CloudFileStorage s = open("only")) {
            commit(s, "a".getBytes());
            s.uploadNow();
            assertThat(s.fencing()).isEmpty();
        }
    }

    @Test
    void aFencedWriterNamesTheEpochThatTookOverAndStillCountsTheBucketReachable() {
        try (CloudFileStorage old = open("old")) {
            commit(old, "first".getBytes());
            old.uploadNow(); // nothing left to upload: the next round is the one of the commit below
            try (CloudFileStorage newer = open("new")) {
                commit(old, "zombie".getBytes());
                assertThatThrownBy(old::uploadNow).isInstanceOf(FencedException.class);

                CloudFileStorage.Fencing fencing = old.fencing().orElseThrow();
                assertThat(fencing.epoch()).isEqualTo(old.epoch());
                assertThat(fencing.newerEpoch()).hasValue(newer.epoch());
                assertThat(fencing.reason()).contains("epoch " + newer.epoch()).contains("took over");
                // it learnt that it was fenced by reading the newer root from the bucket
                assertThat(old.isBucketReachable()).isTrue();
                assertThat(old.lastUploadFailure()).isEmpty();
            }
        }
    }

    @Test
    void aWriterFencedByAChunkConflictReadsTheNewerEpochFromTheRoot() {
        try (CloudFileStorage old = open("old")) {
            commit(old, "first".getBytes());
            old.uploadNow();
            RootObject uploaded = RootObject.parse(s3.get("db/root").orElseThrow().data(), "db/root");
            try (CloudFileStorage newer = open("new")) {
                // another writer's bytes where this log's next chunk goes (as if it continued this log)
                s3.putIfAbsent(old.provider().chunkKey(uploaded.uploadedSegment(), uploaded.uploadedOffset()),
                        "another writer's bytes".getBytes(), Map.of(CloudFileStorage.WRITER_METADATA, "another"));
                commit(old, "second".getBytes());
                assertThatThrownBy(old::uploadNow).isInstanceOf(FencedException.class)
                        .hasMessageContaining("written by another writer");

                CloudFileStorage.Fencing fencing = old.fencing().orElseThrow();
                assertThat(fencing.newerEpoch()).hasValue(newer.epoch());
                assertThat(fencing.reason()).contains("written by another writer");
            }
        }
    }
}
