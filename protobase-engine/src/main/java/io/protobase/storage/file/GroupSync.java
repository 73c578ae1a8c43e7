package io.protobase.storage.file;

import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.file.StandaloneFileStorage.LogPosition;

import java.nio.file.Path;

/**
 * Group commit: makes appended root updates durable with as few fsyncs as possible, and publishes
 * the newest durable root as the storage's visible root.
 *
 * <p>At most one thread at a time holds the <em>sync token</em>. A committer
 * waiting for its update either finds that another thread's fsync already covered it, or takes the
 * token, takes from the {@link LogWriter} the segments not yet fsynced together with the newest
 * root appended ({@link LogWriter#takeSyncBatch()}), fsyncs them outside every lock and publishes
 * that root. One fsync thus covers every update appended before it started, and while one batch
 * waits for the disk the next one is appended (the pipelined
 * {@link io.protobase.storage.SharedStorage#compareAndSetRootPipelined}). A clean close takes the
 * token too and acts as the last syncer.
 *
 * <p>The token, the durable sequence number and the published root are guarded by this object's
 * monitor, which is never held while the writer's is taken or during I/O; waiters are woken by
 * {@code notifyAll}. The published root, sequence and log position are volatile for lock-free
 * reads. The visible root only moves forward and only to an update that is on disk (with
 * {@link FsyncPolicy#COMMIT}; other policies publish at append, see the façade).
 */
final class GroupSync {

    private final Path directory;
    private final LogWriter writer;
    private final LogHealth health;
    /** Whether a thread is fsyncing on behalf of pending root updates. */
    private boolean syncing;
    /** The sequence number of the newest root update known to be durable (and visible). */
    private long durableSequence;
    private volatile AtomPointer root;
    private volatile long sequence;
    private volatile LogPosition committed;

    /** Starts with the root recovery found (or the log started with) as the durable, visible one. */
    GroupSync(Path directory, LogWriter writer, LogHealth health, LogPosition recovered) {
        this.directory = directory;
        this.writer = writer;
        this.health = health;
        this.root = recovered.root();
        this.sequence = recovered.sequence();
        this.durableSequence = recovered.sequence();
        this.committed = recovered;
    }

    AtomPointer root() {
        return root;
    }

    long sequence() {
        return sequence;
    }

    /** The end of the last durable commit. */
    LogPosition committed() {
        return committed;
    }

    /** The wait for the appended update of sequence {@code seq} to become durable. */
    PendingRoot pending(long seq) {
        return new PendingRoot() {
            @Override
            public void await() {
                awaitDurable(seq, null);
            }

            @Override
            public void await(Runnable beforeStart) {
                awaitDurable(seq, beforeStart);
            }
        };
    }

    /**
     * Returns once the update of sequence {@code seq} is on disk: either another thread's fsync
     * covered it, or this thread fsyncs everything written so far (and publishes the newest root).
     */
    private void awaitDurable(long seq, Runnable beforeSync) {
        boolean interrupted = false;
        try {
            synchronized (this) {
                while (true) {
                    if (durableSequence >= seq) {
                        return;
                    }
                    Throwable p = health.poisoned();
                    if (p != null) {
                        throw new StorageException("Commit " + seq + " on " + directory
                                + " is not durable: an earlier write or fsync failed (" + p
                                + "); reopen the storage (recovery keeps every durable commit)", p);
                    }
                    if (health.isClosed() && !syncing) {
                        throw new StorageClosedException("Commit " + seq + " on " + directory
                                + " did not reach the disk before the storage was closed");
                    }
                    if (!syncing) {
                        syncing = true;
                        break;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // the commit is written: its outcome must still be reported, so keep waiting
                        interrupted = true;
                    }
                }
            }
            if (beforeSync != null) {
                try {
                    beforeSync.run();
                } catch (RuntimeException e) {
                    synchronized (this) {
                        syncing = false;
                        notifyAll();
                    }
                    throw e;
                }
            }
            LogWriter.SyncBatch batch = writer.takeSyncBatch();
            try {
                for (Segment s : batch.segments()) {
                    writer.force(s);
                }
            } finally {
                synchronized (this) {
                    syncing = false;
                    if (health.poisoned() == null) {
                        LogWriter.Appended target = batch.appended();
                        publishDurable(target.sequence(), target.root(), target.end());
                    }
                    notifyAll();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Makes the update of sequence {@code seq} the visible root, unless a later one already is;
     * {@code end} is where its commit record ends in the log (null when unknown: nothing moves).
     */
    synchronized void publishDurable(long seq, AtomPointer newRoot, LogPosition end) {
        if (seq > durableSequence) {
            durableSequence = seq;
            root = newRoot;
            sequence = seq;
            if (end != null && end.sequence() == seq) {
                committed = end;
            }
        }
    }

    /**
     * Publishes {@code appended}, made durable by the closing thread, and wakes the commits waiting
     * for it.
     */
    synchronized void publishAtClose(LogWriter.Appended appended) {
        publishDurable(appended.sequence(), appended.root(), appended.end());
        notifyAll();
    }

    /**
     * Takes the sync token for a clean close once no fsync is in progress, ignoring interrupts (and
     * restoring the interrupt status): commits waiting for an fsync are then covered by the final one.
     */
    synchronized void takeTokenForClose() {
        boolean interrupted = false;
        while (syncing) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        syncing = true;
    }

    /** Gives the token back after a close: waiting commits then see the storage closed. */
    synchronized void releaseTokenAfterClose() {
        syncing = false;
        notifyAll();
    }
}
