package io.protobase.spring.observation;

import io.micrometer.observation.Observation;
import io.protobase.spring.transaction.TransactionObserver;

/**
 * What an observation of one ProtoBase transaction knows: the database, how the transaction was
 * started, how many attempts it took and how it ended.
 */
public class ProtoBaseTransactionContext extends Observation.Context {

    private final String database;
    private final TransactionObserver.Kind kind;
    private int attempts;
    private TransactionObserver.Outcome outcome = TransactionObserver.Outcome.ERROR;

    /**
     * Creates the context of a transaction about to start.
     *
     * @param database the database name
     * @param kind how the transaction is started
     */
    public ProtoBaseTransactionContext(String database, TransactionObserver.Kind kind) {
        this.database = database;
        this.kind = kind;
    }

    /**
     * The database the transaction runs on.
     *
     * @return the database name
     */
    public String getDatabase() {
        return database;
    }

    /**
     * How the transaction was started.
     *
     * @return the kind
     */
    public TransactionObserver.Kind getKind() {
        return kind;
    }

    /**
     * Attempts made so far: 1, or more when {@code Database.write} ran the work again after conflicts.
     *
     * @return the attempts
     */
    public int getAttempts() {
        return attempts;
    }

    /**
     * How the transaction ended; {@code ERROR} until it did.
     *
     * @return the outcome
     */
    public TransactionObserver.Outcome getOutcome() {
        return outcome;
    }

    void attempt() {
        attempts++;
    }

    void setOutcome(TransactionObserver.Outcome outcome) {
        this.outcome = outcome;
    }
}
