package io.protobase.storage.cloud;

import io.protobase.CompactionResult;
import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.FencedException;
import io.protobase.ObjectSpace;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.Dictionary;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Garbage collection of the cloud storage, against any {@link ObjectStore}: compaction releases
 * segments, their chunks are deleted only after the grace, a reader of an older root within the
 * grace finds no hole, orphans of a fenced writer are collected after the grace, and the schedule
 * survives a restart. Time is a test clock; passes are run with {@link CloudFileStorage#collectGarbageNow()}.
 */
@ExpectedWarnings(value = CloudFileStorage.class, messages = {"was fenced", "Cannot remove the unreferenced object",
        "Garbage collection in .* failed"})
abstract class CloudGarbageCollectionContract {

    static final Duration GRACE = Duration.ofMinutes(10);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<AutoCloseable> open = new ArrayList<>();
    private final String prefix = "gc" + System.nanoTime() + "/";

    /** The bucket under test; the same instance for every node of one test. */
    abstract ObjectStore store();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    CloudFileStorage node(String cache) {
        return node(cache, store());
    }

    CloudFileStorage node(String cache, ObjectStore bucket) {
        CloudFileStorage s = new CloudFileStorage(new CloudBlockProvider(bucket, prefix, dir.resolve(cache), 8L << 20,
                64 * 1024), CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofMillis(20))
                .withGcGrace(GRACE), clock);
        open.add(s);
        return s;
    }

    ObjectSpace space(SharedStorage storage) {
        ObjectSpace space = ObjectSpace.builder(storage).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).build();
        open.add(space);
        return space;
    }

    /** Writes {@code n} values of about 2 KiB, a version tag in each: several 64 KiB segments. */
    static void writeVersion(Database db, int n, String version) {
        for (int batch = 0; batch < n; batch += 20) {
            int from = batch;
            db.write(tx -> {
                Dictionary d = tx.getRootObject("data", Dictionary.class);
                d = d == null ? Dictionary.empty() : d;
                for (int i = from; i < Math.min(n, from + 20); i++) {
                    d = d.setAt("key-" + i, (version + " of key-" + i + " ").repeat(60));
                }
                tx.setRootObject("data", d);
                return null;
            });
        }
    }

    static Map<Object, Object> contents(Database db) {
        return db.read(tx -> {
            Map<Object, Object> m = new HashMap<>();
            tx.getRootObject("data", Dictionary.class).stream().forEach(e -> m.put(e.getKey(), e.getValue()));
            return m;
        });
    }

    static Map<Object, Object> expected(int n, String version) {
        Map<Object, Object> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("key-" + i, (version + " of key-" + i + " ").repeat(60));
        }
        return m;
    }

    Set<String> chunkKeys(CloudFileStorage s, Set<Long> segments) {
        return store().list(s.provider().segmentsPrefix()).stream().map(ObjectStore.ObjectInfo::key)
                .filter(k -> segments.contains(s.provider().segmentOfChunk(k))).collect(Collectors.toSet());
    }

    Set<String> allChunkKeys(CloudFileStorage s) {
        return store().list(s.provider().segmentsPrefix()).stream().map(ObjectStore.ObjectInfo::key)
                .collect(Collectors.toSet());
    }

    static Set<Long> segmentIds(CloudFileStorage s) {
        return s.reclaimer().orElseThrow().segments().stream().map(SegmentReclaimer.Segment::id)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    RootObject rootObject(CloudFileStorage s) {
        return RootObject.parse(store().get(s.provider().rootKey()).orElseThrow().data(), s.provider().rootKey());
    }

    /**
     * Writes v1, overwrites it with v2 and compacts; returns the segments compaction released, whose
     * chunks are in the bucket and scheduled for deletion once the root object that dropped them is
     * written (the pass run here waits for that round).
     */
    Set<Long> compactAwayVersionOne(CloudFileStorage s, Database db, ObjectSpace space) {
        writeVersion(db, 200, "v1");
        writeVersion(db, 200, "v2");
        s.uploadNow();
        Set<Long> before = segmentIds(s);
        CompactionResult result = space.compact();
        assertThat(result.segmentsReleased()).isPositive();
        Set<Long> released = new TreeSet<>(before);
        released.removeAll(segmentIds(s));
        s.collectGarbageNow();
        assertThat(released).hasSize(result.segmentsReleased());
        return released;
    }

    @Test
    void chunksOfSegmentsReleasedByCompactionAreDeletedOnlyOnceTheGraceHasPassed() {
        CloudFileStorage s = node("writer");
        ObjectSpace space = space(s);
        Database db = space.getDatabase("db");
        Set<Long> released = compactAwayVersionOne(s, db, space);
        Set<String> releasedChunks = chunkKeys(s, released);
        assertThat(releasedChunks).isNotEmpty();
        assertThat(rootObject(s).released().keySet()).containsAll(released);
        assertThat(rootObject(s).segments()).doesNotContainAnyElementsOf(released);
        assertThat(s.pendingSegmentDeletions()).isEqualTo(released.size());

        clock.advance(GRACE.minusSeconds(1));
        s.collectGarbageNow();
        assertThat(allChunkKeys(s)).containsAll(releasedChunks);

        clock.advance(Duration.ofSeconds(1));
        s.collectGarbageNow();
        assertThat(allChunkKeys(s)).doesNotContainAnyElementsOf(releasedChunks);
        assertThat(s.pendingSegmentDeletions()).isZero();
        assertThat(s.deletedSegments()).isEqualTo(released.size());
        assertThat(contents(db)).isEqualTo(expected(200, "v2"));

        s.collectGarbageNow(); // the next round writes the root without them
        assertThat(rootObject(s).released()).isEmpty();
    }

    @Test
    void aNodeWithAnEmptyCacheReadingAnOlderRootWithinTheGraceReadsEverythingWhileGarbageIsCollected()
            throws Exception {
        CloudFileStorage s = node("writer");
        ObjectSpace space = space(s);
        Database db = space.getDatabase("db");
        writeVersion(db, 200, "v1");
        s.uploadNow();
        AtomPointer olderRoot = rootObject(s).root();

        writeVersion(db, 200, "v2");
        s.uploadNow();
        assertThat(space.compact().segmentsReleased()).isPositive();
        s.collectGarbageNow();
        clock.advance(GRACE.minusSeconds(1));

        // passes keep running (and deleting nothing yet) while the reader fetches every chunk it needs
        AtomicReference<Throwable> gcFailure = new AtomicReference<>();
        CountDownLatch readerDone = new CountDownLatch(1);
        CountDownLatch firstPass = new CountDownLatch(1);
        AtomicLong passes = new AtomicLong();
        Thread gc = new Thread(() -> {
            try {
                do {
                    s.collectGarbageNow();
                    passes.incrementAndGet();
                    firstPass.countDown();
                } while (readerDone.getCount() > 0);
            } catch (Throwable t) {
                gcFailure.set(t);
                firstPass.countDown();
            }
        });
        gc.start();
        // the reader starts once the collector is running, so that they overlap
        assertThat(firstPass.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        Map<Object, Object> seen;
        try (OlderRootReader reader = new OlderRootReader(new CloudBlockProvider(store(), s.provider().prefix(),
                dir.resolve("reader"), 8L << 20, 64 * 1024), olderRoot)) {
            seen = contents(new ObjectSpace(reader).getDatabase("db"));
        } finally {
            readerDone.countDown();
            gc.join(WAIT.toMillis());
        }
        assertThat(gcFailure.get()).isNull();
        assertThat(passes.get()).isPositive();
        assertThat(seen).isEqualTo(expected(200, "v1"));

        // the rule's other side: past the grace that root's released segments are gone
        clock.advance(Duration.ofSeconds(1));
        s.collectGarbageNow();
        assertThat(s.deletedSegments()).isPositive();
        try (OlderRootReader late = new OlderRootReader(new CloudBlockProvider(store(), s.provider().prefix(),
                dir.resolve("late-reader"), 8L << 20, 64 * 1024), olderRoot)) {
            assertThatThrownBy(() -> contents(new ObjectSpace(late).getDatabase("db")))
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("garbage collection deleted the segment");
        }
        assertThat(contents(db)).isEqualTo(expected(200, "v2"));
    }

    @Test
    void theDeletionScheduleSurvivesARestartAndTheGraceStillCountsFromTheRelease() {
        CloudFileStorage s = node("writer");
        ObjectSpace space = space(s);
        Set<Long> released = compactAwayVersionOne(s, space.getDatabase("db"), space);
        Set<String> releasedChunks = chunkKeys(s, released);
        space.close();

        clock.advance(GRACE.minusSeconds(1));
        CloudFileStorage again = node("writer");
        assertThat(again.pendingSegmentDeletions()).isEqualTo(released.size());
        again.collectGarbageNow();
        assertThat(allChunkKeys(again)).containsAll(releasedChunks);

        clock.advance(Duration.ofSeconds(1));
        again.collectGarbageNow();
        assertThat(allChunkKeys(again)).doesNotContainAnyElementsOf(releasedChunks);
        assertThat(contents(space(again).getDatabase("db"))).isEqualTo(expected(200, "v2"));
    }

    @Test
    void aNewNodeWithAnEmptyCacheInheritsTheScheduleAndReadsEverythingLive() {
        CloudFileStorage s = node("writer");
        ObjectSpace space = space(s);
        Set<Long> released = compactAwayVersionOne(s, space.getDatabase("db"), space);
        Set<String> releasedChunks = chunkKeys(s, released);
        space.close();

        CloudFileStorage other = node("other-node");
        ObjectSpace otherSpace = space(other);
        assertThat(other.pendingSegmentDeletions()).isEqualTo(released.size());
        clock.advance(GRACE);
        other.collectGarbageNow();
        assertThat(allChunkKeys(other)).doesNotContainAnyElementsOf(releasedChunks);
        assertThat(contents(otherSpace.getDatabase("db"))).isEqualTo(expected(200, "v2"));
    }

    @Test
    void orphanChunksOfAFencedWriterAreDeletedAfterTheGraceAndNotBefore() {
        // its deletes fail: the fenced writer cannot clean up, as if it had crashed after its chunk puts
        CloudFileStorage zombie = node("zombie", new ForwardingObjectStore(store()) {
            @Override
            public void delete(String key) {
                throw new StorageUnavailableException("Cannot DELETE " + key + ": the connection was reset");
            }
        });
        Database zombieDb = space(zombie).getDatabase("db");
        writeVersion(zombieDb, 100, "v1");
        zombie.uploadNow();

        CloudFileStorage writer = node("writer");
        ObjectSpace writerSpace = space(writer);
        Database db = writerSpace.getDatabase("db");
        // the zombie does not know yet: it commits locally and ships chunks, then its root update fails
        Set<String> before = allChunkKeys(writer);
        zombieDb.write(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            for (int i = 0; i < 100; i++) {
                d = d.setAt("key-" + i, ("zombie of key-" + i + " ").repeat(60));
            }
            tx.setRootObject("data", d);
            return null;
        });
        assertThatThrownBy(zombie::uploadNow).isInstanceOf(FencedException.class);
        Set<String> zombieChunks = new TreeSet<>(allChunkKeys(writer));
        zombieChunks.removeAll(before);
        // the writer's own upload may ship its first segment meanwhile: only the zombie's segments are its chunks
        // (a segment id's upper half is its writer's incarnation)
        long zombieIncarnation = zombie.reclaimer().orElseThrow().writingSegment() >>> 32;
        zombieChunks.removeIf(k -> writer.provider().segmentOfChunk(k) >>> 32 != zombieIncarnation);
        assertThat(zombieChunks).as("chunks the fenced writer left").isNotEmpty();
        Set<Long> live = rootObject(writer).segments();
        Set<String> orphans = zombieChunks.stream()
                .filter(k -> !live.contains(writer.provider().segmentOfChunk(k))).collect(Collectors.toSet());
        assertThat(orphans).as("chunks in segments no root names").isNotEmpty();

        writer.collectGarbageNow(); // first seen now
        clock.advance(GRACE.minusSeconds(1));
        writer.collectGarbageNow();
        assertThat(allChunkKeys(writer)).containsAll(orphans);

        clock.advance(Duration.ofSeconds(1));
        writer.collectGarbageNow();
        assertThat(allChunkKeys(writer)).doesNotContainAnyElementsOf(orphans);
        assertThat(writer.deletedOrphanChunks()).isEqualTo(orphans.size());
        assertThat(store().get(writer.provider().rootKey())).isPresent();

        writeVersion(db, 100, "v2");
        writer.uploadNow();
        writerSpace.close();
        CloudFileStorage fresh = node("fresh");
        assertThat(contents(space(fresh).getDatabase("db"))).isEqualTo(expected(100, "v2"));
    }

    @Test
    void aZombieThatDoesNotKnowItIsFencedDeletesNothingOfTheWriterThatTookOver() {
        CloudFileStorage zombie = node("zombie");
        writeVersion(space(zombie).getDatabase("db"), 50, "v1");
        zombie.uploadNow();

        CloudFileStorage writer = node("writer");
        ObjectSpace writerSpace = space(writer);
        writeVersion(writerSpace.getDatabase("db"), 200, "v2");
        writer.uploadNow();
        Set<String> writerChunks = allChunkKeys(writer);

        // the zombie commits nothing, so it never learns it was fenced; its passes still run
        zombie.collectGarbageNow();
        clock.advance(GRACE.multipliedBy(2));
        zombie.collectGarbageNow();
        assertThat(zombie.isFenced()).isFalse();
        assertThat(allChunkKeys(writer)).containsAll(writerChunks);

        writerSpace.close();
        assertThat(contents(space(node("fresh")).getDatabase("db"))).isEqualTo(expected(200, "v2"));
    }

    /**
     * A read-only view of an older root through a provider with an empty cache, as a node or tool
     * that read that root object and now fetches what it reaches.
     */
    static final class OlderRootReader implements SharedStorage {
        private final CloudBlockProvider provider;
        private final AtomPointer root;

        OlderRootReader(CloudBlockProvider provider, AtomPointer root) {
            this.provider = provider;
            this.root = root;
            provider.openCache(id -> true);
        }

        @Override
        public AtomPointer push(byte[] atom) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            return provider.readAtom(pointer);
        }

        @Override
        public AtomPointer readRoot() {
            return root;
        }

        @Override
        public CommitLock acquireCommitLock(Duration timeout) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public PendingRoot compareAndSetRootPipelined(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void flush() {
        }

        @Override
        public String describe() {
            return "reader of root " + root + " in " + provider;
        }

        @Override
        public void close() {
        }
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private final AtomicLong millis;

        MutableClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
