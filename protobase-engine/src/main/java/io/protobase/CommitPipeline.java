package io.protobase;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.internal.AtomRelocation;
import io.protobase.collection.internal.AtomStore;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SharedStorage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The group-commit pipeline of one object space (leader/follower): how transactions and catalog
 * changes become published versions.
 *
 * <p>A committer pushes its new atoms without any lock, queues its request, and takes the local commit
 * mutex; whoever holds it (the leader) drains every queued request, takes the storage's commit lock
 * once, validates and rebases each request in queue order on top of the previous one, and writes the
 * batch with one compare-and-set of the root. It then releases the mutex and hands it to the
 * committer of the oldest queued request, which writes the next batch on top of this one while the
 * leader waits for its batch to become durable ({@link PendingRoot}). Followers find their request
 * already completed. One durable root update (one fsync, one S3 conditional write) thus serves many
 * concurrent commits, and the next batch never waits for the previous one's fsync to write.
 *
 * <p>With a group commit delay ({@link ObjectSpace.Builder#groupCommitDelay}) the pipeline also counts
 * the writers about, so that the committer starting an fsync can wait for as many commits as there
 * were writers since the previous one.
 *
 * <p>Every commit is marked in flight in {@link SpaceRetention} from before its first pushed atom until
 * it is published or failed, so that compaction never releases the segments it writes into. Thread-safe.
 */
final class CommitPipeline {

    /**
     * How often a batch is rebased and published again after another writer of the storage published
     * first, before its commits fail with {@link CommitContentionException}.
     */
    static final int PUBLISH_ATTEMPTS = 11;

    private final SharedStorage storage;
    private final AtomStore store;
    private final SpaceVersions versions;
    private final SpaceRetention retention;
    /** Keeps commits from referencing released atoms; {@code null} when the storage releases nothing. */
    private final ReferenceGuard references;
    private final Duration lockTimeout;
    private final long groupCommitDelayNanos;
    private final ReentrantLock commitMutex = new ReentrantLock();
    private final ConcurrentLinkedQueue<CommitRequest> pending = new ConcurrentLinkedQueue<>();
    private final LongAdder commits = new LongAdder();
    private final LongAdder batches = new LongAdder();
    /*
     * Group commit delay: how many writers are about, and how many commits are written but not yet
     * durable, so that the committer starting an fsync can wait for as many commits as there were
     * writers since the previous one.
     */
    /** Read-write transactions running their work: started, not yet submitted for commit or ended. */
    private final AtomicInteger runningWriters = new AtomicInteger();
    /** Threads inside {@link #submit}. */
    private final AtomicInteger committing = new AtomicInteger();
    /** Commits of batches written and not yet durable. */
    private final AtomicInteger writtenUndurable = new AtomicInteger();
    /** Most writers (running or committing) seen at once since the last durability wait started. */
    private volatile int writersPeak;
    private final Object writersMonitor = new Object();

    /** Told of every publication ({@link #onPublished}); does nothing until set. */
    private volatile Runnable published = () -> { };

    CommitPipeline(SharedStorage storage, AtomStore store, SpaceVersions versions, SpaceRetention retention,
            ReferenceGuard references, Duration lockTimeout, Duration groupCommitDelay) {
        this.storage = storage;
        this.store = store;
        this.versions = versions;
        this.retention = retention;
        this.references = references;
        this.lockTimeout = lockTimeout;
        this.groupCommitDelayNanos = groupCommitDelay.toNanos();
    }

    /** Runs after each publication on the publishing thread, once set (the compactor's trigger). */
    void onPublished(Runnable hook) {
        this.published = hook;
    }

    /** The group commit delay in nanoseconds; zero when a committer never waits. */
    long groupCommitDelayNanos() {
        return groupCommitDelayNanos;
    }

    /** Transactions committed. */
    long commits() {
        return commits.sum();
    }

    /** Root publications, each serving one or more commits. */
    long batches() {
        return batches.sum();
    }

    /**
     * A transaction started. Returns whether it counts as a running writer for the group commit delay
     * (then {@link #writerStopped} must follow once).
     */
    boolean writerStarted(boolean readOnly) {
        if (readOnly || groupCommitDelayNanos == 0) {
            return false;
        }
        runningWriters.incrementAndGet();
        noteWriters();
        return true;
    }

    /** A read-write transaction stopped running its work: it is committing, or it ended. */
    void writerStopped() {
        runningWriters.decrementAndGet();
    }

    private void noteWriters() {
        int now = runningWriters.get() + committing.get();
        if (now > writersPeak) {
            writersPeak = now; // a racy maximum: an estimate is all the delay needs
        }
    }

    /**
     * Runs (with a group commit delay) just before this thread starts an fsync: waits, at most the
     * delay, until as many commits are written and waiting for durability as there were writers about
     * since the previous fsync started, so that one fsync covers all of them rather than every other
     * one finding an fsync already running and waiting for the next. With one writer it returns at once.
     */
    private void gatherCommits() {
        int target = writersPeak;
        if (writtenUndurable.get() < target) {
            long deadline = System.nanoTime() + groupCommitDelayNanos;
            boolean interrupted = false;
            synchronized (writersMonitor) {
                long left;
                while (writtenUndurable.get() < target && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        writersMonitor.wait(left / 1_000_000, (int) (left % 1_000_000));
                    } catch (InterruptedException e) {
                        interrupted = true;
                        break;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        writersPeak = runningWriters.get() + committing.get();
    }

    /** Publishes a catalog change that is not a transaction (create, rename, remove). */
    void publish(UnaryOperator<Dictionary> change) {
        Object mark = retention.markInFlight();
        try {
            submit(new CommitRequest(change));
        } finally {
            retention.landed(mark);
        }
    }

    /** Commits a transaction's changes: atoms first, then through the queue. */
    void commit(Transaction tx) {
        Object mark = retention.markInFlight();
        // the references the commit's atoms make to older atoms stay registered until it is published
        ReferenceGuard.Context refs = references == null ? null : references.open();
        // the latest version, read to skip encoding what the commit will rebase: pinned while read
        Object latestPin = new Object();
        try {
            SpaceState latest = retention.pinning(() -> {
                SpaceState l = versions.latest();
                retention.pin(latestPin, l);
                return l;
            });
            tx.persistStaged(store, latest.catalog());
            if (refs != null) {
                references.admit(refs);
            }
            retention.unpin(latestPin);
            tx.stopRunning();
            submit(new CommitRequest(tx::applyTo));
        } finally {
            retention.unpin(latestPin);
            if (refs != null) {
                refs.close();
            }
            retention.landed(mark);
        }
        commits.increment();
    }

    /**
     * Queues a request and returns once it is done. A thread that finds the commit mutex free
     * becomes the leader and publishes everything queued; the others park until a leader completes
     * their request or hands the mutex on to them, so a follower whose request a leader already
     * published returns at once rather than after someone else's fsync.
     */
    private void submit(CommitRequest request) {
        if (groupCommitDelayNanos == 0) {
            submitQueued(request);
            return;
        }
        committing.incrementAndGet();
        try {
            noteWriters();
            submitQueued(request);
        } finally {
            committing.decrementAndGet();
        }
    }

    private void submitQueued(CommitRequest request) {
        pending.add(request);
        boolean interrupted = false;
        while (!request.done) {
            // a drained request is in a batch that its leader is finishing: wait for it, do not lead
            if (!request.drained && commitMutex.tryLock()) {
                Publication publication = null;
                try {
                    if (!request.done) {
                        publication = runBatch();
                    }
                } finally {
                    commitMutex.unlock();
                    // let a queued committer write the next batch while this one waits for the disk
                    handOff();
                }
                if (publication != null) {
                    finish(publication);
                }
            } else if (!request.done) {
                // woken by the completion of the request or by a hand-off of the mutex; the timeout
                // only bounds the wait should a wake-up ever be missed
                LockSupport.parkNanos(this, 50_000_000L);
                if (Thread.interrupted()) {
                    // the request is queued and may already be published: finish waiting for its
                    // outcome, then restore the interrupt
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (request.failure != null) {
            throw request.failure;
        }
    }

    /**
     * Called after releasing the commit mutex: wakes the committer of the oldest queued request, which
     * then takes the mutex and leads the next batch. A request queued after this look finds the mutex
     * free itself, since it queues before trying the mutex.
     */
    private void handOff() {
        CommitRequest next = pending.peek();
        if (next != null) {
            LockSupport.unpark(next.waiter);
        }
    }

    /** A batch written under the commit lock, to be acknowledged once durable. */
    private record Publication(PendingRoot pending, SpaceState state, List<CommitRequest> applied, int written) {
    }

    /**
     * Waits (without the commit mutex) until a written batch is durable, then makes it the current
     * state and completes its requests; a batch that cannot become durable fails them all.
     */
    private void finish(Publication publication) {
        try {
            try {
                if (groupCommitDelayNanos > 0) {
                    publication.pending().await(this::gatherCommits);
                } else {
                    publication.pending().await();
                }
            } finally {
                writtenUndurable.addAndGet(-publication.written());
            }
        } catch (RuntimeException e) {
            ProtoBaseException failure = e instanceof ProtoBaseException p ? p
                    : new StorageException("Commit failed on " + storage.describe() + ": " + e, e);
            publication.applied().forEach(r -> r.fail(failure));
            return;
        }
        versions.advance(publication.state());
        batches.increment();
        publication.applied().forEach(CommitRequest::succeed);
        published.run();
    }

    private static Publication succeedAll(List<CommitRequest> applied) {
        applied.forEach(CommitRequest::succeed);
        return null;
    }

    /**
     * Runs with {@link #commitMutex} held: validates, rebases and writes every queued request as one
     * root update, returning it to be awaited after the mutex is released (or {@code null} when
     * there was nothing to publish).
     */
    private Publication runBatch() {
        List<CommitRequest> drained = new ArrayList<>();
        for (CommitRequest r; (r = pending.poll()) != null; ) {
            r.drained = true;
            drained.add(r);
        }
        List<CommitRequest> batch = drained;
        try (CommitLock lock = storage.acquireCommitLock(lockTimeout)) {
            for (int attempt = 0; ; attempt++) {
                SpaceState fresh = attempt == 0 ? versions.baseState() : versions.currentState();
                if (attempt == 0) {
                    // what was queued while the base was read joins this batch: reading it may have waited
                    // (a cluster node's turn), and a larger batch costs the same compare-and-set
                    for (CommitRequest r; (r = pending.poll()) != null; ) {
                        r.drained = true;
                        drained.add(r);
                    }
                }
                Dictionary catalog = fresh.catalog();
                List<CommitRequest> applied = new ArrayList<>();
                for (CommitRequest r : batch) {
                    try {
                        catalog = r.change.apply(catalog);
                        applied.add(r);
                    } catch (ProtoBaseException e) {
                        r.fail(e);
                    } catch (RuntimeException e) {
                        r.fail(new ProtoBaseException("Commit failed while applying the transaction to the latest "
                                + "state: " + e + "; nothing was published", e));
                    }
                }
                if (applied.isEmpty()) {
                    return null;
                }
                if (catalog == fresh.catalog()) {
                    // nothing to write, but what the requests saw must be durable before they return
                    return fresh == versions.written() && fresh.sequence() > versions.current().sequence()
                            ? new Publication(versions.pendingOf(fresh), fresh, applied, 0)
                            : succeedAll(applied);
                }
                SpaceState next = versions.next(fresh, catalog);
                // what the batch writes itself (rebased roots, the catalog) is admitted like a commit's atoms,
                // and stays registered until the batch is the written version, which is retained
                try (ReferenceGuard.Context refs = references == null ? null : references.open()) {
                    if (refs != null) {
                        refs.exempt(next.previous(), next.jump());
                    }
                    AtomPointer pointer = store.writeRecord(next.toRecord());
                    if (refs != null) {
                        references.admit(refs);
                    }
                    PendingRoot pending = storage.compareAndSetRootPipelined(lock, fresh.pointer(), pointer);
                    if (pending != null) {
                        SpaceState published = versions.recordWritten(next, pointer, catalog, pending);
                        if (groupCommitDelayNanos > 0) {
                            writtenUndurable.addAndGet(applied.size());
                            synchronized (writersMonitor) {
                                writersMonitor.notifyAll();
                            }
                        }
                        return new Publication(pending, published, applied,
                                groupCommitDelayNanos > 0 ? applied.size() : 0);
                    }
                }
                versions.writeLost();
                if (attempt + 1 >= PUBLISH_ATTEMPTS) {
                    // other writers of a shared storage (cluster nodes) won every race: a conflict, retryable
                    throw new CommitContentionException(storage.describe(), attempt + 1);
                }
                batch = applied;
            }
        } catch (RuntimeException | Error e) {
            // every drained request must end done: a follower whose request is left undone would
            // find nothing queued when it takes the mutex and report a commit that never happened
            ProtoBaseException failure = e instanceof ProtoBaseException p ? p
                    : new StorageException("Commit failed on " + storage.describe() + ": " + e, e);
            for (CommitRequest r : drained) {
                if (!r.done) {
                    r.fail(failure);
                }
            }
            if (e instanceof Error error) {
                throw error;
            }
            return null;
        }
    }

    /**
     * Publishes the current version with its atoms moved out of the segments {@code relocation}
     * empties, as a new version (compaction's commit). It rewrites without the commit mutex and
     * publishes only if no commit was published meanwhile; otherwise it rewrites the newer version,
     * which costs only that commit's atoms since the rest was rewritten already. After a few lost
     * races it rewrites holding the mutex, so that it ends even under a steady stream of commits,
     * which then wait for it but never fail because of it.
     *
     * @return the version published, or the current one when nothing needed moving
     */
    SpaceState publishRelocated(AtomRelocation relocation) {
        return publishCompaction(base -> relocatedCatalog(base, relocation));
    }

    /**
     * Publishes, unless the version it would build on carries it already, a version with the same catalog
     * that carries the history floor ({@link SpaceVersions#historyFloor()}), and waits until it is durable:
     * compaction's release of what history no longer keeps must not come before the floor is on disk,
     * or a reopened space would offer versions whose atoms are gone.
     *
     * @return the version published, or the one that already carried the floor
     */
    SpaceState publishHistoryFloor() {
        SpaceState s = publishCompaction(base -> base.historyFloor() >= versions.historyFloor() ? null
                : base.catalog());
        // a version written by a commit may carry the floor already and still be on its way to disk
        versions.pendingOf(s).await();
        return s;
    }

    /**
     * Publishes compaction's version: the catalog {@code catalogOf} makes of the version it builds on
     * ({@code null}: nothing to publish), redone on top of a commit that wins the race; waits until it is
     * durable.
     */
    private SpaceState publishCompaction(Function<SpaceState, Dictionary> catalogOf) {
        for (int attempt = 0; ; attempt++) {
            boolean rewriteUnderMutex = attempt >= 3;
            SpaceState base = null;
            Dictionary catalog = null;
            if (!rewriteUnderMutex) {
                base = versions.baseState();
                catalog = catalogOf.apply(base);
                if (catalog == null) {
                    return base; // nothing to publish: no commit, and no wait for the commits running now
                }
            }
            Publication publication;
            Object mark = retention.markInFlight();
            commitMutex.lock();
            try {
                if (rewriteUnderMutex) {
                    base = versions.baseState();
                    catalog = catalogOf.apply(base);
                } else if (versions.baseState() != base) {
                    continue;
                }
                if (catalog == null) {
                    return base;
                }
                publication = writeRelocated(base, catalog);
            } finally {
                commitMutex.unlock();
                handOff();
                retention.landed(mark);
            }
            if (publication != null) {
                publication.pending().await();
                versions.advance(publication.state());
                batches.increment();
                return publication.state();
            }
        }
    }

    /** The catalog of {@code base} with its atoms relocated, or {@code null} when none moved. */
    private Dictionary relocatedCatalog(SpaceState base, AtomRelocation relocation) {
        byte[] before = store.encodeValue(DbObject.of("catalog", base.catalog()));
        byte[] after = relocation.relocateIn(before);
        if (Arrays.equals(before, after)) {
            return null;
        }
        return (Dictionary) ((DbObject) store.decodeValue(after)).getAt("catalog");
    }

    /** Writes compaction's version on top of {@code base}; {@code null} when another process moved the root. */
    private Publication writeRelocated(SpaceState base, Dictionary catalog) {
        try (CommitLock lock = storage.acquireCommitLock(lockTimeout)) {
            SpaceState next = versions.next(base, catalog);
            AtomPointer pointer = store.writeRecord(next.toRecord());
            PendingRoot pending = storage.compareAndSetRootPipelined(lock, base.pointer(), pointer);
            if (pending == null) {
                versions.writeLost();
                return null;
            }
            SpaceState published = versions.recordWritten(next, pointer, catalog, pending);
            return new Publication(pending, published, List.of(), 0);
        }
    }

    /** One queued catalog change, completed by whichever thread runs its batch. */
    private static final class CommitRequest {
        final UnaryOperator<Dictionary> change;
        /** The committing thread, parked until this request is done or the mutex is handed to it. */
        final Thread waiter = Thread.currentThread();
        /** Taken into a batch by a leader, which completes it. */
        volatile boolean drained;
        volatile boolean done;
        volatile ProtoBaseException failure;

        CommitRequest(UnaryOperator<Dictionary> change) {
            this.change = change;
        }

        void succeed() {
            done = true;
            LockSupport.unpark(waiter);
        }

        void fail(ProtoBaseException e) {
            failure = e;
            done = true;
            LockSupport.unpark(waiter);
        }
    }
}
