package io.protobase.spring.data.core;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.Transaction;
import org.springframework.dao.support.PersistenceExceptionTranslator;
import org.springframework.transaction.support.ResourceHolderSupport;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The one place where an entity operation finds its transaction. When the thread has a current
 * transaction ({@code @Transactional}, or an enclosing operation) the work joins it, so a rollback
 * undoes it with the rest. Otherwise it runs in a transaction of its own, {@link Database#write}
 * (which retries conflicting commits) or {@link Database#read}, bound to the thread while it runs
 * so that the operations it is made of join it in turn. An engine exception that escapes is handed
 * to the translator, so callers see Spring's {@code DataAccessException}s as from any other store: a
 * {@link ConflictException} still left after the retries becomes a
 * {@code ConcurrencyFailureException}, a closed storage a {@code DataAccessResourceFailureException},
 * and so on. Exceptions the translator does not know (the application's own) pass through as they are.
 */
final class TransactionJoiner {

    private final Database database;
    private final PersistenceExceptionTranslator translator;

    TransactionJoiner(Database database, PersistenceExceptionTranslator translator) {
        this.database = Objects.requireNonNull(database, "database");
        this.translator = Objects.requireNonNull(translator, "translator");
    }

    /** Runs {@code work} in the current transaction, or in a new one ({@code write} or read-only). */
    <R> R execute(boolean write, Function<Transaction, R> work) {
        try {
            if (database.hasCurrentTransaction()) {
                checkDeadline();
                return work.apply(database.currentTransaction());
            }
            Function<Transaction, R> bound = tx -> {
                database.bind(tx);
                try {
                    return work.apply(tx);
                } finally {
                    database.unbind();
                }
            };
            return write ? database.write(bound) : database.read(bound);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Runs {@code work}, which returns a lazy stream, in the current transaction; or else in a new
     * read-only transaction that stays open while the stream is read and ends when the stream is
     * closed. The stream is then read from that one snapshot, whatever commits meanwhile.
     */
    <R> Stream<R> stream(Function<Transaction, Stream<R>> work) {
        try {
            if (database.hasCurrentTransaction()) {
                checkDeadline();
                return work.apply(database.currentTransaction());
            }
            Transaction tx = database.newReadOnlyTransaction();
            try {
                return work.apply(tx).onClose(tx::close);
            } catch (RuntimeException e) {
                tx.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Fails an operation that joins a Spring-managed transaction past its timeout, as Spring's JDBC
     * support fails a statement: with a {@code TransactionTimedOutException}, the transaction marked
     * rollback-only. Without this the method would run on to the commit, which fails then anyway.
     */
    private void checkDeadline() {
        if (TransactionSynchronizationManager.getResource(database) instanceof ResourceHolderSupport holder
                && holder.hasTimeout()) {
            holder.getTimeToLiveInMillis();
        }
    }

    /** {@code e} as the translator maps it, or itself when the translator does not know it. */
    RuntimeException translate(RuntimeException e) {
        RuntimeException translated = translator.translateExceptionIfPossible(e);
        return translated != null ? translated : e;
    }
}
