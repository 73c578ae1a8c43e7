package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Database#at}: read-only views of a database as it was at an instant. */
class DatabaseHistoryTest {

    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    private final TestClock clock = new TestClock(T0);
    private final CountingStorage storage = new CountingStorage(new MemoryStorage());
    private final ObjectSpace space = open(storage);

    /** These tests read history decades back (to the epoch): the retention must reach that far. */
    private ObjectSpace open(SharedStorage on) {
        return ObjectSpace.builder(on).clock(clock).historyRetention(Duration.ofDays(200 * 365)).build();
    }

    @AfterEach
    void close() {
        space.close();
    }

    /** What the test expects a database to hold after one commit. */
    private record Version(int counter, Map<Integer, String> dict) {
    }

    @Test
    void atReturnsTheStateAsOfEachInstantOverManyCommits() {
        Random rnd = new Random(42);
        clock.advance(Duration.ofSeconds(10));
        Database db = space.getDatabase("db");
        Instant created = clock.instant();
        NavigableMap<Instant, Version> model = new TreeMap<>();
        model.put(created, new Version(-1, Map.of()));
        Map<Integer, String> dict = new HashMap<>();
        List<Instant> commitTimes = new ArrayList<>();

        for (int i = 0; i < 300; i++) {
            // sometimes several commits share an instant: the newest of them is the state "at" it
            clock.advance(Duration.ofMillis(rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(5000)));
            int n = i;
            int key = rnd.nextInt(40);
            boolean remove = rnd.nextInt(4) == 0;
            db.write(tx -> {
                tx.setRootObject("counter", n);
                Dictionary d = tx.getRootObject("dict", Dictionary.class);
                d = d == null ? Dictionary.empty() : d;
                tx.setRootObject("dict", remove ? d.removeAt(key) : d.setAt(key, "v" + n));
                return null;
            });
            if (remove) {
                dict.remove(key);
            } else {
                dict.put(key, "v" + n);
            }
            model.put(clock.instant(), new Version(n, Map.copyOf(dict)));
            commitTimes.add(clock.instant());
            assertThat(db.lastCommitTime()).isEqualTo(clock.instant());
        }
        // another database's commits are versions of the space too, but not of "db"
        clock.advance(Duration.ofSeconds(1));
        space.getDatabase("other").write(tx -> {
            tx.setRootObject("x", 1);
            return null;
        });
        Instant end = clock.instant();
        model.put(end, model.lastEntry().getValue());

        List<Instant> queries = new ArrayList<>(commitTimes);
        commitTimes.forEach(t -> queries.add(t.minusNanos(1)));
        for (int i = 0; i < 400; i++) {
            long span = Duration.between(created, end).toMillis() + 20_000;
            queries.add(created.minusSeconds(10).plusMillis((long) (rnd.nextDouble() * span)));
        }

        assertHistoryMatches(space.getDatabase("db"), model, created, queries);
        ObjectSpace reopened = open(storage);
        assertHistoryMatches(reopened.getDatabase("db"), model, created, queries);
    }

    private static void assertHistoryMatches(Database db, NavigableMap<Instant, Version> model, Instant created,
            List<Instant> queries) {
        for (Instant q : queries) {
            Map.Entry<Instant, Version> expected = model.floorEntry(q);
            if (q.isBefore(created)) {
                assertThatThrownBy(() -> db.at(q)).as("at %s", q).isInstanceOf(DatabaseNotFoundException.class);
                continue;
            }
            Database then = db.at(q);
            assertThat(then.isHistorical()).isTrue();
            assertThat(then.lastCommitTime()).as("commit time seen at %s", q).isEqualTo(expected.getKey());
            Version v = expected.getValue();
            then.read(tx -> {
                assertThat(tx.getRootObject("counter")).as("counter at %s", q)
                        .isEqualTo(v.counter() < 0 ? null : v.counter());
                Dictionary d = tx.getRootObject("dict", Dictionary.class);
                Map<Object, Object> actual = d == null ? Map.of() : new HashMap<>(d.asMap());
                assertThat(actual).as("dict at %s", q).isEqualTo(new HashMap<Object, Object>(v.dict()));
                return null;
            });
        }
    }

