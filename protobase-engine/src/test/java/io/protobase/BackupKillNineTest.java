package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.testing.ChildJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup killed with SIGKILL ({@link Process#destroyForcibly()}) at any moment leaves either no
 * backup at the target or a complete one, never a directory that looks like a backup and is not.
 * The child ({@link BackupCrashMain}) backs up a memory space of {@value #ENTRIES} entries; the
 * parent kills it once the hidden partial directory holds a random number of bytes, or after it
 * reports the backup done.
 */
@Tag("slow")
class BackupKillNineTest {

    private static final int ENTRIES = 200_000;
    private static final int ROUNDS = 5;

    @TempDir
    Path work;

    @Test
    void aBackupKilledAtAnyMomentLeavesNoBackupOrACompleteOne() throws Exception {
        Random rnd = new Random(13);
        int incomplete = 0;
        int complete = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Path target = work.resolve("backup-" + round);
            Path stdout = work.resolve("child-" + round + ".out");
            ChildJvm child = ChildJvm.start(stdout, work.resolve("child-" + round + ".err"), "256m",
                    BackupCrashMain.class, target.toString(), Integer.toString(ENTRIES));
            try {
                if (round == ROUNDS - 1) {
                    child.awaitOrDeath(Duration.ofSeconds(120), Duration.ofMillis(5),
                            () -> child.output().contains("done"));
                } else {
                    long bytes = rnd.nextInt(3 * 1024 * 1024);
                    child.awaitOrDeath(Duration.ofSeconds(120), Duration.ofMillis(1),
                            () -> partialBytes(target) >= bytes || Files.exists(target));
                }
            } finally {
                child.kill();
            }
            assertThat(child.exitValue()).as("round %d: the child was killed, not ended", round).isNotZero();

            if (Files.exists(target)) {
                complete++;
                assertCompleteBackup(target);
            } else {
                incomplete++;
            }
        }
        assertThat(incomplete).as("kills that landed while the backup was being written").isPositive();
        assertThat(complete).as("kills after the backup was complete").isPositive();
    }

    /** Bytes in the hidden directory a running backup writes into ({@code .<name>.backup-*.partial}). */
    private static long partialBytes(Path target) throws IOException {
        String prefix = "." + target.getFileName() + ".backup-";
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            return siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).mapToLong(dir -> {
                try (Stream<Path> files = Files.list(dir)) {
                    return files.mapToLong(f -> f.toFile().length()).sum();
                } catch (IOException e) {
                    return 0; // deleted meanwhile
                }
            }).sum();
        } catch (UncheckedIOException e) {
            return 0;
        }
    }

    private static void assertCompleteBackup(Path target) {
        try (ObjectSpace restored = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(target)))) {
            restored.getDatabase("db").read(tx -> {
                Dictionary data = tx.getRootObject("data", Dictionary.class);
                assertThat(data).as("the directory at %s is a complete backup", target).isNotNull();
                assertThat(data.count()).isEqualTo(ENTRIES);
                for (int i = 0; i < ENTRIES; i += 997) {
                    assertThat(data.getAt(i)).isEqualTo("value-" + i);
                }
                assertThat(data.getAt(ENTRIES - 1)).isEqualTo("value-" + (ENTRIES - 1));
                return null;
            });
        }
    }
}
