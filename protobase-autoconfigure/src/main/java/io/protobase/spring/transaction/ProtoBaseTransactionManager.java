package io.protobase.spring.transaction;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.Transaction;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.TransactionTimedOutException;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.ResourceHolderSupport;
import org.springframework.transaction.support.ResourceTransactionManager;
import org.springframework.transaction.support.SmartTransactionObject;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.Date;
import java.util.Objects;

/**
 * Runs Spring-managed transactions ({@code @Transactional}, {@code TransactionTemplate}) as ProtoBase
 * transactions on one {@link Database}.
 *
 * <p>A new Spring transaction starts a ProtoBase transaction ({@link Database#newReadOnlyTransaction()}
 * when the definition is read-only) and binds it to the thread twice: as a Spring resource keyed by
 * the database (so propagation and synchronization work as with any resource transaction manager)
 * and in the engine's own scope ({@link Database#bind}), where application code reaches it with
 * {@link Database#currentTransaction()}. It commits when the method returns and aborts when it
 * throws (per the rollback rules). A {@link ConflictException} at commit becomes a
 * {@link ProtoBaseConflictFailureException}, a {@code ConcurrencyFailureException}, so standard
 * retry tooling applies; other commit failures become {@link TransactionSystemException}.
 *
 * <p>Propagation: {@code REQUIRED}, {@code REQUIRES_NEW} (the outer transaction is unbound and
 * later rebound), {@code SUPPORTS}, {@code MANDATORY}, {@code NEVER} and {@code NOT_SUPPORTED}
 * behave as documented by Spring; {@code NESTED} is refused (ProtoBase has no savepoints). An inner
 * {@code REQUIRED} method that fails marks the shared transaction rollback-only.
 *
 * <p>Timeouts ({@code @Transactional(timeout = ...)}, or {@link #setDefaultTimeout} which Boot sets
 * from {@code spring.transaction.default-timeout}) are deadlines checked before the commit: a
 * transaction whose deadline has passed is not committed but aborted, and the commit fails with a
 * {@link TransactionTimedOutException}. The template's operations that join the transaction check
 * the deadline as well, through the thread-bound resource. A ProtoBase transaction holds no locks
 * while it runs, so running on after the deadline blocks no one; what the timeout guarantees is that
 * nothing of it is published late.
 */
