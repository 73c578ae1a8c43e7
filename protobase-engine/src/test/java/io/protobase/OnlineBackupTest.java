package io.protobase;

import io.protobase.codec.Tags;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ObjectSpace#backup}: a consistent copy of one commit, taken while commits go on, that opens as a file storage.
 */
class OnlineBackupTest {

    private static final int WRITERS = 4;

    @TempDir
    Path dir;

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    /** A clock that moves one microsecond each time it is read, so that every commit has a time of its own. */
    static final class TickingClock extends Clock {
        private final AtomicLong micros = new AtomicLong(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli() * 1000);

        @Override
        public Instant instant() {
            long m = micros.incrementAndGet();
            return Instant.ofEpochSecond(m / 1_000_000, (m % 1_000_000) * 1000);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    private CloudFileStorage cloud(String prefix, String cache) {
        return new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(S3.client(), S3.bucket()), prefix,
                dir.resolve(cache), 1 << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(50)));
    }

    private SharedStorage storage(String kind) {
        return switch (kind) {
            case "memory" -> new MemoryStorage();
            case "file" -> new StandaloneFileStorage(new FileBlockProvider(dir.resolve("source")));
            case "cloud" -> cloud("backup-" + System.nanoTime() + "/", "cloud-cache");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /**
     * Holds the backup's first read until writers have committed {@code commitsDuringBackup} more
     * times, so that commits certainly interleave with the copy.
     */
    private static final class InterleavingStorage extends ForwardingStorage {
        volatile Thread backupThread;
        final CountDownLatch commitsDuringBackup = new CountDownLatch(10);
        private final AtomicBoolean held = new AtomicBoolean();

        InterleavingStorage(SharedStorage delegate) {
            super(delegate);
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            byte[] atom = super.read(pointer);
            // a tree node: the copy has begun (the space root is read under the history cache, which writers share)
            boolean node = atom[1] == Tags.ATOM_LEAF || atom[1] == Tags.ATOM_INTERNAL;
            if (node && Thread.currentThread() == backupThread && held.compareAndSet(false, true)) {
                try {
                    assertThat(commitsDuringBackup.await(60, TimeUnit.SECONDS)).as("commits during the backup")
                            .isTrue();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            return atom;
        }
    }

    private static ObjectSpace restore(Path backup) {
        return new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(backup)));
    }

    /** Every root of database "db" and the entries of the dictionary "log". */
    private static Map<String, Object> content(Database db) {
        return db.read(tx -> {
            Map<String, Object> all = new HashMap<>();
            for (int t = 0; t < WRITERS; t++) {
                all.put("t" + t, tx.getRootObject("t" + t));
            }
            Dictionary log = tx.getRootObject("log", Dictionary.class);
            all.put("log", log == null ? Map.of() : new HashMap<>(log.asMap()));
            Dictionary preload = tx.getRootObject("preload", Dictionary.class);
            all.put("preload", preload.count());
            return all;
        });
    }

    @ParameterizedTest(name = "from {0} storage")
    @ValueSource(strings = {"memory", "file", "cloud"})
    void aBackupTakenWhileFourThreadsCommitHoldsExactlyTheStateOfOneCommit(String kind) throws Exception {
        InterleavingStorage storage = new InterleavingStorage(storage(kind));
        try (ObjectSpace space = ObjectSpace.builder(storage).clock(new TickingClock())
                .historyRetention(Duration.ofDays(1)).build()) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int i = 0; i < 20_000; i++) {
                    b.setAt(i, "preloaded value " + i);
                }
                tx.setRootObject("preload", b.build());
                tx.setRootObject("log", Dictionary.empty());
                return null;
            });
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong commits = new AtomicLong();
            CountDownLatch warmedUp = new CountDownLatch(WRITERS * 20);
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < WRITERS; t++) {
                String root = "t" + t;
                writers.add(pool.submit(() -> {
                    for (int n = 1; !stop.get(); n++) {
                        int count = n;
                        // disjoint keys: the writers never conflict, and every commit leaves the content consistent
                        db.write(tx -> {
                            tx.setRootObject(root, count);
                            tx.setRootObject("log", tx.getRootObject("log", Dictionary.class)
                                    .setAt(root + "-" + count, count));
                            return null;
                        });
                        commits.incrementAndGet();
                        warmedUp.countDown();
                        if (storage.backupThread != null) {
                            storage.commitsDuringBackup.countDown();
                        }
                    }
                    return null;
                }));
            }
            assertThat(warmedUp.await(60, TimeUnit.SECONDS)).isTrue();
            long commitsBefore = commits.get();
            storage.backupThread = Thread.currentThread();
            BackupResult result = space.backup(dir.resolve("backup"));
            long commitsAfter = commits.get();
            stop.set(true);
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();

            assertThat(result.directory()).isEqualTo(dir.resolve("backup").toAbsolutePath());
            assertThat(result.versions()).isEqualTo(1);
            assertThat(space.statistics().sequence()).as("commits went on after the backup's version")
                    .isGreaterThan(result.sequence());
            assertThat(commitsAfter - commitsBefore).as("commits while the backup ran").isGreaterThanOrEqualTo(10);
            Map<String, Object> expected = content(db.at(result.committedAt()));
            try (ObjectSpace restored = restore(result.directory())) {
                assertThat(restored.statistics().sequence()).isEqualTo(result.sequence());
                assertThat(restored.listDatabases()).containsExactly("db");
                Database copy = restored.getDatabase("db");
                assertThat(copy.lastCommitTime()).isEqualTo(result.committedAt());
                Map<String, Object> actual = content(copy);
                assertThat(actual).isEqualTo(expected);
                assertConsistent(actual);
            }
        }
    }

    /** Each writer's counter matches exactly the log entries it wrote: the state of one commit, not a mix. */
    @SuppressWarnings("unchecked")
    private static void assertConsistent(Map<String, Object> content) {
        Map<Object, Object> log = (Map<Object, Object>) content.get("log");
        int entries = 0;
        for (int t = 0; t < WRITERS; t++) {
            Integer count = (Integer) content.get("t" + t);
            int c = count == null ? 0 : count;
            for (int n = 1; n <= c; n++) {
                assertThat(log).containsEntry("t" + t + "-" + n, n);
            }
            entries += c;
        }
        assertThat(log).hasSize(entries);
        assertThat(content.get("preload")).isEqualTo(20_000L);
    }

    @Test
    void aCloudSpaceBacksUpToALocalDirectoryAndRestoresIntoANewPrefix() {
        Path backup = dir.resolve("cloud-backup");
        try (ObjectSpace space = new ObjectSpace(cloud("live/", "live-cache"))) {
            space.getDatabase("db").write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int i = 0; i < 5_000; i++) {
                    b.setAt(i, "v" + i);
                }
                tx.setRootObject("data", b.build());
                return null;
            });
            space.backup(backup);
        }
        try (ObjectSpace fromBackup = restore(backup); CloudFileStorage fresh = cloud("restored/", "restore-cache")) {
            BackupResult copied = fromBackup.copyTo(fresh, BackupOptions.defaults());
            assertThat(copied.directory()).isNull();
            assertThat(copied.sequence()).isEqualTo(fromBackup.statistics().sequence());
            assertThatThrownBy(() -> fromBackup.copyTo(fresh, BackupOptions.defaults()))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining("already holds data")
                    .hasMessageContaining("new, empty storage");
        }
        // a node with an empty cache opens from the bucket alone
        try (ObjectSpace restored = new ObjectSpace(cloud("restored/", "another-cache"))) {
            Dictionary data = restored.getDatabase("db").read(tx -> tx.getRootObject("data", Dictionary.class));
            assertThat(data.count()).isEqualTo(5_000);
            assertThat(data.getAt(4_321)).isEqualTo("v4321");
        }
    }

    @Test
    void aBackupWithHistoryReachesBackAsFarAsTheRetentionDid() {
        DatabaseHistoryTest.TestClock clock = new DatabaseHistoryTest.TestClock(Instant.parse("2025-03-01T00:00:00Z"));
        try (ObjectSpace space = ObjectSpace.builder(new MemoryStorage()).clock(clock)
                .historyRetention(Duration.ofMinutes(10)).build()) {
            Database db = space.getDatabase("db");
            List<Instant> times = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                clock.advance(Duration.ofMinutes(1));
                int n = i;
                db.write(tx -> {
                    tx.setRootObject("n", n);
                    return null;
                });
                times.add(clock.instant());
            }

            BackupResult withHistory = space.backup(dir.resolve("with-history"), BackupOptions.withHistory());
            BackupResult current = space.backup(dir.resolve("current"));

            assertThat(withHistory.versions()).as("10 minutes of versions and the one current when they began")
                    .isEqualTo(11);
            assertThat(current.versions()).isEqualTo(1);
            try (ObjectSpace restored = ObjectSpace.builder(new StandaloneFileStorage(
                    new FileBlockProvider(withHistory.directory()))).clock(clock).historyRetention(Duration.ofDays(1))
                            .build()) {
                Database copy = restored.getDatabase("db");
                for (int i = 9; i < 20; i++) {
                    assertThat(copy.at(times.get(i)).<Object>read(tx -> tx.getRootObject("n"))).isEqualTo(i);
                }
                assertThatThrownBy(() -> copy.at(times.get(8)))
                        .as("the backup's history ends where the retention did")
                        .isInstanceOf(DatabaseNotFoundException.class);
            }
            assertThat(current.bytes()).isLessThan(withHistory.bytes());
        }
    }

    @Test
    void aBackupIntoANonEmptyDirectoryOrOntoAFileIsRefusedAndLeavesThemAlone() throws Exception {
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("notes.txt"), "mine");
        Path file = Files.writeString(dir.resolve("a-file"), "mine too");
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            space.getDatabase("db");

            assertThatThrownBy(() -> space.backup(full))
                    .isInstanceOf(BackupException.class)
                    .isInstanceOf(ProtoBaseException.class)
                    .hasMessageContaining(full.toString())
                    .hasMessageContaining("not empty")
                    .hasMessageContaining("notes.txt")
                    .hasMessageContaining("new or empty directory");
            assertThatThrownBy(() -> space.backup(file))
                    .isInstanceOf(BackupException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("is a file");
        }
        assertThat(Files.list(full).toList()).containsExactly(full.resolve("notes.txt"));
        assertThat(Files.readString(file)).isEqualTo("mine too");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList())
                .as("no partial backup left behind").containsExactlyInAnyOrder("full", "a-file");
    }

    @Test
    void aBackupFillsAnEmptyDirectoryAndCreatesMissingParents() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path nested = dir.resolve("a/b/c");
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            space.getDatabase("db").write(tx -> {
                tx.setRootObject("x", "backed up");
                return null;
            });
            space.backup(empty);
            space.backup(nested);
        }
        for (Path backup : List.of(empty, nested)) {
            try (ObjectSpace restored = restore(backup)) {
                assertThat(restored.getDatabase("db").<Object>read(tx -> tx.getRootObject("x"))).isEqualTo("backed up");
            }
        }
    }
}
