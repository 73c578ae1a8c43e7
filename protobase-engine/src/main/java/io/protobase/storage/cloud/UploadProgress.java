package io.protobase.storage.cloud;

import io.protobase.FencedException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Where the upload stands, and the monitor where the uploader and the threads waiting for it meet.
 * The <em>watermark</em> ({@code uploadedSegment:uploadedOffset}, commit {@code uploadedSequence})
 * is the end of the log the last published root object covers; everything after it is the
 * backlog. Committers wait here for a round to upload their commit ({@code sync}), for room in the
 * backlog, or for a garbage-collection pass; the uploader waits here for its interval or a wake-up,
 * counts its rounds and records their failures. Every field is guarded by this object's monitor
 * except {@code pendingSince}, which commits set without it.
 */
final class UploadProgress {

    private static final Logger LOG = LoggerFactory.getLogger(CloudFileStorage.class);

    /** What the uploader asks at the end of a successful round. */
    enum GcPass {
        /** The storage is closing: no pass. */
        NONE,
        /** A pass on schedule: orphans are listed only when their period is due. */
        SCHEDULED,
        /** {@link CloudFileStorage#collectGarbageNow()} asked for a full pass. */
        REQUESTED
    }

    /** The watermark a round starts from, and whether the previous round failed (then it probes). */
    record Watermark(long segment, long offset, long sequence, boolean probe) {
    }

    private final StandaloneFileStorage wal;
    private final WriterHealth health;
    private final CloudFileStorage.Options options;
    private final CloudBlockProvider provider;
    private final String storage;

    private long uploadedSegment;
    private long uploadedOffset;
    private long uploadedSequence;
    private long roundsStarted;
    private long roundsFinished;
    private boolean lastRoundFailed;
    private RuntimeException lastFailure;
    private boolean wake;
    private boolean stopping;
    /** A pass of {@link CloudFileStorage#collectGarbageNow()} was asked for. */
    private boolean gcRequested;
    /** {@link System#nanoTime()} of the oldest commit not yet uploaded, 0 when none. */
    private volatile long pendingSince;

    /**
     * Starts from the watermark of the root object this writer claimed; when the local log holds
     * more, the oldest pending commit counts from now.
     */
    UploadProgress(StandaloneFileStorage wal, WriterHealth health, CloudFileStorage.Options options,
            CloudBlockProvider provider, String storage, long segment, long offset, long sequence) {
        this.wal = wal;
        this.health = health;
        this.options = options;
        this.provider = provider;
        this.storage = storage;
        this.uploadedSegment = segment;
        this.uploadedOffset = offset;
        this.uploadedSequence = sequence;
        StandaloneFileStorage.LogPosition committed = wal.log().committedPosition();
        if (wal.sequence() > sequence || committed.segmentId() != segment || committed.end() != offset) {
            pendingSince = System.nanoTime();
        }
    }

    // ------------------------------------------------------------------ committers

    /** The failure of the last round while the bucket is known to be unreachable, else null. */
    synchronized RuntimeException unreachableBecause() {
        return lastRoundFailed ? lastFailure : null;
    }

    /** Notes that a commit is waiting to be uploaded, unless an older one already is. */
    void notePending() {
        if (pendingSince == 0) {
            pendingSince = System.nanoTime();
        }
    }

    /** Whether a segment lies entirely below the watermark. */
    synchronized boolean isUploaded(long segment) {
        return segment < uploadedSegment;
    }

    synchronized long uploadedSequence() {
        return uploadedSequence;
    }

    /** Bytes of committed log not yet in the bucket. */
    long backlogBytes() {
        StandaloneFileStorage.LogPosition target = wal.log().committedPosition();
        long segment;
        long offset;
        synchronized (this) {
            segment = uploadedSegment;
            offset = uploadedOffset;
        }
        long sum = 0;
        for (long id : wal.log().segmentIds()) {
            if (id < segment || id > target.segmentId()) {
                continue;
            }
            long from = id == segment ? offset : 0;
            long to = id < target.segmentId() ? wal.log().segmentLength(id) : target.end();
            if (to > from) {
                sum += to - from;
            }
        }
        return sum;
    }

