package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compactor counts live atoms from one run to the next instead of walking the retained versions: after
 * many runs between random commits (small and large values, removals, history views held and dropped,
 * history beyond its space bound dropped), what it counts equals what a space opened afresh on the same
 * files counts in its first run, and everything retained still reads.
 */
class CompactionLiveCountTest {

    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(T0);

    /**
     * @param liveFraction 0 for a space that only counts: no segment is less than 0 % live, so nothing is
     *                     rewritten and the current version stays the one the files hold
     */
    private ObjectSpace open(double liveFraction) {
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE).withSegmentSize(64 * 1024));
        return ObjectSpace.builder(storage).clock(clock).historyRetention(Duration.ofSeconds(10))
                .historyMaxSpaceRatio(0.5).compactionLiveFraction(liveFraction).compactionMinDeadBytes(0).build();
    }

    @Test
    void theCountKeptBetweenRunsEqualsAFreshCountOfTheSameFiles() {
        Random random = new Random(7);
        Map<Integer, Object> model = new HashMap<>();
        long counted;
        long released;
        long rewritten;
        try (ObjectSpace space = open(0.5)) {
            Database db = space.getDatabase("db");
            List<Database> views = new ArrayList<>();
            List<Map<Integer, Object>> viewModels = new ArrayList<>();
            for (int commit = 0; commit < 1500; commit++) {
                clock.advance(Duration.ofSeconds(1));
                int key = random.nextInt(300);
                Object value = switch (random.nextInt(5)) {
                    case 0 -> ("large " + commit + " ").repeat(400); // out of line
                    case 1 -> null;
                    default -> "v" + commit;
                };
                db.write(tx -> {
                    Dictionary d = tx.getRootObject("data", Dictionary.class);
                    d = d == null ? Dictionary.empty() : d;
                    tx.setRootObject("data", value == null ? d.removeAt(key) : d.setAt(key, value));
                    return null;
                });
                if (value == null) {
                    model.remove(key);
                } else {
                    model.put(key, value);
                }
                if (random.nextInt(40) == 0) {
                    views.add(db.at(clock.instant()));
                    viewModels.add(new HashMap<>(model));
                }
                if (views.size() > 2 && random.nextInt(20) == 0) {
                    views.remove(0);
                    viewModels.remove(0);
                }
                if (commit % 7 == 0) {
                    space.compact();
                    for (int v = 0; v < views.size(); v++) {
                        assertThat(contents(views.get(v))).as("history view %d after a run", v)
                                .isEqualTo(viewModels.get(v));
                    }
                }
            }
            space.compact();
            counted = space.statistics().liveBytes();
            released = space.statistics().compactionSegmentsReleased();
            rewritten = space.statistics().compactionBytesRewritten();
            assertThat(contents(db)).isEqualTo(model);
        }
        assertThat(released).as("segments released along the way").isGreaterThan(0);
        assertThat(rewritten).as("bytes rewritten along the way").isGreaterThan(0);
        try (ObjectSpace reopened = open(0)) {
            reopened.compact();
            assertThat(reopened.statistics().liveBytes()).as("the current version's bytes, counted afresh")
                    .isEqualTo(counted);
            assertThat(contents(reopened.getDatabase("db"))).isEqualTo(model);
        }
    }

    private static Map<Integer, Object> contents(Database db) {
        return db.read(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            Map<Integer, Object> m = new HashMap<>();
            if (d != null) {
                d.asMap().forEach((k, v) -> m.put((Integer) k, v));
            }
            return m;
        });
    }
}
