package io.protobase.storage.file;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The background fsync of {@link FsyncPolicy#INTERVAL}: a daemon thread fsyncs every segment with
 * unsynced bytes at a fixed delay, so a crash loses at most about one interval of commits. A failed
 * fsync poisons the storage (through the {@link LogWriter}) and is logged; commits then fail.
 */
final class IntervalFsync {

    /** Logs under the façade's name: users configure, and tests expect, one logger for the file storage. */
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFileStorage.class);

    private final Path directory;
    private final LogWriter writer;
    private final LogHealth health;
    private final ScheduledExecutorService timer;

    /** Starts fsyncing {@code writer}'s segments every {@code interval}. */
    IntervalFsync(Path directory, Duration interval, LogWriter writer, LogHealth health) {
        this.directory = directory;
        this.writer = writer;
        this.health = health;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "protobase-fsync-" + directory.getFileName());
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        timer.scheduleWithFixedDelay(this::syncQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void syncQuietly() {
        try {
            if (!health.isClosed() && health.poisoned() == null) {
                writer.forceUnsynced();
            }
        } catch (RuntimeException e) {
            LOG.error("Periodic fsync of {} failed: {}", directory, e.toString());
        }
    }

    /** Stops the thread after the fsync in progress, if any, has finished. */
    void stop() {
        // Not shutdownNow(): interrupting the timer in an fsync closes the channel under it, and
        // the segments it took from the unsynced set would then never be forced.
        timer.shutdown();
        try {
            if (!timer.awaitTermination(1, TimeUnit.MINUTES)) {
                LOG.warn("The periodic fsync of {} did not finish within a minute of close", directory);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