    @Test
    void historyLookupsFollowJumpPointersInsteadOfEveryVersion() {
        Database db = space.getDatabase("db");
        int commits = 512;
        List<Instant> times = new ArrayList<>();
        for (int i = 0; i < commits; i++) {
            clock.advance(Duration.ofSeconds(1));
            int n = i;
            db.write(tx -> {
                tx.setRootObject("n", n);
                return null;
            });
            times.add(clock.instant());
        }
        ObjectSpace cold = open(storage); // empty caches: every version visited is a storage read
        Database coldDb = cold.getDatabase("db");
        Random rnd = new Random(5);
        long worst = 0;
        for (int i = 0; i < 200; i++) {
            int target = rnd.nextInt(commits);
            long before = storage.reads.get();
            Database then = coldDb.at(times.get(target));
            long reads = storage.reads.get() - before;
            worst = Math.max(worst, reads);
            assertThat(then.<Object>read(tx -> tx.getRootObject("n"))).isEqualTo(target);
        }
        // log2(512)^2 = 81; a walk along "previous" links would read up to 512 versions
        assertThat(worst).as("space-root reads of the worst history lookup").isLessThanOrEqualTo(81);
    }

    @Test
    void atBeforeTheDatabaseExistedThrowsDatabaseNotFound() {
        space.getDatabase("early");
        clock.advance(Duration.ofMinutes(1));
        Database db = space.getDatabase("db");
        Instant created = clock.instant();

        assertThatThrownBy(() -> db.at(created.minusNanos(1)))
                .isInstanceOf(DatabaseNotFoundException.class)
                .hasMessageContaining("db");
        assertThatThrownBy(() -> db.at(Instant.EPOCH)).isInstanceOf(DatabaseNotFoundException.class);
        assertThat(db.at(created).<Object>read(tx -> tx.getRootObject("x"))).isNull();
    }

    @Test
    void atOnAnEmptySpaceThrowsDatabaseNotFound() {
        ObjectSpace empty = open(new MemoryStorage());
        try {
            Database db = empty.getDatabase("db");
            assertThatThrownBy(() -> db.at(Instant.EPOCH)).isInstanceOf(DatabaseNotFoundException.class);
        } finally {
            empty.close();
        }
    }

    @Test
    void removedDatabaseIsStillReadableAsOfBeforeItsRemoval() {
        Database db = space.getDatabase("db");
        clock.advance(Duration.ofSeconds(1));
        db.write(tx -> {
            tx.setRootObject("x", "kept in history");
            return null;
        });
        Instant beforeRemoval = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        space.removeDatabase("db");

        assertThat(db.at(beforeRemoval).<Object>read(tx -> tx.getRootObject("x"))).isEqualTo("kept in history");
        assertThatThrownBy(() -> db.at(clock.instant())).isInstanceOf(DatabaseNotFoundException.class);
    }

    @Test
    void historicalViewIsReadOnlyAndPinned() {
        Database db = space.getDatabase("db");
        clock.advance(Duration.ofSeconds(1));
        db.write(tx -> {
            tx.setRootObject("x", 1);
            return null;
        });
        Database then = db.at(clock.instant());
        clock.advance(Duration.ofSeconds(1));
        db.write(tx -> {
            tx.setRootObject("x", 2);
            return null;
        });

        assertThat(then.<Object>read(tx -> tx.getRootObject("x"))).as("a view does not move").isEqualTo(1);
        Transaction tx = then.newTransaction();
        assertThat(tx.isReadOnly()).isTrue();
        assertThatThrownBy(() -> tx.setRootObject("x", 3))
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("historical");
        assertThatThrownBy(() -> then.write(t -> {
            t.setRootObject("x", 3);
            return null;
        })).isInstanceOf(TransactionStateException.class);
        assertThat(db.<Object>read(t -> t.getRootObject("x"))).isEqualTo(2);
    }

    @Test
    void commitTimesNeverGoBackwardsWhenTheClockDoes() {
        Database db = space.getDatabase("db");
        clock.advance(Duration.ofSeconds(10));
        db.write(tx -> {
            tx.setRootObject("x", 1);
            return null;
        });
        Instant first = db.lastCommitTime();
        clock.advance(Duration.ofSeconds(-5));
        db.write(tx -> {
            tx.setRootObject("x", 2);
            return null;
        });

        assertThat(db.lastCommitTime()).isEqualTo(first);
        assertThat(db.at(first).<Object>read(tx -> tx.getRootObject("x"))).isEqualTo(2);
    }

    /** A clock the test moves by hand. */
    static final class TestClock extends Clock {
        private final AtomicLong nanos;

        TestClock(Instant start) {
            nanos = new AtomicLong(start.getEpochSecond() * 1_000_000_000L + start.getNano());
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }

        @Override
        public Instant instant() {
            long n = nanos.get();
            return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
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

    /** Counts atom reads, to see how many versions a history lookup visits. */
    static final class CountingStorage extends ForwardingStorage {
        final AtomicLong reads = new AtomicLong();

        CountingStorage(SharedStorage delegate) {
            super(delegate);
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            reads.incrementAndGet();
            return super.read(pointer);
        }
    }
}
