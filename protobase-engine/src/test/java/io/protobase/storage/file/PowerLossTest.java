package io.protobase.storage.file;

import org.junit.jupiter.api.Tag;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.storage.file.PowerLossFileAccess.Survival;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cuts the power at random moments while {@link Bank} transfers commit through a
 * {@link PowerLossFileAccess}, then restarts on what the disk holds: with {@code fsync=commit}
 * every acknowledged commit survives (the one in flight may or may not); with {@code fsync=none} or
 * {@code interval} the store still opens, at one of the committed states. Each trial chains several power cycles on
 * the same data, so a power loss can also strike while recovery repairs the previous one.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class,
        messages = {"^Recovering ", "/(NONE|INTERVAL|COMMIT)-(DROP_UNSYNCED|TORN_AND_REORDERED)-"})
@Tag("slow")
class PowerLossTest {

    private static final int TRIALS = 40;
    private static final int CYCLES = 3;
    private static final int COMMITS_PER_CYCLE = 12;
    private static final int MAX_NOTE = 6_000;

    @TempDir
    Path work;

    @ParameterizedTest
    @EnumSource(Survival.class)
    void everyCommitAcknowledgedUnderFsyncCommitSurvivesPowerLoss(Survival survival) {
        Stats stats = run(FsyncPolicy.COMMIT, survival);

        assertThat(stats.acknowledged).isGreaterThan(TRIALS);
        assertThat(stats.inFlightRecovered + stats.inFlightLost).as("power cut during a commit").isPositive();
        assertThat(stats.rotations).as("power cycles that saw a segment rotation").isPositive();
    }

    @ParameterizedTest
    @CsvSource({"NONE, DROP_UNSYNCED", "NONE, TORN_AND_REORDERED",
            "INTERVAL, DROP_UNSYNCED", "INTERVAL, TORN_AND_REORDERED"})
    void withoutFsyncOnCommitTheStoreStillOpensAtACommittedStateAfterPowerLoss(FsyncPolicy fsync, Survival survival) {
        Stats stats = run(fsync, survival);

        assertThat(stats.acknowledged).isGreaterThan(TRIALS);
        if (fsync == FsyncPolicy.NONE) {
            assertThat(stats.acknowledgedLost).as("power cycles that lost acknowledged commits").isPositive();
        }
    }

    /**
     * With {@code fsync=interval}, {@code close()} must make every commit durable, even when the
     * timer has just taken the unsynced segments to fsync them: close waits for it, and does not
     * interrupt it (an interrupt closes a {@code FileChannel} in the middle of its fsync).
     */
    @Test
    void closingWithFsyncIntervalWhileTheTimerIsSyncingLeavesEveryCommitDurable() throws Exception {
        PowerLossFileAccess access = new PowerLossFileAccess(new Random(3), Survival.DROP_UNSYNCED);
        AtomicBoolean armed = new AtomicBoolean();
        CountDownLatch timerInFsync = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        access.beforeForce(() -> {
            if (armed.get() && Thread.currentThread().getName().startsWith("protobase-fsync-")
                    && timerInFsync.getCount() > 0) {
                timerInFsync.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Path dir = work.resolve("interval");
        ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir, access),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.INTERVAL)
                        .withFsyncInterval(Duration.ofMillis(1))));
        Database db = space.getDatabase(Bank.DATABASE);
        Random rnd = new Random(3);
        for (int i = 0; i < 5; i++) {
            Bank.transfer(db, rnd);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !access.hasUnsyncedWrites());
        armed.set(true);
        long last = Bank.transfer(db, rnd);
        // the timer takes the segment the last commit wrote to and stops in its fsync
        assertThat(timerInFsync.await(30, TimeUnit.SECONDS)).isTrue();

