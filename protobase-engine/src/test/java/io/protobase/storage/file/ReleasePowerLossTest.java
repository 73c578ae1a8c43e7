package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.storage.file.PowerLossFileAccess.Survival;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cuts the power at random moments while {@link Bank} transfers commit and compaction rewrites and
 * releases segments, through a {@link PowerLossFileAccess}, then restarts on what the disk holds:
 * every commit acknowledged under {@code fsync=commit} survives wherever the power was cut in a
 * release (the append to the release log, its fsync, the directory entry of a new release log,
 * the deletion of the files), and once the store is open no file of a released segment is left.
 * Each trial chains several power cycles on the same data, so the power can also be cut while
 * recovery finishes a release the previous cycle interrupted.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = {"^Recovering ", "/COMPACT-"})
@Tag("slow")
class ReleasePowerLossTest {

    private static final int TRIALS = 30;
    private static final int CYCLES = 3;
    private static final int COMMITS_PER_CYCLE = 16;
    private static final int MAX_NOTE = 6_000;

    @TempDir
    Path work;

    private int acknowledged;
    private int lossesInARelease;
    private int releases;

    @ParameterizedTest
    @EnumSource(Survival.class)
    void everyAcknowledgedCommitSurvivesAPowerLossInTheMiddleOfARelease(Survival survival) {
        for (int trial = 0; trial < TRIALS; trial++) {
            Random rnd = new Random(trial * 7919L + survival.ordinal());
            Path dir = work.resolve("COMPACT-" + survival + "-" + trial + "-0");
            Map<Long, Bank.Snapshot> model = new HashMap<>();
            model.put(0L, Bank.Snapshot.EMPTY);
            long current = 0;
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                Path next = work.resolve("COMPACT-" + survival + "-" + trial + "-" + cycle);
                long[] cycleResult = commitAndCompactUntilPowerLoss(dir, next, survival, rnd, model, current);
                String context = String.format("trial %d cycle %d (%s): acknowledged %d, in flight %d",
                        trial, cycle, survival, cycleResult[0], cycleResult[1]);
                current = restartAndCheck(next, cycleResult[0], cycleResult[1], model, context);
                WalFiles.deleteRecursively(dir);
                long recovered = current;
                model.keySet().removeIf(k -> k > recovered);
                dir = next;
            }
            WalFiles.deleteRecursively(dir);
        }
        assertThat(acknowledged).isGreaterThan(TRIALS);
        assertThat(releases).as("releases that completed").isPositive();
        assertThat(lossesInARelease).as("power cuts while a release was recorded").isPositive();
    }

    /**
     * Opens {@code dir} through a {@link PowerLossFileAccess} set to cut the power after a random
     * number of file operations, commits transfers and compacts after every other one until the
     * power is lost or {@link #COMMITS_PER_CYCLE} are done, and writes the disk image into
     * {@code next}; returns the last acknowledged counter and 1 when a commit was in flight.
     */
    private long[] commitAndCompactUntilPowerLoss(Path dir, Path next, Survival survival, Random rnd,
            Map<Long, Bank.Snapshot> model, long current) {
        PowerLossFileAccess access = new PowerLossFileAccess(new Random(rnd.nextLong()), survival);
        access.losePowerAfter(1 + rnd.nextInt(COMMITS_PER_CYCLE * 6));
        long acked = current;
        boolean inFlight = false;
        ObjectSpace space = null;
        try {
            StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir, access),
                    StandaloneFileStorage.Options.defaults().withSegmentSize(64 * 1024));
            space = ObjectSpace.builder(storage).historyRetention(Duration.ZERO).compactionMinDeadBytes(0).build();
            Database db = space.getDatabase(Bank.DATABASE);
            for (int i = 0; i < COMMITS_PER_CYCLE && !access.lostPower(); i++) {
                Bank.Transfer t = Bank.Transfer.random(rnd, MAX_NOTE);
                model.put(acked + 1, t.applyTo(model.get(acked)));
                inFlight = true;
                acked = t.commit(db);
                inFlight = false;
                acknowledged++;
                if (i % 2 == 1) {
                    releases += space.compact().segmentsReleased() > 0 ? 1 : 0;
                }
            }
        } catch (ProtoBaseException e) {
            assertThat(access.lostPower()).as("failure without a power loss: %s", e).isTrue();
            lossesInARelease += thrownBy(e, ReleaseLog.class) ? 1 : 0;
        } finally {
            access.powerLoss();
            if (space != null) {
                space.close(); // fails to flush: the power is off
            }
        }
        access.writeImage(next);
        return new long[] {acked, inFlight ? 1 : 0};
    }

    private static boolean thrownBy(Throwable e, Class<?> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals(type.getName()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Restarts on a copy of the image with the platform file system (the next cycle recovers the
     * image itself, under fault injection), checks the recovered state and that no released
     * segment's file is left, and returns the recovered counter.
     */
    private long restartAndCheck(Path image, long acked, long inFlight, Map<Long, Bank.Snapshot> model,
            String context) {
        Path check = WalFiles.copyWithManifest(image, work.resolve("check"));
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(check)))) {
            Bank.Snapshot state = Bank.read(reopened.getDatabase(Bank.DATABASE));
            assertThat(state.counter()).as(context).isBetween(acked, acked + inFlight);
            assertThat(state).as(context).isEqualTo(model.get(state.counter()));
            Set<Long> released = releasedIds(check);
            assertThat(WalFiles.segments(check)).as(context + ": files of released segments")
                    .noneMatch(p -> released.contains(WalFiles.segmentId(p)));
            return state.counter();
        } catch (ProtoBaseException e) {
            throw new AssertionError(context + ": restarting after the power loss failed: " + e, e);
        } finally {
            WalFiles.deleteRecursively(check);
        }
    }

    private static Set<Long> releasedIds(Path dir) {
        try {
            ReleaseLog log = ReleaseLog.read(new FileBlockProvider(dir));
            try {
                return Set.copyOf(log.ids());
            } finally {
                log.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
