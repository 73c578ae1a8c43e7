package io.protobase;

import java.time.Duration;
import java.time.Instant;

/**
 * {@link Database#at(Instant)} was asked for an instant older than the object space's history
 * retention reaches: versions older than that are not kept for reading and their space may be
 * reclaimed. Read a later instant, or configure a longer retention
 * ({@link ObjectSpace.Builder#historyRetention}, Spring property {@code protobase.history.retention})
 * before the history is needed; history already outside the retention cannot be brought back.
 */
public class HistoryExpiredException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final Instant instant;
    private final Duration retention;

    /**
     * Creates the exception; its message names the database, the instant and the retention.
     *
     * @param database  the database asked for
     * @param instant   the instant asked for
     * @param retention the history retention in force
     * @param horizon   the oldest instant the retention still reaches
     */
    public HistoryExpiredException(String database, Instant instant, Duration retention, Instant horizon) {
        super("Cannot read database '" + database + "' as of " + instant
                + ": it is older than the history retention of "
                + retention + ", which reaches back to " + horizon
                + ". Read a later instant, or set a longer retention "
                + "(ObjectSpace.Builder.historyRetention, or the Spring property protobase.history.retention) to keep "
                + "more history from now on");
        this.instant = instant;
        this.retention = retention;
    }

    /**
     * The instant that was asked for.
     *
     * @return the instant
     */
    public Instant instant() {
        return instant;
    }

    /**
     * The retention in force when it was asked.
     *
     * @return the retention
     */
    public Duration retention() {
        return retention;
    }
}
