package io.protobase;

/**
 * Told about every transaction that ends on an {@link ObjectSpace}: how it ended, on which database,
 * and how long its commit took. Register with {@link ObjectSpace#addTransactionListener}; metrics
 * and audit logs are built on it.
 *
 * <p>Called synchronously on the thread that ended the transaction, after the outcome is final (a
 * committed transaction is durable by then). Keep it fast and non-blocking. An exception thrown by
 * a listener is logged and never changes the transaction's outcome.
 */
@FunctionalInterface
public interface TransactionListener {

    /**
     * Called once per transaction, when it ends.
     *
     * @param event how the transaction ended, on which database, and its commit time
     */
    void transactionEnded(TransactionEvent event);
}
