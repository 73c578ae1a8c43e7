package io.protobase;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The transactions running on a space, counted for a graceful close: once closing starts, no new one
 * is admitted, and {@link #awaitNone} waits for the running ones to commit or abort. Each is reported
 * to the {@link TransactionListener}s as it ends.
 *
 * <p>A transaction is counted before the closing flag is read, and uncounted if it was refused: so a
 * close that saw the count reach zero after setting the flag never misses one admitted meanwhile.
 * Thread-safe.
 */
final class OpenTransactions {

    private static final Logger LOG = LoggerFactory.getLogger(OpenTransactions.class);

    private final AtomicInteger active = new AtomicInteger();
    /** Notified when the count reaches zero while closing. */
    private final Object drained = new Object();
    private final List<TransactionListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closing;

    /** Counts a new transaction; returns {@code false}, counting nothing, once closing has started. */
    boolean admit() {
        active.incrementAndGet();
        if (closing) {
            gone();
            return false;
        }
        return true;
    }

    /** Uncounts a transaction that left the active state and tells the listeners how it ended. */
    void ended(TransactionEvent event) {
        gone();
        for (TransactionListener l : listeners) {
            try {
                l.transactionEnded(event);
            } catch (RuntimeException e) {
                LOG.warn("Transaction listener {} failed on {}; the transaction's outcome is unaffected", l, event, e);
            }
        }
    }

    private void gone() {
        if (active.decrementAndGet() == 0 && closing) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    /** Refuses every transaction from now on. */
    void startClosing() {
        closing = true;
    }

    boolean isClosing() {
        return closing;
    }

    int active() {
        return active.get();
    }

    void addListener(TransactionListener listener) {
        listeners.add(listener);
    }

    void removeListener(TransactionListener listener) {
        listeners.remove(listener);
    }

    /**
     * Waits at most {@code timeout} for the running transactions to end, after {@link #startClosing}.
     * An interrupt ends the wait (returning {@code false}) and stays set on the thread.
     *
     * @return whether none is running
     */
    boolean awaitNone(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            synchronized (drained) {
                while (active.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(drained, left);
                    } catch (InterruptedException e) {
                        interrupted = true;
                        return false;
                    }
                }
                return true;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
