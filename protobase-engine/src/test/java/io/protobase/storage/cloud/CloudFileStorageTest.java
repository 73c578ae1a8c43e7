package io.protobase.storage.cloud;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.Database;
import io.protobase.FencedException;
import io.protobase.ObjectSpace;
import io.protobase.StorageLockedException;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Behaviour of the cloud storage on {@link MockS3Client}: layout, fencing, faults, outages, the cache. */
@ExpectedWarnings(value = CloudFileStorage.class, messages = {"retrying with back-off", "was fenced",
        "written by another writer",
        "is not the history of"})
class CloudFileStorageTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final MockS3Client s3 = new MockS3Client();

    private CloudFileStorage open(String cache, CloudFileStorage.Options options) {
        return open(cache, 8L << 20, 64 * 1024, options);
    }

    private CloudFileStorage open(String cache, long cacheSize, long objectSize, CloudFileStorage.Options options) {
        return new CloudFileStorage(new CloudBlockProvider(s3, "db/", dir.resolve(cache), cacheSize, objectSize),
                options);
    }

    private static CloudFileStorage.Options async() {
        return CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(20));
    }

    private static CloudFileStorage.Options sync() {
        return async().withDurability(CloudFileStorage.Durability.SYNC).withCommitTimeout(Duration.ofSeconds(20));
    }

    private static AtomPointer commit(CloudFileStorage storage, byte[] atom) {
        AtomPointer p = storage.push(atom);
        try (CommitLock lock = storage.acquireCommitLock(WAIT)) {
            AtomPointer root = storage.readRoot();
            assertThat(storage.compareAndSetRoot(lock, root, p)).isTrue();
        }
        return p;
    }

    @Test
    void freshNodeWithAnEmptyCacheReadsAHundredThousandEntriesWrittenByAnother() {
        int n = 100_000;
        try (CloudFileStorage a = open("node-a", async())) {
            Database db = new ObjectSpace(a).getDatabase("big");
            db.write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int i = 0; i < n; i++) {
                    b.setAt("key-" + i, "value-" + i);
                }
                tx.setRootObject("entries", b.build());
                return null;
            });
        }
        assertThat(s3.keys()).contains("db/root").anyMatch(k -> k.startsWith("db/segments/"));

        try (CloudFileStorage b = open("node-b", async())) {
            Database db = new ObjectSpace(b).getDatabase("big");
            db.read(tx -> {
                Dictionary d = tx.getRootObject("entries", Dictionary.class);
                assertThat(d.count()).isEqualTo(n);
                long[] seen = {0};
                d.stream().forEach(e -> {
                    assertThat(e.getValue()).isEqualTo("value-" + ((String) e.getKey()).substring(4));
                    seen[0]++;
                });
                assertThat(seen[0]).isEqualTo(n);
                return null;
            });
            assertThat(b.provider().blockFetches()).isPositive();
        }
    }

    @Test
    void objectsAreWrittenOnceAndTheRootOnlyNamesUploadedData() {
        CloudBlockProvider provider;
        try (CloudFileStorage s = open("c", async())) {
            provider = s.provider();
            for (int i = 0; i < 50; i++) {
                commit(s, ("atom-" + i).getBytes());
                if (i % 10 == 0) {
                    s.uploadNow();
                }
            }
            s.uploadNow();
        }
        // every chunk put is If-None-Match: the mock refuses overwrites, so none happened; and each
        // chunk key's range is distinct and contiguous per segment
        Map<String, List<Long>> bySegment = new HashMap<>();
        for (String k : s3.keys()) {
            if (k.startsWith("db/segments/")) {
                String[] parts = k.split("/");
                bySegment.computeIfAbsent(parts[2], x -> new ArrayList<>()).add(Long.parseUnsignedLong(parts[3], 16));
            }
        }
        assertThat(bySegment).isNotEmpty();
        // every byte in the bucket was sent with a PUT, the root object's once per replacement
        assertThat(provider.putBytes()).isGreaterThan(s3.storedBytes());
        RootObject root = RootObject.parse(s3.get("db/root").orElseThrow().data(), "db/root");
        assertThat(root.sequence()).isEqualTo(50);
        // a node that opens from the bucket sees the last commit
        try (CloudFileStorage b = open("other", async())) {
            assertThat(b.read(b.readRoot())).isEqualTo("atom-49".getBytes());
        }
    }

    @Test
    void aZombieWriterIsFencedAndTheBucketKeepsOnlyTheNewerWritersHistory() {
        CloudFileStorage old = open("old", sync());
        commit(old, "before".getBytes());
        List<String> before = s3.keys();

        CloudFileStorage newer = open("new", sync());
        assertThat(newer.epoch()).isGreaterThan(old.epoch());
        AtomPointer fromNew = commit(newer, "newer".getBytes());

        assertThatThrownBy(() -> commit(old, "zombie".getBytes())).isInstanceOf(FencedException.class)
                .hasMessageContaining("fenced").hasMessageContaining("epoch " + newer.epoch());
        assertThat(old.isFenced()).isTrue();
        List<String> afterFence = s3.keys();
        // the zombie writes nothing more
        assertThatThrownBy(() -> old.push("more".getBytes())).isInstanceOf(FencedException.class);
        assertThat(s3.keys()).isEqualTo(afterFence);
        // no object of the zombie survives beyond what it had before the newer writer opened
        for (String k : afterFence) {
            if (!before.contains(k) && !k.equals("db/root")) {
                assertThat(s3.metadata(k).orElseThrow().get(CloudFileStorage.WRITER_METADATA))
                        .as(k).isEqualTo(newer.writerId());
            }
        }
        old.close();
        commit(newer, "still".getBytes());
        newer.close();

        try (CloudFileStorage third = open("third", async())) {
            assertThat(third.read(third.readRoot())).isEqualTo("still".getBytes());
            assertThat(third.read(fromNew)).isEqualTo("newer".getBytes());
        }
    }

    @Test
    void aPutWhoseReplyWasLostIsRecognisedAsOurOwn() {
        try (CloudFileStorage s = open("c", sync())) {
            commit(s, "one".getBytes());
            s3.failNext(2, MockS3Client.Fault.TIMEOUT_AFTER_WRITE); // the chunk, then the root, land unseen
            assertThatThrownBy(() -> commit(s, "two".getBytes())).isInstanceOf(StorageUnavailableException.class);
            await().atMost(WAIT).until(() -> s.uploadBacklogBytes() == 0 && s.isBucketReachable());
            AtomPointer three = commit(s, "three".getBytes());
            assertThat(s.isFenced()).isFalse();
            assertThat(RootObject.parse(s3.get("db/root").orElseThrow().data(), "db/root").root()).isEqualTo(three);
        }
    }

    /**
     * S3Proxy refuses a put of a key that exists before it reads the body, and closes the connection while the
     * client still sends it: the client sees a broken pipe (no reply) on every attempt instead of the 412. A chunk
     * that landed but whose reply was lost is then put again, forever, unless the uploader looks after no reply.
     */
    @Test
    void aChunkThereAlreadyWhosePutAgainGetsNoReplyIsRecognisedAsOurOwn() {
        ObjectStore refusingEarly = new ForwardingObjectStore(s3) {
            @Override
            public String putIfAbsent(String key, byte[] data, Map<String, String> metadata) {
                if (s3.keys().contains(key)) {
                    throw new StorageUnavailableException("PUT (If-None-Match) " + key + " got no reply (Broken pipe)");
                }
                return super.putIfAbsent(key, data, metadata);
            }
        };
        try (CloudFileStorage s = new CloudFileStorage(new CloudBlockProvider(refusingEarly, "db/", dir.resolve("c"),
                8L << 20, 64 * 1024), sync())) {
            commit(s, "one".getBytes());
            // the chunk lands, its reply is lost; putting it again would get no reply every time
            s3.failNext(1, MockS3Client.Fault.TIMEOUT_AFTER_WRITE);
            AtomPointer two = commit(s, "two".getBytes());
            assertThat(s.isFenced()).isFalse();
            assertThat(RootObject.parse(s3.get("db/root").orElseThrow().data(), "db/root").root()).isEqualTo(two);
        }
        try (CloudFileStorage fresh = open("fresh", async())) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("two".getBytes());
        }
    }

    @Test
    void asyncCommitsContinueThroughAnOutageAndCatchUp() {
        try (CloudFileStorage s = open("c", async())) {
            commit(s, "first".getBytes());
            s.uploadNow();
            s3.setDown(true);
            List<AtomPointer> during = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                during.add(commit(s, ("during-" + i).getBytes()));
            }
            await().atMost(WAIT).until(() -> !s.isBucketReachable());
            assertThat(s.uploadBacklogBytes()).isPositive();
            assertThat(s.oldestUnuploadedCommitAge()).isPositive();
            s3.setDown(false);
            await().atMost(WAIT).until(() -> s.uploadBacklogBytes() == 0);
            assertThat(s.oldestUnuploadedCommitAge()).isZero();
        }
        try (CloudFileStorage fresh = open("fresh", async())) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("during-19".getBytes());
        }
    }

    @Test
    void syncCommitsFailWhileTheBucketIsDownAndNothingAcknowledgedIsLost() {
        List<byte[]> acknowledged = new ArrayList<>();
        try (CloudFileStorage s = open("c", sync())) {
            commit(s, "ok-1".getBytes());
            acknowledged.add("ok-1".getBytes());
            s3.setDown(true);
            assertThatThrownBy(() -> commit(s, "while-down-1".getBytes()))
                    .isInstanceOf(StorageUnavailableException.class).hasMessageContaining("local log");
            // known to be down now: fails before writing
            assertThatThrownBy(() -> commit(s, "while-down-2".getBytes()))
                    .isInstanceOf(StorageUnavailableException.class).hasMessageContaining("nothing was written");
            s3.setDown(false);
            await().atMost(WAIT).until(s::isBucketReachable);
            commit(s, "ok-2".getBytes());
            acknowledged.add("ok-2".getBytes());
        }
        try (CloudFileStorage fresh = open("fresh", async())) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo(acknowledged.get(1));
        }
    }

    @Test
    void uploadsRetryThroughTransientErrors() {
        try (CloudFileStorage s = open("c", async())) {
            s3.setErrorRate(0.3);
            for (int i = 0; i < 30; i++) {
                commit(s, ("x-" + i).getBytes());
            }
            // a liveness bound, not a speed goal: at this error rate about half the rounds fail and back off
            await().atMost(Duration.ofMinutes(2)).until(() -> s.uploadBacklogBytes() == 0);
            s3.setErrorRate(0);
        }
        try (CloudFileStorage fresh = open("fresh", async())) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("x-29".getBytes());
        }
    }

    @Test
    void aSmallCacheStaysWithinItsBoundAndReadsStayCorrect() throws IOException {
        long cacheSize = 256 * 1024;
        long objectSize = 64 * 1024;
        Random rnd = new Random(7);
        Map<AtomPointer, byte[]> written = new HashMap<>();
        try (CloudFileStorage s = open("writer", cacheSize, objectSize, async())) {
            for (int i = 0; i < 400; i++) {
                byte[] atom = new byte[2000 + rnd.nextInt(6000)];
                rnd.nextBytes(atom);
                written.put(commit(s, atom), atom);
            }
            s.uploadNow();
            assertThat(s.provider().cachedBytes()).isLessThanOrEqualTo(cacheSize);
            assertThat(directorySize(dir.resolve("writer"))).isLessThanOrEqualTo(cacheSize + 3 * objectSize);
        }
        assertThat(written.values().stream().mapToLong(b -> b.length).sum()).isGreaterThan(6 * cacheSize);
        try (CloudFileStorage r = open("reader", cacheSize, objectSize, async())) {
            List<AtomPointer> order = new ArrayList<>(written.keySet());
            for (int round = 0; round < 2; round++) {
                java.util.Collections.shuffle(order, rnd);
                for (AtomPointer p : order) {
                    assertThat(r.read(p)).as("%s", p).isEqualTo(written.get(p));
                }
                assertThat(r.provider().cachedBytes()).isLessThanOrEqualTo(cacheSize);
                assertThat(directorySize(dir.resolve("reader"))).isLessThanOrEqualTo(cacheSize + 3 * objectSize);
            }
        }
        // the cache is rebuilt from the directory: a reopened reader fetches nothing it has
        try (CloudFileStorage r = open("reader", cacheSize, objectSize, async())) {
            long cached = r.provider().cachedBytes();
            assertThat(cached).isPositive().isLessThanOrEqualTo(cacheSize);
        }
    }

    @Test
    void blocksReadOnceStayCachedAndAreNotFetchedAgain() {
        Map<AtomPointer, byte[]> written = new HashMap<>();
        try (CloudFileStorage s = open("writer", async())) {
            for (int i = 0; i < 200; i++) {
                byte[] atom = ("atom-" + i + "-".repeat(500)).getBytes();
                written.put(commit(s, atom), atom);
            }
        }
        try (CloudFileStorage r = open("reader", async())) {
            written.forEach((p, b) -> assertThat(r.read(p)).isEqualTo(b));
            long fetches = r.provider().blockFetches();
            written.forEach((p, b) -> assertThat(r.read(p)).isEqualTo(b));
            assertThat(r.provider().blockFetches()).isEqualTo(fetches);
        }
        try (CloudFileStorage r = open("reader", async())) {
            written.forEach((p, b) -> assertThat(r.read(p)).isEqualTo(b));
            assertThat(r.provider().blockFetches()).isZero();
        }
    }

    @Test
    void aCacheDirectoryIsUsedByOneStorageAtATime() {
        try (CloudFileStorage s = open("c", async())) {
            assertThatThrownBy(() -> open("c", async())).isInstanceOf(StorageLockedException.class)
                    .hasMessageContaining("cache-dir");
        }
    }

    @Test
    void closeUploadsEverythingAndReopeningTheSameCacheContinuesTheLog() {
        AtomPointer last = null;
        try (CloudFileStorage s = open("c", async().withUploadInterval(Duration.ofHours(1)))) {
            for (int i = 0; i < 10; i++) {
                last = commit(s, ("v" + i).getBytes());
            }
        }
        RootObject root = RootObject.parse(s3.get("db/root").orElseThrow().data(), "db/root");
        assertThat(root.root()).isEqualTo(last);
        try (CloudFileStorage s = open("c", async())) {
            assertThat(s.read(last)).isEqualTo("v9".getBytes());
            commit(s, "v10".getBytes());
        }
        try (CloudFileStorage fresh = open("fresh", async())) {
            assertThat(fresh.read(fresh.readRoot())).isEqualTo("v10".getBytes());
        }
    }

    private static long directorySize(Path p) throws IOException {
        try (Stream<Path> files = Files.walk(p)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
