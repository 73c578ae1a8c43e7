package io.protobase.storage.cloud;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An S3 outage over real HTTP: the S3-compatible server is stopped and started again on the same
 * port with its data. {@code async} commits continue and catch up; {@code sync} commits fail with
 * {@link StorageUnavailableException} while it is down, and every acknowledged commit survives.
 * Also checks the real server's answers on the conditional-write paths (412 on an existing key).
 */
@ExpectedWarnings(value = CloudFileStorage.class, messages = "retrying with back-off")
class CloudFileStorageS3ProxyOutageTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();
    /** Retries as the AWS SDK's standard mode does, so that an outage shows through them. */
    private static S3Client client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startClient() {
        client = S3ProxyServer.outageVisibleClient(S3.server().endpoint(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private CloudFileStorage open(String prefix, String cache, CloudFileStorage.Durability durability) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, S3.bucket()), prefix,
                dir.resolve(cache),
                8L << 20, 64 * 1024), CloudFileStorage.Options.defaults().withDurability(durability)
                .withUploadInterval(Duration.ofMillis(50)).withCommitTimeout(Duration.ofSeconds(30)));
    }

    private static AtomPointer commit(CloudFileStorage storage, String value) {
        AtomPointer p = storage.push(value.getBytes());
        try (CommitLock lock = storage.acquireCommitLock(WAIT)) {
            assertThat(storage.compareAndSetRoot(lock, storage.readRoot(), p)).isTrue();
        }
        return p;
    }

    @Test
    void conditionalWritesOnTheRealServer() {
        S3ObjectStore store = new S3ObjectStore(client, S3.bucket());
        String etag = store.putIfAbsent("cond/key", "a".getBytes(), java.util.Map.of("protobase-writer", "w1"));
        assertThatThrownBy(() -> store.putIfAbsent("cond/key", "b".getBytes(), java.util.Map.of()))
                .isInstanceOfAny(ObjectStore.PreconditionFailedException.class, StorageUnavailableException.class);
        assertThatThrownBy(() -> store.putIfMatch("cond/key", "c".getBytes(), "\"0000\"", java.util.Map.of()))
                .isInstanceOfAny(ObjectStore.PreconditionFailedException.class, StorageUnavailableException.class);
        String next = store.putIfMatch("cond/key", "d".getBytes(), etag, java.util.Map.of());
        assertThat(next).isNotEqualTo(etag);
        assertThat(store.head("cond/key").orElseThrow().metadata()).doesNotContainKey("protobase-writer");
        assertThat(store.getRange("cond/key", 0, 1)).isEqualTo("d".getBytes());
        assertThat(store.get("cond/missing")).isEmpty();
        assertThat(store.list("cond/")).extracting(ObjectStore.ObjectInfo::key).containsExactly("cond/key");
    }

    @Test
    void asyncCommitsContinueWhileTheServerIsDownAndCatchUpAfterwards() {
        try (CloudFileStorage s = open("async/", "async", CloudFileStorage.Durability.ASYNC)) {
            commit(s, "before");
            s.uploadNow();
            S3.server().stop();
            try {
                for (int i = 0; i < 20; i++) {
                    commit(s, "during-" + i);
                }
                await().atMost(WAIT).until(() -> !s.isBucketReachable());
                assertThat(s.uploadBacklogBytes()).isPositive();
            } finally {
                S3.server().start();
            }
            await().atMost(WAIT).until(() -> s.uploadBacklogBytes() == 0);
        }
        try (CloudFileStorage fresh = open("async/", "async-fresh", CloudFileStorage.Durability.ASYNC)) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("during-19".getBytes());
        }
    }

    @Test
    void syncCommitsFailWhileTheServerIsDownAndNothingAcknowledgedIsLost() {
        try (CloudFileStorage s = open("sync/", "sync", CloudFileStorage.Durability.SYNC)) {
            commit(s, "ok-1");
            S3.server().stop();
            try {
                assertThatThrownBy(() -> commit(s, "down-1")).isInstanceOf(StorageUnavailableException.class);
                assertThatThrownBy(() -> commit(s, "down-2")).isInstanceOf(StorageUnavailableException.class);
            } finally {
                S3.server().start();
            }
            await().atMost(WAIT).until(s::isBucketReachable);
            commit(s, "ok-2");
        }
        try (CloudFileStorage fresh = open("sync/", "sync-fresh", CloudFileStorage.Durability.ASYNC)) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("ok-2".getBytes());
        }
    }
}
