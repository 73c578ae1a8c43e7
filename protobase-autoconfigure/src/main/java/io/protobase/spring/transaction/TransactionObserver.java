package io.protobase.spring.transaction;

import io.protobase.Database;
import org.jspecify.annotations.Nullable;

/**
 * Watches the transactions the starter runs: those of the {@link ProtoBaseTransactionManager} and the
 * ones the repositories and the template start with {@link Database#write} or {@link Database#read}
 * when no transaction is current. The starter implements it with Micrometer's Observation API when
 * the application has an {@code ObservationRegistry}; without one it is {@link #NONE}, which costs
 * nothing.
 *
 * <p>This interface keeps Micrometer out of the transaction manager and the template, so that they
 * load and run on a classpath without it.
 */
public interface TransactionObserver {

    /** Observes nothing. */
    TransactionObserver NONE = (database, kind) -> Observed.NONE;

    /**
     * Starts observing one transaction on the current thread; the caller ends it on the same thread.
     *
     * @param database the database the transaction runs on
     * @param kind how the transaction was started
     * @return the observation to report attempts and the outcome to
     */
    Observed start(Database database, Kind kind);

    /** How an observed transaction was started. */
    enum Kind {
        /** By the {@link ProtoBaseTransactionManager} ({@code @Transactional}, {@code TransactionTemplate}). */
        MANAGED,
        /** By {@link Database#write}, which retries on conflict. */
        WRITE,
        /** By {@link Database#read}. */
        READ
    }

    /** How an observed transaction ended. */
    enum Outcome {
        /** It committed (a read-only one ended normally). */
        COMMITTED,
        /** It was aborted: rolled back by Spring's rules, or the work threw. */
        ROLLED_BACK,
        /** Its commit was refused with a conflict (after the last attempt, for {@link Kind#WRITE}). */
        CONFLICT,
        /** Its commit failed for another reason, or it could not start. */
        ERROR;

        /**
         * The outcome as a tag value.
         *
         * @return {@code committed}, {@code rolled-back}, {@code conflict} or {@code error}
         */
        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** One transaction under observation. */
    interface Observed {

        /** Reports nothing. */
        Observed NONE = new Observed() {
            @Override
            public void attempt() {
            }

            @Override
            public void end(Outcome outcome, @Nullable Throwable error) {
            }
        };

        /** Counts one attempt: {@link Database#write} runs the work again after a conflict. */
        void attempt();

        /**
         * Ends the observation; called once.
         *
         * @param outcome how the transaction ended
         * @param error what made it end so, {@code null} when it committed or was rolled back by a rule
         */
        void end(Outcome outcome, @Nullable Throwable error);
    }
}
