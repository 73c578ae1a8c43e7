package io.protobase;

import java.time.Duration;
import java.time.Instant;

/**
 * {@link Database#at(Instant)} was asked for an instant older than the object space's history
 * retention reaches: versions older than that are not kept for reading and their space may be
 * reclaimed. Read a later instant, or configure a longer retention
 * ({@link ObjectSpace.Builder#historyRetention}, Spring property {@code protobase.history.retention})
 * before the history is needed; history already outside the retention cannot be brought back. History
 * is also bounded in space ({@link ObjectSpace.Builder#historyMaxSpaceRatio}): when keeping a version takes
 * more space than that bound allows, its version is gone although the instant is within the retention.
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
     * Creates the exception for an instant within the retention whose version was not kept because
     * keeping it would have taken more space than history may; the message names the database, the
     * instant and both bounds.
     *
     * @param database      the database asked for
     * @param instant       the instant asked for
     * @param retention     the history retention in force
     * @param maxSpaceRatio the space bound in force, as a multiple of the live data
     */
    public HistoryExpiredException(String database, Instant instant, Duration retention, double maxSpaceRatio) {
        super("Cannot read database '" + database + "' as of " + instant
                + ": its version is no longer kept. History is kept for " + retention
                + ", but only while it takes at most " + maxSpaceRatio + " times the space of the live data (at "
                + "least 1 MiB), and keeping this version would have taken more. Read a later instant, or raise "
                + "the bound (ObjectSpace.Builder.historyMaxSpaceRatio, or the Spring property "
                + "protobase.history.max-space-ratio) to keep more history from now on");
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
