package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's dictionary workload ({@code SmokeTest}) on file storage with a close and reopen
 * between steps: random insertions, replacements and removals, some values larger than a segment
 * or than the write buffer, compared with a {@link TreeMap} in the session that wrote them and
 * again after reopening, under every fsync policy and with small segments so the log rotates.
 */
class FileStorageDictionaryModelTest {

    private static final int ROUNDS = 20;

    @TempDir
    Path dir;

    @Test
    void dictionaryMatchesTreeMapAcrossCommitsAndReopens() {
        TreeMap<Integer, String> model = new TreeMap<>();
        Random rnd = new Random(1);
        for (int round = 0; round < ROUNDS; round++) {
            FsyncPolicy fsync = FsyncPolicy.values()[round % FsyncPolicy.values().length];
            try (ObjectSpace space = open(fsync)) {
                Database db = space.getDatabase("db");
                assertMatches(db, model, "round " + round + " after reopen");
                for (int commit = 0; commit < 3; commit++) {
                    int r = round;
                    db.write(tx -> {
                        Dictionary d = tx.getRootObject("d", Dictionary.class);
                        Dictionary.Builder b = (d == null ? Dictionary.empty() : d).toBuilder();
                        for (int i = 0; i < 150; i++) {
                            int k = rnd.nextInt(3000);
                            if (rnd.nextInt(3) == 0) {
                                b.removeAt(k);
                                model.remove(k);
                            } else {
                                String v = value(rnd, r, i);
                                b.setAt(k, v);
                                model.put(k, v);
                            }
                        }
                        tx.setRootObject("d", b.build());
                        return null;
                    });
                    assertMatches(db, model, "round " + round + " commit " + commit);
                }
            }
        }
        assertThat(WalFiles.segments(dir)).hasSizeGreaterThan(3);
    }

    /** Short values, but in a few rounds one larger than a segment, and once one larger than the 1 MiB write buffer. */
    private static String value(Random rnd, int round, int i) {
        if (i == 0 && round == 7) {
            return "huge-" + "h".repeat((1 << 20) + 4096);
        }
        if (i == 0 && round % 5 == 3) {
            return "large-" + "l".repeat(300 * 1024 + rnd.nextInt(1000));
        }
        return "v" + round + "-" + i;
    }

    /** Compares every entry (by iteration, in order) and, by lookup, every 16th key and some absent ones. */
    private static void assertMatches(Database db, TreeMap<Integer, String> model, String when) {
        Dictionary d = db.read(tx -> tx.getRootObject("d", Dictionary.class));
        if (model.isEmpty() && d == null) {
            return;
        }
        assertThat(d.count()).as(when).isEqualTo(model.size());
        Map<Object, Object> stored = new LinkedHashMap<>();
        d.forEach(e -> stored.put(((Number) e.getKey()).intValue(), e.getValue()));
        assertThat(stored).as(when).containsExactlyEntriesOf(model);
        for (int k = 0; k < 3000; k += 16) {
            assertThat(d.getAt(k)).as(when + ", key " + k).isEqualTo(model.get(k));
        }
    }

    private ObjectSpace open(FsyncPolicy fsync) {
        return new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(fsync).withFsyncInterval(Duration.ofMillis(5))
                        .withSegmentSize(256 * 1024)));
    }
}
