package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link ObjectSpace.Builder#historyMaxSpaceRatio}: history is bounded in space as well as in time, so
 * that a store written to quickly stays in proportion to its live data; and the background compactor
 * runs when commits have written enough, not only at its interval.
 */
class HistorySpaceBoundTest {

    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    /** Long enough that time alone would keep every version of these tests. */
    private static final Duration RETENTION = Duration.ofDays(1);
    private static final int KEYS = 2_000;

    private final TestClock clock = new TestClock(T0);

    @TempDir
    Path dir;

    private static String value(int key, int round) {
        return "value of " + key + " in round " + round + " " + "x".repeat(200);
    }

    /** Loads {@link #KEYS} records of about 250 bytes: about 500 KB of live data. */
    private static void load(Database db) {
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int k = 0; k < KEYS; k++) {
                b.setAt(k, value(k, 0));
            }
            tx.setRootObject("items", b.build());
            return null;
        });
    }

    /** Rewrites every key once, one commit per ten keys; returns the instant of each commit. */
    private List<Instant> rewriteAll(Database db, int round) {
        List<Instant> instants = new ArrayList<>();
        for (int k = 0; k < KEYS; k += 10) {
            int first = k;
            clock.advance(Duration.ofMillis(1));
            db.write(tx -> {
                Dictionary items = tx.getRootObject("items", Dictionary.class);
                for (int i = first; i < first + 10; i++) {
                    items = items.setAt(i, value(i, round));
                }
                tx.setRootObject("items", items);
                return null;
            });
            instants.add(clock.instant());
        }
        return instants;
    }

    @Test
    void historyBeyondTheSpaceBoundIsDroppedAndItsSpaceReclaimedWhileRecentHistoryStaysReadable() {
        MemoryStorage storage = new MemoryStorage(64 * 1024);
        try (ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(RETENTION)
                .historyMaxSpaceRatio(0.5).build()) {
            Database db = space.getDatabase("db");
            load(db);
            List<Instant> early = rewriteAll(db, 1);
            for (int round = 2; round <= 20; round++) {
                rewriteAll(db, round);
                space.compact();
            }
            List<Instant> last = rewriteAll(db, 21);
            space.compact();
            space.compact();

            // twenty rounds rewrote the whole data (about 500 KB) many times over: time alone keeps all of it
            assertThat(storage.bytesPushed()).isGreaterThan(20L * 1024 * 1024);
            assertThat(storage.bytesStored()).as("bytes the memory storage still holds")
                    .isLessThan(6L * 1024 * 1024);
            Instant old = early.get(0);
            assertThatThrownBy(() -> db.at(old))
                    .isInstanceOf(HistoryExpiredException.class)
                    .hasMessageContaining("'db'")
                    .hasMessageContaining(old.toString())
                    .hasMessageContaining("0.5 times the space of the live data")
                    .hasMessageContaining("protobase.history.max-space-ratio");
            Instant recent = last.get(last.size() - 2);
            Database view = db.at(recent);
            Object changed = view.read(tx -> tx.getRootObject("items", Dictionary.class).getAt(KEYS - 11));
            Object notYet = view.read(tx -> tx.getRootObject("items", Dictionary.class).getAt(KEYS - 1));
            assertThat(changed).isEqualTo(value(KEYS - 11, 21));
            assertThat(notYet).as("a key the last commit changed, as it was before").isEqualTo(value(KEYS - 1, 20));
        }
    }

    @Test
    void withoutASpaceBoundTheTimeRetentionAloneKeepsEveryVersion() {
        MemoryStorage storage = new MemoryStorage(64 * 1024);
        try (ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(RETENTION)
                .historyMaxSpaceRatio(Double.POSITIVE_INFINITY).build()) {
            Database db = space.getDatabase("db");
            load(db);
            List<Instant> early = rewriteAll(db, 1);
            for (int round = 2; round <= 5; round++) {
                rewriteAll(db, round);
                space.compact();
            }

            Object first = db.at(early.get(0)).read(tx -> tx.getRootObject("items", Dictionary.class).getAt(0));
            assertThat(first).isEqualTo(value(0, 1));
            assertThat(space.historyMaxSpaceRatio()).isInfinite();
        }
    }

    @Test
    void theDefaultBoundIsHalfTheLiveData() {
        try (ObjectSpace defaults = new ObjectSpace(new MemoryStorage())) {
            assertThat(defaults.historyMaxSpaceRatio()).isEqualTo(0.5);
        }
    }

    @Test
    void aBoundThatIsNotPositiveIsRefused() {
        ObjectSpace.Builder builder = ObjectSpace.builder(new MemoryStorage());
        assertThatThrownBy(() -> builder.historyMaxSpaceRatio(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.0");
        assertThatThrownBy(() -> builder.historyMaxSpaceRatio(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A space whose background compactor's interval is a day away, after a load and twenty rounds of
     * rewriting every key: only commits and the compactor's own follow-up runs start runs.
     */
    private ObjectSpace afterTwentyRounds(MemoryStorage storage) {
        ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(RETENTION)
                .compactionInterval(Duration.ofDays(1)).build();
        Database db = space.getDatabase("db");
        load(db);
        for (int round = 1; round <= 20; round++) {
            rewriteAll(db, round);
        }
        return space;
    }

    @Test
    void theBackgroundCompactorRunsWhenCommitsHaveWrittenEnoughWithoutWaitingForItsInterval() {
        MemoryStorage storage = new MemoryStorage();
        try (ObjectSpace space = afterTwentyRounds(storage)) {
            Database db = space.getDatabase("db");

            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                assertThat(space.statistics().compactions()).isPositive();
                assertThat(space.statistics().compactionSegmentsReleased()).isPositive();
            });
            // segments were sealed at 1 MiB rather than the memory storage's 4 MiB, so they were released too
            assertThat(storage.bytesPushed()).isGreaterThan(20L * 1024 * 1024);
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                rewriteAll(db, 21);
                assertThat(storage.bytesStored()).isLessThan(8L * 1024 * 1024);
            });
        }
    }

    /** Reads every key of {@code view}; fails if any atom it needs is gone. */
    private static int readAll(Database view) {
        return view.read(tx -> {
            Dictionary d = tx.getRootObject("items", Dictionary.class);
            int n = 0;
            for (int k = 0; k < KEYS; k++) {
                if (d.getAt(k) != null) {
                    n++;
                }
            }
            return n;
        });
    }

    private ObjectSpace openFileSpace() {
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE).withSegmentSize(64 * 1024));
        return ObjectSpace.builder(storage).clock(clock).historyRetention(RETENTION).historyMaxSpaceRatio(0.5)
                .build();
    }

    @Test
    void aReopenedStoreStillRefusesTheHistoryDroppedBeforeAndNeverOffersAVersionItCannotRead() {
        List<Instant> all = new ArrayList<>();
        Set<Instant> expiredBefore = new HashSet<>();
        try (ObjectSpace space = openFileSpace()) {
            Database db = space.getDatabase("db");
            load(db);
            for (int round = 1; round <= 12; round++) {
                all.addAll(rewriteAll(db, round));
                space.compact();
            }
            space.compact();
            assertThat(space.statistics().compactionSegmentsReleased()).isPositive();
            for (Instant i : all) {
                try {
                    db.at(i);
                } catch (HistoryExpiredException e) {
                    expiredBefore.add(i);
                }
            }
        }
        assertThat(expiredBefore).isNotEmpty();

        try (ObjectSpace space = openFileSpace()) {
            Database db = space.getDatabase("db");
            for (Instant i : all) {
                Database view;
                try {
                    view = db.at(i);
                } catch (HistoryExpiredException e) {
                    continue;
                }
                assertThat(expiredBefore).as("a version dropped before the reopen is offered again").doesNotContain(i);
                assertThat(readAll(view)).as("the view of " + i).isEqualTo(KEYS);
            }
            space.compact();
            assertThat(readAll(db)).isEqualTo(KEYS);
        }
    }

    @Test
    void heldViewsTransactionsAndConcurrentReadersNeverMeetAReleasedAtomWhileHistoryIsDropped() throws Exception {
        MemoryStorage storage = new MemoryStorage(64 * 1024);
        try (ObjectSpace space = ObjectSpace.builder(storage).clock(clock).historyRetention(RETENTION)
                .historyMaxSpaceRatio(0.5).compactionMinDeadBytes(0).build()) {
            Database db = space.getDatabase("db");
            load(db);
            List<Instant> early = rewriteAll(db, 1);
            Database heldView = db.at(early.get(5));
            try (Transaction tx = db.newReadOnlyTransaction()) {
                List<Instant> all = new CopyOnWriteArrayList<>(early);
                AtomicBoolean stop = new AtomicBoolean();
                Map<String, Integer> failures = new ConcurrentHashMap<>();
                Thread reader = new Thread(() -> {
                    while (!stop.get()) {
                        Instant i = all.get(ThreadLocalRandom.current().nextInt(all.size()));
                        try {
                            readAll(db.at(i));
                        } catch (HistoryExpiredException e) {
                            // dropped: what the bound is for
                        } catch (RuntimeException e) {
                            failures.merge(e.toString(), 1, Integer::sum);
                        }
                    }
                });
                Thread compactor = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            space.compact();
                        } catch (RuntimeException e) {
                            failures.merge("compact: " + e, 1, Integer::sum);
                        }
                    }
                });
                reader.start();
                compactor.start();
                try {
                    for (int round = 2; round <= 15; round++) {
                        all.addAll(rewriteAll(db, round));
                    }
                } finally {
                    stop.set(true);
                    reader.join();
                    compactor.join();
                }
                space.compact();

                assertThat(failures).isEmpty();
                assertThat(space.statistics().compactionSegmentsReleased()).isPositive();
                assertThatThrownBy(() -> db.at(early.get(5))).isInstanceOf(HistoryExpiredException.class);
                assertThat(readAll(heldView)).isEqualTo(KEYS);
                Object seen = tx.getRootObject("items", Dictionary.class).getAt(KEYS - 1);
                assertThat(seen).isEqualTo(value(KEYS - 1, 1));
            }
        }
    }
}
