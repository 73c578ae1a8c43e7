package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static io.protobase.DataRoot.put;

/**
 * Values stored out of line (larger than the inline limit) through compaction and online backup:
 * chunks move with the values, values that hold collections keep them, and a value object written
 * again after its first chunks were released is stored afresh.
 */
class OutOfLineSpaceTest {

    private static final long SEGMENT_BYTES = 64 * 1024;

    private final TestClock clock = new TestClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final List<ObjectSpace> spaces = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        spaces.forEach(ObjectSpace::close);
    }

    private ObjectSpace open(MemoryStorage storage) {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionLiveFraction(1.0).build();
        spaces.add(space);
        return space;
    }

    /** A record over the inline limit that holds a collection, and a list of records with large attributes. */
    private static Object holder(int seed) {
        if (seed % 2 == 0) {
            return DbObject.of("seed", seed, "text", ("record " + seed + " ").repeat(300),
                    "items", Dictionary.of("a", "x" + seed, "b", ("inner " + seed).repeat(200)));
        }
        return ProtoList.of(seed, DbObject.of("blob", ("listed " + seed + " ").repeat(400)),
                ProtoList.of(("deep " + seed).repeat(300)));
    }

    private static void remove(Database db, Object key) {
        db.write(tx -> {
            tx.setRootObject("data", tx.getRootObject("data", Dictionary.class).removeAt(key));
            return null;
        });
    }

    private static Map<Object, Object> contents(Database db) {
        return db.read(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            Map<Object, Object> m = new TreeMap<>();
            if (d != null) {
                d.forEach(e -> m.put(e.getKey(), deep(e.getValue())));
            }
            return m;
        });
    }

    /** Collections inside values as plain maps and lists, so that contents compare by value. */
    private static Object deep(Object v) {
        if (v instanceof Dictionary d) {
            Map<Object, Object> m = new TreeMap<>();
            d.forEach(e -> m.put(e.getKey(), deep(e.getValue())));
            return m;
        }
        if (v instanceof DbObject o) {
            Map<Object, Object> m = new TreeMap<>();
            for (String name : o.names()) {
                m.put(name, deep(o.getAt(name)));
            }
            return m;
        }
        if (v instanceof ProtoList l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(deep(e)));
            return out;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(OutOfLineSpaceTest::deep).toList();
        }
        return v;
    }

    @Test
    void compactionMovesOutOfLineValuesWithWhatTheyHoldAndReleasesTheirOldChunks() {
        MemoryStorage storage = new MemoryStorage(SEGMENT_BYTES);
        ObjectSpace space = open(storage);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 40; i++) {
            put(db, i, holder(i));
        }
        for (int i = 0; i < 40; i += 3) {
            put(db, i, "small " + i); // every segment ends up partly dead
        }
        Map<Object, Object> expected = contents(db);

        CompactionResult first = space.compact();
        CompactionResult second = space.compact();

        assertThat(first.atomsRewritten()).as("atoms rewritten").isPositive();
        assertThat(first.segmentsReleased() + second.segmentsReleased()).as("segments released").isPositive();
        assertThat(contents(db)).isEqualTo(expected);
        assertThat(contents(open(storage).getDatabase("db"))).as("reopened").isEqualTo(expected);
    }

    @Test
    void aValueWrittenAgainAfterItsChunksWereReleasedIsStoredAfresh() {
        MemoryStorage storage = new MemoryStorage(SEGMENT_BYTES);
        ObjectSpace space = open(storage);
        Database db = space.getDatabase("db");
        String large = "kept by the application ".repeat(400);
        put(db, "a", large);
        remove(db, "a");
        for (int i = 0; i < 30; i++) {
            put(db, "filler " + i, ("filler " + i).repeat(300)); // seals the segment holding the value's chunks
        }
        assertThat(space.compact().segmentsReleased()).as("segments released").isPositive();

        put(db, "b", large); // the very same object as before

        assertThat(contents(open(storage).getDatabase("db"))).containsEntry("b", large);
        space.compact();
        assertThat(contents(open(storage).getDatabase("db"))).containsEntry("b", large);
    }

    @Test
    void aBackupCopiesOutOfLineValuesAndWhatTheyHold() throws Exception {
        MemoryStorage storage = new MemoryStorage(SEGMENT_BYTES);
        ObjectSpace space = open(storage);
        Database db = space.getDatabase("db");
        for (int i = 0; i < 12; i++) {
            put(db, i, holder(i));
        }
        put(db, 100, DbObject.of("again", holder(2)));
        Map<Object, Object> expected = contents(db);

        BackupResult backup = space.backup(dir.resolve("backup"));

        try (ObjectSpace restored = ObjectSpace.builder(new StandaloneFileStorage(
                new FileBlockProvider(backup.directory()))).cacheBytes(1).build()) {
            assertThat(contents(restored.getDatabase("db"))).isEqualTo(expected);
        }
    }
}
