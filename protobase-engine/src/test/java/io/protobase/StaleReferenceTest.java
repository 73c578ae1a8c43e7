package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An object read in one transaction and written in a later one, after compaction released the
 * version it came from: the commit is refused with {@link StaleReferenceException} and nothing is
 * published, instead of publishing references to data that is gone. While the version is retained,
 * or when nothing was released since, the object is written as usual.
 */
class StaleReferenceTest {

    private static final long SEGMENT_BYTES = 16 * 1024;

    private final TestClock clock = new TestClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final MemoryStorage storage = new MemoryStorage(SEGMENT_BYTES);
    private final List<ObjectSpace> spaces = new ArrayList<>();

    @AfterEach
    void close() {
        spaces.forEach(ObjectSpace::close);
    }

    private ObjectSpace open(Duration retention) {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(retention).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionLiveFraction(1.0).build();
        spaces.add(space);
        return space;
    }

    private static Dictionary entries(int n) {
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < n; i++) {
            b.setAt(i, "value " + i + " ".repeat(30));
        }
        return b.build();
    }

    private static void set(Database db, String root, Object value) {
        db.write(tx -> {
            tx.setRootObject(root, value);
            return null;
        });
    }

    private static int size(Database db, String root) {
        return db.read(tx -> {
            Dictionary d = tx.getRootObject(root, Dictionary.class);
            int[] n = {0};
            d.forEach(e -> n[0]++);
            return n[0];
        });
    }

    /** Replaces root {@code data} and writes enough after it that its old segments are sealed. */
    private static void supersede(Database db) {
        set(db, "data", Dictionary.empty());
        for (int i = 0; i < 40; i++) {
            set(db, "filler", "filler " + i + " ".repeat(600));
        }
    }

    @Test
    void aCollectionKeptFromAReleasedVersionIsRefusedAndNothingIsCommitted() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        set(db, "data", entries(2000));
        Dictionary kept = db.read(tx -> tx.getRootObject("data", Dictionary.class));
        supersede(db);
        assertThat(space.compact().segmentsReleased()).as("segments released").isPositive();
        long before = space.statistics().sequence();

        assertThatThrownBy(() -> set(db, "data", kept)).isInstanceOf(StaleReferenceException.class)
                .hasMessageContaining("compaction has released").hasMessageContaining("Nothing was committed");

        assertThat(space.statistics().sequence()).isEqualTo(before);
        assertThat(size(open(Duration.ZERO).getDatabase("db"), "data")).isZero();
        set(db, "data", entries(10));
        assertThat(size(db, "data")).isEqualTo(10);
    }

    @Test
    void aCollectionKeptFromAReleasedVersionInsideAValueStoredOutOfLineIsRefused() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        set(db, "data", entries(2000));
        Dictionary kept = db.read(tx -> tx.getRootObject("data", Dictionary.class));
        supersede(db);
        assertThat(space.compact().segmentsReleased()).as("segments released").isPositive();
        long before = space.statistics().sequence();

        // the list encodes to more than the inline limit: it goes to chunks, raw bytes holding kept's root
        assertThatThrownBy(() -> set(db, "data", DbObject.of("large", List.of(kept, "x".repeat(2000)))))
                .isInstanceOf(StaleReferenceException.class);

        assertThat(space.statistics().sequence()).isEqualTo(before);
    }

    @Test
    void aCollectionWhoseRootAtomSurvivedButWhoseNodesWereReleasedIsRefused() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        set(db, "data", entries(2000));
        Dictionary kept = db.read(tx -> tx.getRootObject("data", Dictionary.class));
        // the root node is among the last atoms of that commit, in the segment still being written,
        // which is never released; its leaves fill sealed segments that become dead
        set(db, "data", Dictionary.empty());
        assertThat(space.compact().segmentsReleased()).as("segments released").isPositive();

        assertThatThrownBy(() -> set(db, "data", kept)).isInstanceOf(StaleReferenceException.class);
        assertThat(size(open(Duration.ZERO).getDatabase("db"), "data")).isZero();
    }

    @Test
    void aRecordKeptWithAnOutOfLineAttributeIsRefusedOnceItsChunksWereReleased() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        set(db, "record", DbObject.of("name", "big", "body", "large ".repeat(2000)));
        DbObject kept = db.read(tx -> tx.getRootObject("record", DbObject.class));
        set(db, "record", "gone");
        supersede(db);
        assertThat(space.compact().segmentsReleased()).as("segments released").isPositive();

        assertThatThrownBy(() -> set(db, "copy", kept.with("name", "again")))
                .isInstanceOf(StaleReferenceException.class);
    }

    @Test
    void aCollectionKeptWhileItsVersionIsRetainedIsWrittenAfterCompaction() {
        ObjectSpace space = open(Duration.ofHours(1));
        Database db = space.getDatabase("db");
        set(db, "data", entries(2000));
        Dictionary kept = db.read(tx -> tx.getRootObject("data", Dictionary.class));
        supersede(db);
        space.compact();

        set(db, "data", kept);

        assertThat(size(open(Duration.ofHours(1)).getDatabase("db"), "data")).isEqualTo(2000);
    }

    @Test
    void aCollectionKeptFromAnEndedTransactionIsWrittenWhenNothingWasReleasedSince() {
        ObjectSpace space = open(Duration.ZERO);
        Database db = space.getDatabase("db");
        set(db, "data", entries(2000));
        Dictionary kept = db.read(tx -> tx.getRootObject("data", Dictionary.class));
        supersede(db);

        set(db, "data", kept.setAt(5000, "added"));
        space.compact();

        assertThat(size(open(Duration.ZERO).getDatabase("db"), "data")).isEqualTo(2001);
    }
}