public class ProtoBaseTransactionManager extends AbstractPlatformTransactionManager
        implements ResourceTransactionManager {

    private static final long serialVersionUID = 1L;

    private final transient Database database;
    private transient volatile TransactionObserver observer = TransactionObserver.NONE;

    public ProtoBaseTransactionManager(Database database) {
        this.database = Objects.requireNonNull(database, "database");
        setNestedTransactionAllowed(false);
    }

    /**
     * Sets what watches each transaction this manager starts, from its begin to its completion
     * (the starter sets a Micrometer observation when the application has an {@code ObservationRegistry}).
     *
     * @param observer the observer, {@link TransactionObserver#NONE} for none
     */
    public void setTransactionObserver(TransactionObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** The database whose transactions this manager runs. */
    public Database getDatabase() {
        return database;
    }

    @Override
    public Object getResourceFactory() {
        return database;
    }

    @Override
    protected Object doGetTransaction() {
        return new ProtoBaseTransactionObject(
                (TransactionHolder) TransactionSynchronizationManager.getResource(database));
    }

    @Override
    protected boolean isExistingTransaction(Object transaction) {
        return ((ProtoBaseTransactionObject) transaction).holder != null;
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        ProtoBaseTransactionObject object = (ProtoBaseTransactionObject) transaction;
        TransactionObserver.Observed observed = observer.start(database, TransactionObserver.Kind.MANAGED);
        observed.attempt();
        Transaction tx;
        try {
            tx = definition.isReadOnly() ? database.newReadOnlyTransaction() : database.newTransaction();
        } catch (RuntimeException e) {
            observed.end(TransactionObserver.Outcome.ERROR, e);
            throw new CannotCreateTransactionException("Could not start a ProtoBase transaction on database '"
                    + database.name() + "': " + e.getMessage(), e);
        }
        TransactionHolder holder = new TransactionHolder(tx, observed);
        holder.setSynchronizedWithTransaction(true);
        int timeout = determineTimeout(definition);
        if (timeout != TransactionDefinition.TIMEOUT_DEFAULT) {
            holder.setTimeoutInSeconds(timeout);
            holder.timeoutSeconds = timeout;
        }
        try {
            database.bind(tx);
        } catch (RuntimeException e) {
            tx.close();
            observed.end(TransactionObserver.Outcome.ERROR, e);
            throw new CannotCreateTransactionException(e.getMessage(), e);
        }
        TransactionSynchronizationManager.bindResource(database, holder);
        object.holder = holder;
        object.newTransaction = true;
    }

    @Override
    protected Object doSuspend(Object transaction) {
        ((ProtoBaseTransactionObject) transaction).holder = null;
        database.unbind();
        return TransactionSynchronizationManager.unbindResource(database);
    }

    @Override
    protected void doResume(Object transaction, Object suspendedResources) {
        TransactionHolder holder = (TransactionHolder) suspendedResources;
        database.bind(holder.transaction);
        TransactionSynchronizationManager.bindResource(database, holder);
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        TransactionHolder holder = ((ProtoBaseTransactionObject) status.getTransaction()).holder;
        Transaction tx = holder.transaction;
        if (holder.hasTimeout() && !holder.getDeadline().after(new Date())) {
            tx.abort();
            throw holder.ended(TransactionObserver.Outcome.ROLLED_BACK, new TransactionTimedOutException(
                    "The ProtoBase transaction on database '" + database.name() + "' ran longer than its timeout of "
                    + holder.timeoutSeconds + " s (deadline "
                    + holder.getDeadline().toInstant() + "), so it was aborted and nothing of it was committed. "
                    + "Raise the timeout (@Transactional(timeout = ...) or spring.transaction.default-timeout), or "
                    + "do less in one transaction."));
        }
        try {
            tx.commit();
        } catch (ConflictException e) {
            throw holder.ended(TransactionObserver.Outcome.CONFLICT, new ProtoBaseConflictFailureException(e));
        } catch (RuntimeException e) {
            throw holder.ended(TransactionObserver.Outcome.ERROR, new TransactionSystemException(
                    "Could not commit the ProtoBase transaction on database '" + database.name() + "': "
                            + e.getMessage(), e));
        }
        holder.ended(TransactionObserver.Outcome.COMMITTED, null);
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        TransactionHolder holder = ((ProtoBaseTransactionObject) status.getTransaction()).holder;
        holder.transaction.abort();
        holder.ended(TransactionObserver.Outcome.ROLLED_BACK, null);
    }

    @Override
    protected void doSetRollbackOnly(DefaultTransactionStatus status) {
        ((ProtoBaseTransactionObject) status.getTransaction()).holder.setRollbackOnly();
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        ProtoBaseTransactionObject object = (ProtoBaseTransactionObject) transaction;
        if (object.newTransaction) {
            TransactionSynchronizationManager.unbindResourceIfPossible(database);
            database.unbind();
            object.holder.transaction.close();
            object.holder.observed.end(object.holder.outcome == null ? TransactionObserver.Outcome.ERROR
                    : object.holder.outcome, object.holder.error);
            object.holder.clear();
        }
    }

    /** The thread-bound resource: the ProtoBase transaction, Spring's rollback-only flag and the deadline. */
    private static final class TransactionHolder extends ResourceHolderSupport {
        final Transaction transaction;
        final TransactionObserver.Observed observed;
        int timeoutSeconds;
        /** How the transaction ended, for the observer: the first of commit or rollback to decide it. */
        TransactionObserver.Outcome outcome;
        RuntimeException error;

        TransactionHolder(Transaction transaction, TransactionObserver.Observed observed) {
            this.transaction = transaction;
            this.observed = observed;
        }

        <E extends RuntimeException> E ended(TransactionObserver.Outcome how, E cause) {
            if (outcome == null) {
                outcome = how;
                error = cause;
            }
            return cause;
        }
    }

    /** Spring's handle of one (possibly participating) transactional scope. */
    private static final class ProtoBaseTransactionObject implements SmartTransactionObject {
        TransactionHolder holder;
        boolean newTransaction;

        ProtoBaseTransactionObject(TransactionHolder holder) {
            this.holder = holder;
        }

        @Override
        public boolean isRollbackOnly() {
            return holder != null && holder.isRollbackOnly();
        }

        @Override
        public void flush() {
            // nothing buffered outside the ProtoBase transaction
        }
    }
}
