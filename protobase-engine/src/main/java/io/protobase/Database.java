package io.protobase;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * A named database of an {@link ObjectSpace}: a set of named root objects, read and changed through
 * serializable {@link Transaction}s.
 *
 * <pre>{@code
 * Database db = space.getDatabase("my_database");
 * long balance = db.read(tx -> ((Dictionary) tx.getRootObject("accounts")).getAt("alice", Long.class));
 * db.write(tx -> {
 *     Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
 *     tx.setRootObject("accounts", accounts.setAt("alice", balance + 10));
 *     return null;
 * });
 * }</pre>
 *
 * A handle is cheap and thread-safe; it names the database and does not pin a version. A handle
 * returned by {@link #at(Instant)} is a read-only view of the database as it was then.
 */
public final class Database {

    /** Maximum attempts of {@link #write} before the last {@link ConflictException} is thrown. */
    public static final int WRITE_ATTEMPTS = 16;

    private final ObjectSpace space;
    private final String name;
    private final SpaceState pinned;

    Database(ObjectSpace space, String name, SpaceState pinned) {
        this.space = space;
        this.name = name;
        this.pinned = pinned;
    }

    /**
     * The database's name.
     *
     * @return the name in the object space's catalog
     */
    public String name() {
        return name;
    }

    /**
     * The object space it belongs to.
     *
     * @return the object space
     */
    public ObjectSpace space() {
        return space;
    }

    /**
     * Whether this is a historical, read-only view ({@link #at}).
     *
     * @return {@code true} for a view returned by {@link #at}
     */
    public boolean isHistorical() {
        return pinned != null;
    }

    /**
     * Starts a transaction on a snapshot of the current state (of the pinned state for a historical
     * view, where the transaction is read-only). Close it: closing without commit aborts.
     *
     * @return the active transaction
     * @throws DatabaseNotFoundException if the database was removed or renamed
     */
    public Transaction newTransaction() {
        return space.retention().pinning(() -> new Transaction(this, snapshot(), pinned != null));
    }

    /**
     * Starts a read-only transaction (no write tracking; commit is a no-op).
     *
     * @return the active read-only transaction
     * @throws DatabaseNotFoundException if the database was removed or renamed
     */
    public Transaction newReadOnlyTransaction() {
        return space.retention().pinning(() -> new Transaction(this, snapshot(), true));
    }

    private SpaceState snapshot() {
        SpaceState s = pinned != null ? pinned : space.currentState();
        if (!s.catalog().has(name)) {
            throw new DatabaseNotFoundException("Database '" + name + "' does not exist"
                    + (pinned != null ? " at " + pinned.createdAt() : " (it was removed or renamed)")
                    + "; open it again with ObjectSpace.getDatabase to create it");
        }
        return s;
    }

    /**
     * Runs {@code work} in a read-only transaction and returns its result; the transaction ends when
     * the function returns or throws.
     *
     * @param <T>  the result type
     * @param work reads through the transaction it is given, not {@code null}
     * @return what {@code work} returned, possibly {@code null}
     * @throws DatabaseNotFoundException if the database was removed or renamed
     */
    public <T> T read(Function<Transaction, T> work) {
        try (Transaction tx = newReadOnlyTransaction()) {
            return work.apply(tx);
        }
    }

    /**
     * Runs {@code work} in a transaction and commits it, retrying the whole function (in a new
     * transaction, after a short jittered exponential back-off) when the commit conflicts. The
     * function must therefore have no side effects outside the transaction. Gives up after
     * {@link #WRITE_ATTEMPTS} attempts with the last {@link ConflictException}.
     *
     * @param <T>  the result type
     * @param work reads and changes roots through the transaction it is given, not {@code null}; it may
     *             run several times
     * @return what the attempt that committed returned, possibly {@code null}
     * @throws ConflictException if the last of {@link #WRITE_ATTEMPTS} attempts still conflicts
     * @throws TransactionStateException if {@code work} writes through a historical view, or the thread is
     *                                   interrupted while backing off
     * @throws DatabaseNotFoundException if the database was removed or renamed
     */
    public <T> T write(Function<Transaction, T> work) {
        Objects.requireNonNull(work, "work");
        long backoffNanos = Duration.ofMillis(1).toNanos();
        for (int attempt = 1; ; attempt++) {
            try (Transaction tx = newTransaction()) {
                T result = work.apply(tx);
                tx.commit();
                return result;
            } catch (ConflictException e) {
                if (attempt >= WRITE_ATTEMPTS) {
                    throw e;
                }
                sleepJittered(backoffNanos);
                backoffNanos = Math.min(backoffNanos * 2, Duration.ofMillis(100).toNanos());
            }
        }
    }

    private static void sleepJittered(long maxNanos) {
        long nanos = ThreadLocalRandom.current().nextLong(maxNanos / 2, maxNanos + 1);
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new TransactionStateException("Interrupted while backing off before retrying a conflicting commit");
        }
    }

    // ------------------------------------------------------------------ thread-bound transaction

    /**
     * The transaction bound to the calling thread for this database: inside a Spring
     * {@code @Transactional} method, the one the ProtoBase transaction manager started.
     *
     * <pre>{@code
     * @Transactional
     * public void rename(String id, String name) {
     *     Transaction tx = database.currentTransaction();
     *     Dictionary items = tx.getRootObject("items", Dictionary.class);
     *     ...
     * }
     * }</pre>
     *
     * @return the bound transaction
     * @throws TransactionStateException when none is bound (outside a transactional method)
     */
    public Transaction currentTransaction() {
        Transaction tx = pinned == null ? space.threadBindings().bound(name) : null;
        if (tx == null) {
            throw new TransactionStateException("No transaction on database '" + name + "' is bound to thread '"
                    + Thread.currentThread().getName() + "'" + (pinned != null ? " (this is a historical view)" : "")
                    + "; call this inside a @Transactional method, or use database.write(tx -> ...) or "
                    + "database.read(tx -> ...) instead");
        }
        return tx;
    }

    /**
     * Whether a transaction is bound to the calling thread for this database ({@link #currentTransaction()}).
     *
     * @return {@code true} if {@link #currentTransaction()} would return one; always {@code false} for a
     *         historical view
     */
    public boolean hasCurrentTransaction() {
        return pinned == null && space.threadBindings().bound(name) != null;
    }

    /**
     * Binds {@code tx} to the calling thread, so {@link #currentTransaction()} returns it, until
     * {@link #unbind()}. For integration layers (the Spring transaction manager): the binder owns the
     * transaction and ends it. {@link #read} and {@link #write} are unaffected: they always run a
     * transaction of their own.
     *
     * @param tx the active transaction of this database to bind, not {@code null}
     * @throws TransactionStateException when {@code tx} is not active, belongs to another database,
     *         or another transaction is already bound (unbind it first, to suspend it)
     */
    public void bind(Transaction tx) {
        Objects.requireNonNull(tx, "tx");
        if (pinned != null) {
            throw new TransactionStateException("Cannot bind a transaction to the historical view " + this);
        }
        if (tx.database().space() != space || !tx.database().name().equals(name)) {
            throw new TransactionStateException("Cannot bind a transaction of " + tx.database() + " to " + this);
        }
        if (tx.state() != Transaction.State.ACTIVE) {
            throw new TransactionStateException("Cannot bind a " + tx.state().name().toLowerCase()
                    + " transaction to database '" + name + "'; start a new one");
        }
        Transaction existing = space.threadBindings().bound(name);
        if (existing != null && existing != tx) {
            throw new TransactionStateException("Another transaction on database '" + name
                    + "' is already bound to this thread; unbind it first (suspend) before binding a new one");
        }
        space.threadBindings().bind(name, tx);
    }

    /**
     * Unbinds the calling thread's transaction for this database; the transaction stays as it is.
     *
     * @return the transaction that was bound, or {@code null} if none was (always for a historical view)
     */
    public Transaction unbind() {
        return pinned == null ? space.threadBindings().unbind(name) : null;
    }

    /**
     * A read-only view of this database as it was at {@code instant}: the newest committed state at
     * or before it. The view keeps that state readable for as long as the application holds it, even
     * once it is older than the history retention.
     *
     * @param instant the moment to read, not {@code null}
     * @return the read-only view
     * @throws HistoryExpiredException when {@code instant} is older than the space's history retention
     *         ({@link ObjectSpace#historyRetention()}) reaches
     * @throws DatabaseNotFoundException when the database did not exist then
     */
    public Database at(Instant instant) {
        Objects.requireNonNull(instant, "instant");
        return space.retention().pinning(() -> {
            SpaceState s = space.retention().stateAt(name, instant);
            if (s == null || !s.catalog().has(name)) {
                throw new DatabaseNotFoundException("Database '" + name + "' did not exist at " + instant);
            }
            Database view = new Database(space, name, s);
            space.retention().pinView(view, s);
            return view;
        });
    }

    /**
     * Time of the newest commit visible to this handle.
     *
     * @return the commit time of the current (or pinned) state, or {@code null} before the space's first
     *         commit
     */
    public Instant lastCommitTime() {
        SpaceState s = pinned != null ? pinned : space.currentState();
        return s.sequence() == 0 ? null : s.createdAt();
    }

    @Override
    public String toString() {
        return "Database[" + name + (pinned != null ? " at " + pinned.createdAt() : "") + "]";
    }
}
