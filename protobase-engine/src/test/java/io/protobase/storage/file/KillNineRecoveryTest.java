package io.protobase.storage.file;

import org.junit.jupiter.api.Tag;
import io.protobase.ObjectSpace;
import io.protobase.testing.ChildJvm;
import io.protobase.testing.ChildJvm.Acks;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a writing process with SIGKILL at random moments and checks that recovery keeps every
 * acknowledged commit. A child JVM ({@link CrashingWriterMain}) commits {@link Bank} transfers under
 * {@code fsync=commit} and prints the counter of each acknowledged commit; the parent kills it
 * ({@link Process#destroyForcibly()}) at a random point — once it holds the directory lock (while it
 * recovers the log the previous child left), just after the storage opened, or after a random
 * number of acknowledged commits (while the next one is in flight). The parent checks a copy of the
 * directory, as {@link PowerLossTest} does, so that the next child recovers the crashed log itself:
 * the counter is the last acknowledged value or one more, the total of the balances is conserved
 * and every balance is what replaying the child's seeded transfers gives. A kill counts as landing
 * in a commit when the commit it interrupted is recovered (its record was written, its
 * acknowledgement not printed) or bytes of it follow the last complete commit; some must.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "^Recovering ")
@Tag("slow")
class KillNineRecoveryTest {

    private static final int ROUNDS = 24;

    @TempDir
    Path work;

    @Test
    void everyAcknowledgedCommitSurvivesKillNineAtRandomMomentsAndTheTotalIsConserved() throws Exception {
        Path dir = work.resolve("store");
        Random rnd = new Random(20240917L);
        Bank.Snapshot recovered = Bank.Snapshot.EMPTY;
        int acknowledged = 0;
        int segments = 0;
        int inFlight = 0;
        int killedInRecovery = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Path stdout = work.resolve("child-" + round + ".out");
            Path stderr = work.resolve("child-" + round + ".err");
            long seed = rnd.nextLong();
            ChildJvm child = ChildJvm.start(stdout, stderr, "128m", CrashingWriterMain.class, dir.toString(),
                    Long.toString(seed));
            int moment = round % 6;
            int killAfter = 1 + rnd.nextInt(round % 2 == 0 ? 10 : 150);
            try {
                if (moment == 1) {
                    // once the child holds the directory: while it recovers the log the last one left
                    child.awaitOrDeath(Duration.ofSeconds(60), Duration.ofMillis(1),
                            () -> lockHolder(dir) == child.pid());
                } else if (moment == 2) {
                    child.awaitAcks(Duration.ofSeconds(60), Acks::ready);
                } else {
                    child.awaitAcks(Duration.ofSeconds(60), a -> a.count() >= killAfter);
                }
            } finally {
                child.kill();
            }
            assertThat(child.exitValue()).as("round %d: exit status; the writer should have been killed, stderr: %s",
                    round, Files.readString(stderr)).isEqualTo(128 + 9);
            Acks acks = child.acks();
            long lastAcked = Math.max(recovered.counter(), acks.last());
            acknowledged += acks.count();
            killedInRecovery += moment == 1 && round > 0 && !acks.ready() ? 1 : 0;
            segments = Math.max(segments, WalFiles.segments(dir).size());

            Path check = WalFiles.copyWithManifest(dir, work.resolve("check-" + round));
            boolean tornTail = holdsBytesAfterItsLastCommit(check);
            Bank.Snapshot state = reopen(check, round);
            WalFiles.deleteRecursively(check);
            assertThat(state.counter())
                    .as("round %d: counter after recovery (last acknowledged %d)", round, lastAcked)
                    .isBetween(lastAcked, lastAcked + 1);
            assertThat(state.total()).as("round %d: total of the balances", round)
                    .isEqualTo(state.counter() == 0 ? 0 : Bank.TOTAL);
            // the child's transfers follow from its seed: replay them on the state it started from
            Bank.Snapshot expected = recovered;
            Random replay = new Random(seed);
            while (expected.counter() < state.counter()) {
                expected = Bank.Transfer.random(replay, 0).applyTo(expected);
            }
            assertThat(state).as("round %d: recovered state", round).isEqualTo(expected);
            inFlight += state.counter() > lastAcked || tornTail ? 1 : 0;
            recovered = state;
        }
        assertThat(acknowledged).as("acknowledged commits over all rounds").isGreaterThan(ROUNDS);
        assertThat(segments).as("segment files, so that kills also hit rotations").isGreaterThan(1);
        assertThat(inFlight).as("kills that landed in a commit").isPositive();
        assertThat(killedInRecovery).as("kills while a child opened the log the previous one left").isPositive();
    }

    /** Whether the last segment of a crash image holds non-zero bytes after its last complete commit. */
    private static boolean holdsBytesAfterItsLastCommit(Path dir) {
        Path last = WalFiles.lastSegment(dir);
        byte[] bytes = WalFiles.read(last);
        long end = WalFiles.records(last).stream().filter(r -> WalFormat.carriesRoot(r.kind()))
                .mapToLong(WalFiles.Rec::end).max().orElse(bytes.length);
        for (long i = end; i < bytes.length; i++) {
            if (bytes[(int) i] != 0) {
                return true;
            }
        }
        return false;
    }

    /** The process id written into the directory's lock file by its last holder, or -1. */
    private static long lockHolder(Path dir) {
        try {
            String pid = Files.readString(dir.resolve(FileBlockProvider.LOCK_FILE), StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d+") ? Long.parseLong(pid) : -1;
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
