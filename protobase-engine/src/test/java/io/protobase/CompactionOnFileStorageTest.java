package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static io.protobase.DataRoot.contents;
import static io.protobase.DataRoot.large;
import static io.protobase.DataRoot.put;

/**
 * {@link ObjectSpace#compact()} on the file storage: the released segment files leave the
 * directory, and everything retained (the current version, history views within the retention)
 * reads the same, also after the storage is reopened.
 */
class CompactionOnFileStorageTest {

    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    /** The smallest segments the file storage takes, so that a few commits fill several. */
    private static final long SEGMENT_SIZE = 64 * 1024;

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(T0);

    private ObjectSpace open(Duration retention) {
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE).withSegmentSize(SEGMENT_SIZE));
        return ObjectSpace.builder(storage).clock(clock).historyRetention(retention).cacheBytes(1)
                .compactionMinDeadBytes(0).build();
    }

    private static void putAll(Database db, IntStream keys, java.util.function.IntFunction<Object> value) {
        int[] ks = keys.toArray();
        db.write(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            Dictionary.Builder b = (d == null ? Dictionary.empty() : d).toBuilder();
            for (int k : ks) {
                b.setAt(k, value.apply(k));
            }
            tx.setRootObject("data", b.build());
            return null;
        });
    }

    private List<String> segmentFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pbl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long segmentBytes() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pbl")).mapToLong(p -> p.toFile().length())
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void compactionRewritesSparseSegmentsDeletesTheirFilesAndAReopenReadsEverything() {
        Map<Object, Object> expected;
        List<String> deleted;
        try (ObjectSpace space = open(Duration.ZERO)) {
            Database db = space.getDatabase("db");
            for (int batch = 0; batch < 20; batch++) {
                putAll(db, IntStream.range(batch * 100, batch * 100 + 100), k -> "first " + k + " ".repeat(40));
            }
            for (int batch = 0; batch < 20; batch += 2) {
                putAll(db, IntStream.range(batch * 100, batch * 100 + 100), k -> "second " + k);
            }
            expected = contents(db);
            List<String> before = segmentFiles();
            long bytesBefore = segmentBytes();

            CompactionResult result = space.compact();

            assertThat(result.atomsRewritten()).isPositive();
            assertThat(result.segmentsReleased()).isPositive();
            List<String> after = segmentFiles();
            assertThat(after).as("released files are gone").hasSizeLessThan(before.size());
            deleted = before.stream().filter(n -> !after.contains(n)).toList();
            assertThat(segmentBytes()).as("disk space given back").isLessThan(bytesBefore);
            assertThat(contents(db)).isEqualTo(expected).hasSize(2000);
        }
        try (ObjectSpace reopened = open(Duration.ZERO)) {
            assertThat(contents(reopened.getDatabase("db"))).isEqualTo(expected);
            assertThat(segmentFiles()).as("nothing released reappears").doesNotContainAnyElementsOf(deleted);
        }
    }

    @Test
    void historyViewsWithinTheRetentionStayReadableAcrossCompactionsAndAReopen() {
        Duration retention = Duration.ofMinutes(2);
        Instant[] written = new Instant[30];
        try (ObjectSpace space = open(retention)) {
            Database db = space.getDatabase("db");
            put(db, "k", large(-1));
            Database view = db.at(clock.instant());
            clock.advance(Duration.ofMinutes(1));
            long released = 0;
            for (int i = 0; i < 30; i++) {
                put(db, "k", large(i));
                written[i] = clock.instant();
                clock.advance(Duration.ofSeconds(10));
                released += space.compact().segmentsReleased();
            }
            assertThat(released).as("versions that left the retention released").isPositive();
            for (int j = 20; j < 30; j++) {
                assertThat(contents(db.at(written[j]))).as("version %d", j).containsExactly(Map.entry("k", large(j)));
            }
            assertThat(contents(view)).as("an open view keeps its version").containsExactly(Map.entry("k", large(-1)));
        }
        try (ObjectSpace reopened = open(retention)) {
            Database db = reopened.getDatabase("db");
            reopened.compact();
            for (int j = 20; j < 30; j++) {
                assertThat(contents(db.at(written[j]))).as("version %d after reopen", j)
                        .containsExactly(Map.entry("k", large(j)));
            }
            assertThat(contents(db)).containsExactly(Map.entry("k", large(29)));
        }
    }

    @Test
    void versionsThatLeftTheRetentionHaveTheirFilesDeletedByALaterCompaction() {
        try (ObjectSpace space = open(Duration.ofMinutes(10))) {
            Database db = space.getDatabase("db");
            for (int i = 0; i < 30; i++) {
                put(db, "k", large(i));
            }
            space.compact();
            long held = segmentBytes();
            clock.advance(Duration.ofMinutes(11));

            space.compact();

            assertThat(segmentBytes()).isLessThan(held / 2);
            assertThat(contents(db)).containsExactly(Map.entry("k", large(29)));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aDictionaryUnderRandomEditsCompactionsAndReopensEqualsItsModel(long seed) {
        Random random = new Random(seed);
        TreeMap<Integer, Object> model = new TreeMap<>();
        ObjectSpace space = open(Duration.ZERO);
        try {
            long released = 0;
            for (int step = 0; step < 200; step++) {
                int op = random.nextInt(100);
                if (op < 75) {
                    Map<Integer, Object> edits = new TreeMap<>();
                    for (int i = random.nextInt(5); i >= 0; i--) {
                        int key = random.nextInt(300);
                        int kind = random.nextInt(20);
                        edits.put(key, kind < 4 ? null : kind < 6 ? large(random.nextInt())
                                : ("medium " + random.nextInt() + " ").repeat(80));
                    }
                    space.getDatabase("db").write(tx -> {
                        Dictionary d = tx.getRootObject("data", Dictionary.class);
                        d = d == null ? Dictionary.empty() : d;
                        for (Map.Entry<Integer, Object> e : edits.entrySet()) {
                            d = e.getValue() == null ? d.removeAt(e.getKey()) : d.setAt(e.getKey(), e.getValue());
                        }
                        tx.setRootObject("data", d);
                        return null;
                    });
                    edits.forEach((k, v) -> {
                        if (v == null) {
                            model.remove(k);
                        } else {
                            model.put(k, v);
                        }
                    });
                } else if (op < 92) {
                    released += space.compact().segmentsReleased();
                } else {
                    space.close();
                    space = open(Duration.ZERO);
                }
                if (step % 25 == 0) {
                    assertThat(contents(space.getDatabase("db"))).as("step %d", step).isEqualTo(model);
                }
            }
            released += space.compact().segmentsReleased();
            assertThat(released).as("segments released").isPositive();
            assertThat(contents(space.getDatabase("db"))).isEqualTo(model);
        } finally {
            space.close();
        }
        try (ObjectSpace reopened = open(Duration.ZERO)) {
            assertThat(contents(reopened.getDatabase("db"))).as("reopened").isEqualTo(model);
        }
    }
}
