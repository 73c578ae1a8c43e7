package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.internal.AccessLog;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.internal.Tracking;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A serializable transaction on one {@link Database}.
 *
 * <p>Reads see the snapshot taken when the transaction started, plus the transaction's own writes.
 * Root collections returned by {@link #getRootObject} record which keys are read and which logical
 * operations are applied to them. At {@link #commit()}, if other transactions committed since the
 * snapshot, each root this transaction touched is validated: for a collection root, every key it
 * read must still map to the same value (and a whole-collection read — iteration, count, a range,
 * a position — requires the collection to be unchanged); for any other root, the value read must
 * be unchanged. If validation passes, staged collections derived from what was read are
 * <em>rebased</em>: their operations are replayed on the committed version. Otherwise the commit
 * fails with a retryable {@link ConflictException} naming the root and key, and nothing is
 * published. Writers of disjoint keys of one collection therefore never conflict, while any read
 * that a concurrent commit invalidated (including write skew) does.
 *
 * <p>Not thread-safe: use a transaction from one thread at a time. Closing a transaction that was
 * not committed aborts it.
 */
public final class Transaction implements AutoCloseable {

    /** A transaction's life cycle. */
    public enum State {
        /** Open for reads and writes. */
        ACTIVE,
        /** Committed; its changes are published. */
        COMMITTED,
        /** Aborted by the application; nothing was published. */
        ABORTED,
        /** The commit failed (conflict or storage error); nothing was published. */
        FAILED
    }

    private static final Object REMOVED = new Object();
    private static final Tracking TRACKING = Tracking.instance();

    private final Database database;
    private final SpaceState snapshot;
    private final Dictionary snapshotRoots;
    private final boolean readOnly;
    /** A read-write transaction not yet committing or ended, counted by the space's group commit delay. */
    private boolean running;
    private final Map<String, Object> staged = new LinkedHashMap<>();
    private final Map<String, Access> accessed = new HashMap<>();
    private State state = State.ACTIVE;

    /** What the transaction read of one root: the tracked value handed out and its log. */
    private static final class Access {
        final AccessLog log;
        final Object value;
        final boolean valueRead;

        Access(AccessLog log, Object value, boolean valueRead) {
            this.log = log;
            this.value = value;
            this.valueRead = valueRead;
        }
    }

    Transaction(Database database, SpaceState snapshot, boolean readOnly) {
        this.database = database;
        this.snapshot = snapshot;
        this.snapshotRoots = (Dictionary) snapshot.catalog().getAt(database.name());
        this.readOnly = readOnly;
        this.running = database.space().transactionStarted(readOnly);
        // a running transaction keeps reading its snapshot whatever the history retention
        database.space().retention().pin(this, snapshot);
    }

    /**
     * The database this transaction runs on.
     *
     * @return the database handle
     */
    public Database database() {
        return database;
    }

    /**
     * The time of the commit this transaction's snapshot shows.
     *
     * @return the snapshot's commit time
     */
    public Instant snapshotTime() {
        return snapshot.createdAt();
    }

    /**
     * The transaction's state.
     *
     * @return {@code ACTIVE} until it commits, aborts or fails
     */
    public State state() {
        return state;
    }

    /**
     * Whether writes are refused: a read-only transaction, or one on a historical view.
     *
     * @return {@code true} if {@link #setRootObject} throws
     */
    public boolean isReadOnly() {
        return readOnly;
    }

    /**
     * Returns the root object {@code name}: this transaction's own staged value if it set one,
     * else the snapshot's, else {@code null}. Collections are returned tracked (see class comment).
     *
     * @param name the root name, not {@code null}
     * @return the root object, or {@code null} when there is none
     * @throws TransactionStateException if the transaction is no longer active
     * @throws StorageClosedException if the object space was closed
     */
    public Object getRootObject(String name) {
        ensureActive();
        Objects.requireNonNull(name, "root name");
        if (staged.containsKey(name)) {
            Object v = staged.get(name);
            return v == REMOVED ? null : v;
        }
        Access a = accessed.get(name);
        if (a == null) {
            Object value = snapshotRoots.getAt(name);
            AccessLog log = new AccessLog(name);
            Object handed = readOnly ? value : TRACKING.track(value, log);
            a = new Access(log, handed, !(handed instanceof io.protobase.collection.ProtoCollection));
            accessed.put(name, a);
        }
        return a.value;
    }

    /**
     * Returns the root object {@code name} cast to {@code type}:
     * {@code Dictionary accounts = tx.getRootObject("accounts", Dictionary.class)}.
     *
     * @param <T>  the expected type
     * @param name the root name, not {@code null}
     * @param type the expected class, not {@code null}
     * @return the root object, or {@code null} when there is none
     * @throws ClassCastException if the root is of another type (the message names the root and both types)
     * @throws TransactionStateException if the transaction is no longer active
     */
    public <T> T getRootObject(String name, Class<T> type) {
        Object v = getRootObject(name);
        if (v != null && !type.isInstance(v)) {
            throw new ClassCastException("Root '" + name + "' of database '" + database.name() + "' is a "
                    + v.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(v);
    }

    /**
     * Whether the root object {@code name} exists for this transaction (its own writes included).
     *
     * @param name the root name, not {@code null}
     * @return {@code true} if {@link #getRootObject(String)} is not {@code null}
     * @throws TransactionStateException if the transaction is no longer active
     */
    public boolean hasRootObject(String name) {
        return getRootObject(name) != null;
    }

    /**
     * Sets the root object {@code name}; {@code null} removes it. Visible to this transaction at once,
     * to others after {@link #commit()}.
     *
     * @param name  the root name, not {@code null}
     * @param value a storable value (a collection, a {@code DbObject}, a scalar), or {@code null}
     * @throws TransactionStateException if the transaction is read-only or no longer active
     * @throws UnsupportedValueException if {@code value} is of a type the database cannot store
     */
    public void setRootObject(String name, Object value) {
        ensureWritable();
        Objects.requireNonNull(name, "root name");
        staged.put(name, value == null ? REMOVED : TRACKING.storableAsRoot(value, name));
    }

    /**
     * Removes the root object {@code name}; the same as {@code setRootObject(name, null)}.
     *
     * @param name the root name, not {@code null}
     * @throws TransactionStateException if the transaction is read-only or no longer active
     */
    public void removeRootObject(String name) {
        setRootObject(name, null);
    }

    /**
     * Returns the names of the root objects in this transaction's snapshot, in name order: what a
     * tool shows as the content of a database.
     *
     * <p>Only a read-only transaction lists its roots. Which names exist is not something a
     * read-write transaction's commit validates, so a write decided from such a list could commit
     * on top of a root another transaction created or removed meanwhile, breaking serializability.
     *
     * @return the root names, never {@code null}
     * @throws TransactionStateException if the transaction is read-write or no longer active
     */
    public List<String> rootNames() {
        ensureActive();
        if (!readOnly) {
            throw new TransactionStateException("Listing the roots of database '" + database.name()
                    + "' needs a read-only transaction: a read-write transaction's commit does not validate which "
                    + "roots exist. Use Database.newReadOnlyTransaction or Database.read");
        }
        return snapshotRoots.keys().map(String.class::cast).toList();
    }

    /**
     * Publishes this transaction's changes. Returns once they are as durable as the storage
     * promises. A transaction without changes commits without touching storage.
     *
     * @throws ConflictException when a concurrent commit changed something this transaction read
     */
    public void commit() {
        ensureActive();
        long start = System.nanoTime();
        if (readOnly || staged.isEmpty()) {
            end(State.COMMITTED, TransactionEvent.Outcome.COMMITTED, since(start), null);
            return;
        }
        try {
            database.space().commit(this);
            end(State.COMMITTED, TransactionEvent.Outcome.COMMITTED, since(start), null);
        } catch (ConflictException e) {
            database.space().countConflict();
            retireStaged();
            end(State.FAILED, TransactionEvent.Outcome.CONFLICT, since(start), e);
            throw e;
        } catch (RuntimeException e) {
            retireStaged();
            end(State.FAILED, TransactionEvent.Outcome.FAILED, since(start), e);
            throw e;
        }
    }

    /** After a failed commit: the staged versions written before the commit lock are never published. */
    private void retireStaged() {
        AtomStore store = database.space().store();
        for (Object v : staged.values()) {
            if (v != REMOVED) {
                store.retireUnpublished(v);
            }
        }
    }

    /** Discards this transaction's changes. Idempotent after the transaction ended. */
    public void abort() {
        if (state == State.ACTIVE) {
            staged.clear();
            end(State.ABORTED, TransactionEvent.Outcome.ABORTED, Duration.ZERO, null);
        }
    }

    /** The one transition out of {@link State#ACTIVE}: tells the space, which tells its listeners. */
    private void end(State finalState, TransactionEvent.Outcome outcome, Duration took, RuntimeException failure) {
        stopRunning();
        database.space().retention().unpin(this);
        state = finalState;
        database.space().openTransactions()
                .ended(new TransactionEvent(database.name(), readOnly, outcome, took, failure));
    }

    /** Aborts unless committed. */
    @Override
    public void close() {
        abort();
    }

    private void ensureActive() {
        if (state != State.ACTIVE) {
            throw new TransactionStateException("The transaction on database '" + database.name() + "' is "
                    + state.name().toLowerCase() + "; start a new transaction");
        }
        database.space().ensureOpen();
    }

    private void ensureWritable() {
        ensureActive();
        if (readOnly) {
            throw new TransactionStateException("The transaction on database '" + database.name() + "' is read-only"
                    + (database.isHistorical() ? " (a historical view)" : "")
                    + "; use Database.newTransaction or write");
        }
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    // ------------------------------------------------------------------ commit support

    /** Tells the space, once, that this read-write transaction no longer runs work of its own. */
    void stopRunning() {
        if (running) {
            running = false;
            database.space().pipeline().writerStopped();
        }
    }

    /**
     * Pushes the atoms of every staged value, before the commit lock is taken, except those of roots
     * that {@code latest} (the newest state this process knows, or {@code null}) already shows changed by
     * a concurrent commit: {@link #applyTo} will rebase those onto the new version and the commit writes
     * the rebased nodes, so encoding this version too would only add bytes to the log and work to the
     * commit. Under many writers of one collection most commits are in that case.
     */
    void persistStaged(AtomStore store, Dictionary latest) {
        Object latestRoots = latest == null ? null : latest.getAt(database.name());
        for (Map.Entry<String, Object> e : staged.entrySet()) {
            Object v = e.getValue();
            if (v == REMOVED) {
                continue;
            }
            if (latestRoots instanceof Dictionary roots && willRebase(e.getKey(), v, roots.getAt(e.getKey()))) {
                continue;
            }
            store.persist(TRACKING.untracked(v));
        }
    }

    /** Whether {@link #applyTo} rebases staged root {@code v} when the root's latest value is {@code now}. */
    private boolean willRebase(String name, Object v, Object now) {
        Object before = snapshotRoots.getAt(name);
        Access a = accessed.get(name);
        return a != null && !TRACKING.same(before, now) && TRACKING.derivesFrom(v, before, a.log);
    }

    /**
     * Validates this transaction against {@code catalog} (the latest committed state, including
     * earlier members of the same batch) and returns the catalog with its changes applied.
     */
    Dictionary applyTo(Dictionary catalog) {
        String dbName = database.name();
        Object rootsObj = catalog.getAt(dbName);
        if (!(rootsObj instanceof Dictionary freshRoots)) {
            throw new DatabaseNotFoundException("Cannot commit to database '" + dbName
                    + "': it was removed or renamed after this transaction started");
        }
        Set<String> names = new LinkedHashSet<>(accessed.keySet());
        names.addAll(staged.keySet());
        Dictionary.Builder roots = TRACKING.rootsBuilder(freshRoots);
        for (String name : names) {
            Object before = snapshotRoots.getAt(name);
            Object now = freshRoots.getAt(name);
            boolean unchanged = TRACKING.same(before, now);
            Access a = accessed.get(name);
            if (!unchanged && a != null) {
                if (a.valueRead) {
                    throw new ConflictException(dbName, name, null, "its value changed after it was read");
                }
                Tracking.Change change = TRACKING.firstChange(before, now, a.log);
                if (change != null) {
                    throw new ConflictException(dbName, name, change.whole() ? null : change.key(),
                            change.whole() ? "the transaction depends on the whole collection, which changed"
                                    : "the value read there was changed by a concurrent commit");
                }
            }
            if (staged.containsKey(name)) {
                Object v = staged.get(name);
                if (v == REMOVED) {
                    roots.removeAt(name);
                } else if (!unchanged && a != null && TRACKING.derivesFrom(v, before, a.log)) {
                    if (now == null || now.getClass() != v.getClass()) {
                        throw new ConflictException(dbName, name, null,
                                "the root was replaced by a value of another type by a concurrent commit");
                    }
                    roots.setAt(name, TRACKING.rebase(v, now));
                    // the version written before the lock (if it was) is never published
                    database.space().store().retireUnpublished(v);
                } else {
                    roots.setAt(name, TRACKING.untracked(v));
                }
            }
        }
        Dictionary result = roots.build();
        return catalog.setAt(dbName, result);
    }
}