    Duration oldestPendingAge() {
        long since = pendingSince;
        return since == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - since));
    }

    synchronized boolean isBucketReachable() {
        return !lastRoundFailed;
    }

    synchronized String lastRoundFailure() {
        return lastRoundFailed && lastFailure != null ? lastFailure.getMessage() : null;
    }

    /** Starts a round now rather than at the end of the upload interval. */
    synchronized void wakeUploader() {
        wake = true;
        notifyAll();
    }

    /**
     * Waits until the root object names commit {@code sequence}.
     *
     * @throws StorageUnavailableException when a round fails or none succeeds within the commit timeout
     * @throws FencedException when a newer writer took over
     */
    synchronized void awaitUploaded(long sequence) {
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        long round = roundsStarted + 1;
        wake = true;
        notifyAll();
        while (uploadedSequence < sequence) {
            health.ensureNotFenced();
            if (roundsFinished >= round && lastRoundFailed) {
                throw new StorageUnavailableException("Commit " + sequence + " is durable in the local log in "
                        + provider.walDirectory() + " but not in " + provider.store().describe() + " ("
                        + describeFailure() + "); it is uploaded as soon as the bucket is reachable, so its outcome "
                        + "is unknown until then", lastFailure);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new StorageUnavailableException("Commit " + sequence + " is durable in the local log but was "
                        + "not uploaded to " + provider.store().describe() + " within " + options.commitTimeout()
                        + "; it is uploaded in the background. Check the bucket's reachability or raise the commit "
                        + "timeout");
            }
            waitOn(left);
        }
    }

    /**
     * Returns once the backlog is within {@code max-backlog}.
     *
     * @throws StorageUnavailableException when it stays beyond for the commit timeout
     * @throws FencedException when a newer writer took over
     */
    void awaitBacklogRoom() {
        if (backlogBytes() <= options.maxBacklog()) {
            return;
        }
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        synchronized (this) {
            wake = true;
            notifyAll();
            while (backlogBytes() > options.maxBacklog()) {
                health.ensureNotFenced();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StorageUnavailableException("The upload backlog of " + backlogBytes() + " bytes "
                            + "exceeds max-backlog (" + options.maxBacklog() + ") of " + storage + " ("
                            + describeFailure() + "); nothing was written. Commits resume once uploads catch up");
                }
                waitOn(left);
            }
        }
    }

    /**
     * Asks for a full garbage-collection pass and waits for the round that runs it.
     *
     * @throws StorageUnavailableException when no round ends within the commit timeout
     * @throws FencedException when a newer writer took over
     */
    synchronized void awaitGarbageCollection() {
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        long round = roundsStarted + 1;
        gcRequested = true;
        wake = true;
        notifyAll();
        while (roundsFinished < round) {
            health.ensureNotFenced();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new StorageUnavailableException("No garbage-collection pass of " + storage + " ran within "
                        + options.commitTimeout() + " (" + describeFailure() + ")");
            }
            waitOn(left);
        }
    }

    /**
     * Marks the storage closed and tells the uploader to stop once everything is uploaded.
     *
     * @return false when it was closed already
     */
    synchronized boolean stop() {
        if (health.isClosed()) {
            return false;
        }
        health.markClosed();
        stopping = true;
        wake = true;
        notifyAll();
        return true;
    }

    synchronized String describeFailure() {
        RuntimeException f = lastFailure;
        return f == null ? "no upload error" : "last upload error: " + f.getMessage();
    }

    /** Waits on this monitor (the caller holds it). */
    private void waitOn(long nanos) {
        try {
            wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageUnavailableException("Interrupted while waiting for the upload to "
                    + provider.store().describe());
        }
    }

    // ------------------------------------------------------------------ uploader

    /**
     * Waits up to {@code waitMs} for a wake-up (not at all while stopping without back-off), then
     * counts a round as started.
     *
     * @return whether the storage is stopping
     */
    synchronized boolean startRound(long waitMs, boolean backingOff) {
        long until = System.nanoTime() + waitMs * 1_000_000;
        while (!wake && !(stopping && !backingOff)) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                stopping = true;
            }
        }
        wake = false;
        roundsStarted++;
        return stopping;
    }

    synchronized Watermark watermark() {
        return new Watermark(uploadedSegment, uploadedOffset, uploadedSequence, lastRoundFailed);
    }

    /** Moves the watermark to {@code target}, whose root object was just written. */
    synchronized void advance(StandaloneFileStorage.LogPosition target, long startedAt) {
        uploadedSegment = target.segmentId();
        uploadedOffset = target.end();
        uploadedSequence = target.sequence();
        StandaloneFileStorage.LogPosition now = wal.log().committedPosition();
        pendingSince = now.sequence() == target.sequence() && now.end() == target.end()
                && now.segmentId() == target.segmentId() ? 0 : startedAt;
        if (lastRoundFailed) {
            LOG.info("Uploads to {} resumed", provider.store().describe());
        }
    }

    synchronized void fenced(CloudFileStorage.Fencing how, FencedException e) {
        health.fenced(how, e);
        lastFailure = e;
    }

    /**
     * Records why a round failed.
     *
     * @return whether it is the first failure since the bucket was last reached
     */
    synchronized boolean failed(RuntimeException e) {
        boolean first = !lastRoundFailed;
        lastFailure = e;
        return first;
    }

    /** Which garbage-collection pass follows a successful round. */
    synchronized GcPass takeGcPass() {
        if (stopping) {
            return GcPass.NONE;
        }
        GcPass pass = gcRequested ? GcPass.REQUESTED : GcPass.SCHEDULED;
        gcRequested = false;
        return pass;
    }

    /**
     * Counts a round as finished and wakes its waiters.
     *
     * @return whether the uploader is done: fenced, or stopping with nothing left (or past its deadline)
     */
    synchronized boolean finishRound(boolean ok, long closeDeadline) {
        roundsFinished++;
        // a fenced round reached the bucket: it read the newer writer's root there
        lastRoundFailed = !ok && health.fence() == null;
        notifyAll();
        return health.fence() != null || (stopping && (ok ? nothingPending() : System.nanoTime() > closeDeadline));
    }

    private boolean nothingPending() {
        StandaloneFileStorage.LogPosition t = wal.log().committedPosition();
        return t.sequence() == uploadedSequence && t.segmentId() == uploadedSegment && t.end() == uploadedOffset;
    }
}