        Thread closer = new Thread(space::close, "closer");
        closer.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> closer.getState() == Thread.State.WAITING
                || closer.getState() == Thread.State.TIMED_WAITING || closer.getState() == Thread.State.TERMINATED);
        release.countDown();
        closer.join();

        Path image = work.resolve("interval-image");
        access.writeImage(image);
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(image)))) {
            assertThat(Bank.read(reopened.getDatabase(Bank.DATABASE)).counter())
                    .as("the last commit before close, after a power loss").isEqualTo(last);
        }
    }

    private static final class Stats {
        int acknowledgedLost;
        int acknowledged;
        int inFlightRecovered;
        int inFlightLost;
        int rotations;
    }

    /** Runs {@link #TRIALS} chains of {@link #CYCLES} power cycles, each on the disk image the last one left. */
    private Stats run(FsyncPolicy fsync, Survival survival) {
        Stats stats = new Stats();
        for (int trial = 0; trial < TRIALS; trial++) {
            Random rnd = new Random(trial * 7919L + fsync.ordinal() * 31 + survival.ordinal());
            Path dir = work.resolve(fsync + "-" + survival + "-" + trial + "-0");
            Map<Long, Bank.Snapshot> model = new HashMap<>();
            model.put(0L, Bank.Snapshot.EMPTY);
            long current = 0;
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                Path next = work.resolve(fsync + "-" + survival + "-" + trial + "-" + cycle);
                Cycle c = commitUntilPowerLoss(dir, next, fsync, survival, rnd, model, current, stats);
                String context = String.format("trial %d cycle %d (fsync=%s, %s): acknowledged %d, in flight %s",
                        trial, cycle, fsync, survival, c.acknowledged, c.inFlight);
                long recovered = restartAndCheck(next, fsync, c, model, stats, context);
                WalFiles.deleteRecursively(dir);
                model.keySet().removeIf(k -> k > recovered);
                current = recovered;
                dir = next;
            }
            WalFiles.deleteRecursively(dir);
        }
        return stats;
    }

    /** What a power cycle acknowledged: the last acknowledged counter; whether a commit was in flight at the loss. */
    private record Cycle(long acknowledged, boolean inFlight) {
    }

    /**
     * Opens {@code dir} through a {@link PowerLossFileAccess} set to cut the power after a random
     * number of file operations, commits transfers (recording each one's expected state in
     * {@code model}) until the power is lost or {@link #COMMITS_PER_CYCLE} are done (then cuts it),
     * and writes the disk image into {@code next}.
     */
    private static Cycle commitUntilPowerLoss(Path dir, Path next, FsyncPolicy fsync, Survival survival, Random rnd,
            Map<Long, Bank.Snapshot> model, long current, Stats stats) {
        PowerLossFileAccess access = new PowerLossFileAccess(new Random(rnd.nextLong()), survival);
        access.losePowerAfter(1 + rnd.nextInt(COMMITS_PER_CYCLE * 3 + 6));
        int segmentsBefore = dir.toFile().exists() ? WalFiles.segments(dir).size() : 1;
        long acknowledged = current;
        boolean inFlight = false;
        StandaloneFileStorage storage = null;
        try {
            storage = new StandaloneFileStorage(new FileBlockProvider(dir, access), StandaloneFileStorage.Options
                    .defaults().withFsync(fsync).withFsyncInterval(Duration.ofMillis(2)).withSegmentSize(64 * 1024));
            Database db = new ObjectSpace(storage).getDatabase(Bank.DATABASE);
            for (int i = 0; i < COMMITS_PER_CYCLE && !access.lostPower(); i++) {
                Bank.Transfer t = Bank.Transfer.random(rnd, MAX_NOTE);
                model.put(acknowledged + 1, t.applyTo(model.get(acknowledged)));
                inFlight = true;
                acknowledged = t.commit(db);
                inFlight = false;
                stats.acknowledged++;
            }
        } catch (ProtoBaseException e) {
            assertThat(access.lostPower()).as("failure without a power loss: %s", e).isTrue();
        } finally {
            access.powerLoss();
            if (storage != null) {
                storage.close(); // fails to flush: the power is off
            }
        }
        access.writeImage(next);
        if (WalFiles.segments(next).size() > segmentsBefore) {
            stats.rotations++;
        }
        return new Cycle(acknowledged, inFlight);
    }

    /**
     * Restarts on a copy of the image with the platform file system (the next cycle recovers the
     * image itself, under fault injection), checks the recovered state, and returns its counter.
     */
    private long restartAndCheck(Path image, FsyncPolicy fsync, Cycle c, Map<Long, Bank.Snapshot> model, Stats stats,
            String context) {
        Path check = WalFiles.copyWithManifest(image, work.resolve("check"));
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(check)))) {
            Bank.Snapshot state = Bank.read(reopened.getDatabase(Bank.DATABASE));
            long recovered = state.counter();
            long inFlight = c.inFlight ? 1 : 0;
            if (fsync == FsyncPolicy.COMMIT) {
                assertThat(recovered).as(context).isBetween(c.acknowledged, c.acknowledged + inFlight);
                if (c.inFlight) {
                    stats.inFlightRecovered += recovered > c.acknowledged ? 1 : 0;
                    stats.inFlightLost += recovered > c.acknowledged ? 0 : 1;
                }
            } else {
                assertThat(recovered).as(context).isBetween(0L, c.acknowledged + inFlight);
                stats.acknowledgedLost += recovered < c.acknowledged ? 1 : 0;
            }
            assertThat(state).as(context).isEqualTo(model.get(recovered));
            return recovered;
        } catch (ProtoBaseException e) {
            throw new AssertionError(context + ": restarting after the power loss failed: " + e, e);
        } finally {
            WalFiles.deleteRecursively(check);
        }
    }
}
