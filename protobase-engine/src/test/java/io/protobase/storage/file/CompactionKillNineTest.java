package io.protobase.storage.file;

import io.protobase.ObjectSpace;
import io.protobase.testing.ChildJvm;
import io.protobase.testing.ChildJvm.Acks;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a process that commits and compacts at the same time with SIGKILL at random moments, and
 * checks that compaction never costs an acknowledged commit: a child JVM
 * ({@link CompactingWriterMain}) commits {@link Bank} transfers under {@code fsync=commit} while
 * another thread compacts in a loop with no history retained, so segments are rewritten and
 * released all the time; the parent kills it ({@link Process#destroyForcibly()}) after a random
 * number of acknowledged commits, or just after it opened the log the previous child left. The
 * parent reopens a copy of the directory: the counter is the last acknowledged value or one more,
 * every balance is what replaying the child's seeded transfers gives (so every segment the current
 * version needs is still there), and no file of a released segment is left once the copy is open.
 * The next child then recovers the crashed directory itself.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "^Recovering ")
@Tag("slow")
class CompactionKillNineTest {

    private static final int ROUNDS = 24;

    @TempDir
    Path work;

    @Test
    void everyAcknowledgedCommitSurvivesKillNineWhileCompactionReleasesSegments() throws Exception {
        Path dir = work.resolve("store");
        Random rnd = new Random(20261203L);
        Bank.Snapshot recovered = Bank.Snapshot.EMPTY;
        int acknowledged = 0;
        int releasedFilesLeftByAKill = 0;
        Set<Long> released = Set.of();
        for (int round = 0; round < ROUNDS; round++) {
            Path stdout = work.resolve("child-" + round + ".out");
            Path stderr = work.resolve("child-" + round + ".err");
            long seed = rnd.nextLong();
            ChildJvm child = ChildJvm.start(stdout, stderr, "128m", CompactingWriterMain.class, dir.toString(),
                    Long.toString(seed));
            int killAfter = round % 4 == 3 ? 0 : 1 + rnd.nextInt(round % 2 == 0 ? 40 : 400);
            try {
                child.awaitAcks(Duration.ofSeconds(60), a -> a.ready() && a.count() >= killAfter);
            } finally {
                child.kill();
            }
            assertThat(child.exitValue()).as("round %d: exit status; the writer should have been killed, stderr: %s",
                    round, Files.readString(stderr)).isEqualTo(128 + 9);
            Acks acks = child.acks();
            long lastAcked = Math.max(recovered.counter(), acks.last());
            acknowledged += acks.count();

            Path check = WalFiles.copyWithManifest(dir, work.resolve("check-" + round));
            Set<Long> releasedNow = releasedIds(check);
            released = releasedNow;
            releasedFilesLeftByAKill += WalFiles.segments(check).stream()
                    .anyMatch(p -> releasedNow.contains(WalFiles.segmentId(p))) ? 1 : 0;
            Bank.Snapshot state = reopen(check, round);
            assertThat(WalFiles.segments(check)).as("round %d: files of released segments after the open", round)
                    .noneMatch(p -> releasedNow.contains(WalFiles.segmentId(p)));
            WalFiles.deleteRecursively(check);
            assertThat(state.counter())
                    .as("round %d: counter after recovery (last acknowledged %d)", round, lastAcked)
                    .isBetween(lastAcked, lastAcked + 1);
            assertThat(state.total()).as("round %d: total of the balances", round)
                    .isEqualTo(state.counter() == 0 ? 0 : Bank.TOTAL);
            Bank.Snapshot expected = recovered;
            Random replay = new Random(seed);
            while (expected.counter() < state.counter()) {
                expected = Bank.Transfer.random(replay, CompactingWriterMain.MAX_NOTE).applyTo(expected);
            }
            assertThat(state).as("round %d: recovered state", round).isEqualTo(expected);
            recovered = state;
        }
        assertThat(acknowledged).as("acknowledged commits over all rounds").isGreaterThan(ROUNDS);
        assertThat(released).as("segments compaction released over all rounds").hasSizeGreaterThan(ROUNDS);
        System.out.println("CompactionKillNineTest: " + acknowledged + " acknowledged commits, " + released.size()
                + " segments released, " + releasedFilesLeftByAKill + " kills left files of released segments");
    }

    private static Set<Long> releasedIds(Path dir) throws IOException {
        ReleaseLog log = ReleaseLog.read(new FileBlockProvider(dir));
        try {
            return Set.copyOf(log.ids());
        } finally {
            log.close();
        }
    }

    private static Bank.Snapshot reopen(Path dir, int round) {
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            return Bank.read(space.getDatabase(Bank.DATABASE));
        } catch (RuntimeException e) {
            throw new AssertionError("round " + round + ": reopening " + dir + " after kill -9 threw " + e, e);
        }
    }
}
