package io.protobase.storage;

import io.protobase.StorageException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The commit lock of a storage owned by one process: a reentrant lock whose grants carry strictly
 * increasing fencing terms. A root update must present the current grant of <em>this</em> lock,
 * held by the calling thread; anything else (no lock, a released or stale grant, another storage's
 * grant) is refused.
 */
public final class LocalCommitLock {

    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong terms = new AtomicLong();
    private volatile long currentTerm;

    /**
     * Acquires the lock for {@code storage} (described lazily in messages), waiting at most {@code timeout}.
     * An interrupt does not abort the wait: the caller may be publishing other threads' commits, which
     * must not fail because of it. The interrupt status is restored on return.
     */
    public CommitLock acquire(Duration timeout, Supplier<String> storage) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                    throw new StorageException("Timed out after " + timeout + " waiting for the commit lock of "
                            + storage.get() + "; another commit is taking too long");
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        long term = terms.incrementAndGet();
        currentTerm = term;
        return new Grant(term);
    }

    /** Throws unless {@code grant} is the current grant of this lock, held by the calling thread. */
    public void check(CommitLock grant, Supplier<String> storage) {
        if (grant == null) {
            throw new StorageException("Root update on " + storage.get()
                    + " refused: no commit lock given; acquire it with acquireCommitLock first");
        }
        if (!(grant instanceof Grant g) || g.owner() != this || !g.held() || g.term != currentTerm) {
            throw new StorageException("Root update on " + storage.get() + " refused: the commit lock (term "
                    + grant.term() + ") is not held by this caller on this storage");
        }
    }

    private final class Grant implements CommitLock {
        private final long term;
        private boolean released;

        Grant(long term) {
            this.term = term;
        }

        LocalCommitLock owner() {
            return LocalCommitLock.this;
        }

        boolean held() {
            return !released && lock.isHeldByCurrentThread();
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public void close() {
            if (!released && lock.isHeldByCurrentThread()) {
                released = true;
                lock.unlock();
            }
        }
    }
}
