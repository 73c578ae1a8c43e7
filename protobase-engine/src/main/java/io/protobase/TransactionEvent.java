package io.protobase;

import java.time.Duration;

/**
 * How one transaction ended, as reported to {@link TransactionListener}s.
 *
 * @param database the database the transaction ran on
 * @param readOnly whether it was a read-only transaction (they never publish anything)
 * @param outcome how it ended
 * @param commitDuration time spent in {@link Transaction#commit()}; {@link Duration#ZERO} for an abort
 * @param failure the exception the commit threw ({@link Outcome#CONFLICT}, {@link Outcome#FAILED}),
 *                else {@code null}
 */
public record TransactionEvent(String database, boolean readOnly, Outcome outcome, Duration commitDuration,
        RuntimeException failure) {

    /** How a transaction ended. */
    public enum Outcome {
        /** Committed: its changes (if any) are published. */
        COMMITTED,
        /** Its commit was refused with a {@link ConflictException}; retrying may succeed. */
        CONFLICT,
        /** Aborted (or closed without commit) by the application. */
        ABORTED,
        /** Its commit failed for another reason (storage error, database removed, ...). */
        FAILED
    }
}
