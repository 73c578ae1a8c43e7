package io.protobase.spring.data.core;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.Transaction;
import io.protobase.spring.transaction.TransactionObserver;
import org.springframework.dao.support.PersistenceExceptionTranslator;
import org.springframework.transaction.support.ResourceHolderSupport;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Spliterator;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

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
    private volatile TransactionObserver observer = TransactionObserver.NONE;
    /** The after-commit actions of the transaction this joiner opened on this thread, while its work runs. */
    private final ThreadLocal<List<Runnable>> afterCommit = new ThreadLocal<>();

    TransactionJoiner(Database database, PersistenceExceptionTranslator translator) {
        this.database = Objects.requireNonNull(database, "database");
        this.translator = Objects.requireNonNull(translator, "translator");
    }

    void setObserver(TransactionObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Runs {@code work} in the current transaction, or in a new one ({@code write} or read-only). A new
     * one is observed from before the first attempt to after the last: work that throws makes it
     * {@code ROLLED_BACK}, a conflict left after the retries {@code CONFLICT}, any other failure
     * {@code ERROR}.
     */
    <R> R execute(boolean write, Function<Transaction, R> work) {
        try {
            if (database.hasCurrentTransaction()) {
                checkDeadline();
                return work.apply(database.currentTransaction());
            }
            return observed(write, work);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Runs {@code action} once the current transaction has committed: when it is a transaction this
     * joiner opened, as that operation returns (once, however often a conflicting attempt was retried);
     * when it is a Spring-managed one, after it commits (never, if it rolls back); otherwise (no
     * transaction, or one bound without Spring's transaction synchronization) at once.
     */
    void afterCommit(Runnable action) {
        List<Runnable> own = afterCommit.get();
        if (own != null) {
            own.add(action);
        } else if (database.hasCurrentTransaction() && TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }

    /**
     * Runs {@code work}, which returns a lazy stream, in the current transaction; or else in a new
     * read-only transaction that stays open while the stream is read and ends when the stream is
     * closed. The stream is then read from that one snapshot, whatever commits meanwhile. The engine
     * reads as the caller consumes the stream, long after this method returned, so what the engine
     * throws then (a storage gone, a snapshot closed) is translated there too, as every other call's.
     */
    <R> Stream<R> stream(Function<Transaction, Stream<R>> work) {
        try {
            if (database.hasCurrentTransaction()) {
                checkDeadline();
                return translating(work.apply(database.currentTransaction()));
            }
            Transaction tx = database.newReadOnlyTransaction();
            try {
                return translating(work.apply(tx).onClose(tx::close));
            } catch (RuntimeException e) {
                tx.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** {@code stream}, lazy as it is, with the exceptions of its consumption and its close translated. */
    private <R> Stream<R> translating(Stream<R> stream) {
        return StreamSupport.stream(new TranslatingSpliterator<>(stream.spliterator()), stream.isParallel())
                .onClose(() -> {
                    try {
                        stream.close();
                    } catch (RuntimeException e) {
                        throw translate(e);
                    }
                });
    }

    /** A spliterator that hands what its source throws to the translator. */
    private final class TranslatingSpliterator<R> implements Spliterator<R> {

        private final Spliterator<R> source;

        TranslatingSpliterator(Spliterator<R> source) {
            this.source = source;
        }

        @Override
        public boolean tryAdvance(Consumer<? super R> action) {
            try {
                return source.tryAdvance(action);
            } catch (RuntimeException e) {
                throw translate(e);
            }
        }

        @Override
        public void forEachRemaining(Consumer<? super R> action) {
            try {
                source.forEachRemaining(action);
            } catch (RuntimeException e) {
                throw translate(e);
            }
        }

        @Override
        public Spliterator<R> trySplit() {
            Spliterator<R> split = source.trySplit();
            return split == null ? null : new TranslatingSpliterator<>(split);
        }

        @Override
        public long estimateSize() {
            return source.estimateSize();
        }

        @Override
        public long getExactSizeIfKnown() {
            return source.getExactSizeIfKnown();
        }

        @Override
        public int characteristics() {
            return source.characteristics();
        }

        @Override
        public Comparator<? super R> getComparator() {
            return source.getComparator();
        }
    }

    private <R> R observed(boolean write, Function<Transaction, R> work) {
        TransactionObserver.Observed observed = observer.start(database,
                write ? TransactionObserver.Kind.WRITE : TransactionObserver.Kind.READ);
        RuntimeException[] thrownByWork = new RuntimeException[1];
        List<Runnable> committed = new ArrayList<>();
        Function<Transaction, R> bound = tx -> {
            observed.attempt();
            thrownByWork[0] = null;
            committed.clear(); // a retried attempt registers its own
            database.bind(tx);
            afterCommit.set(committed);
            try {
                return work.apply(tx);
            } catch (RuntimeException e) {
                thrownByWork[0] = e;
                throw e;
            } finally {
                afterCommit.remove();
                database.unbind();
            }
        };
        R result;
        try {
            result = write ? database.write(bound) : database.read(bound);
        } catch (RuntimeException e) {
            observed.end(e instanceof ConflictException ? TransactionObserver.Outcome.CONFLICT
                    : e == thrownByWork[0] ? TransactionObserver.Outcome.ROLLED_BACK
                    : TransactionObserver.Outcome.ERROR, e);
            throw e;
        }
        observed.end(TransactionObserver.Outcome.COMMITTED, null);
        committed.forEach(Runnable::run);
        return result;
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
