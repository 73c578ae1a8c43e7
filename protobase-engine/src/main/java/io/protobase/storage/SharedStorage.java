package io.protobase.storage;

import java.time.Duration;
import java.util.Optional;

/**
 * The storage SPI: immutable atoms addressed by {@link AtomPointer}, plus one mutable cell, the
 * root pointer, updated only by compare-and-set under a {@link CommitLock}.
 *
 * <p>Contract every backend honours (checked by the storage contract test suite):
 * <ul>
 *   <li>{@link #push} may buffer, but the bytes are readable at once by this process;</li>
 *   <li>{@link #compareAndSetRoot} is atomic and returns only when the new root <em>and every atom
 *       pushed before it</em> are as durable as the backend promises;</li>
 *   <li>{@link #close} is idempotent and waits for background work; any other call after close
 *       throws {@link io.protobase.StorageClosedException}.</li>
 * </ul>
 * Implementations are thread-safe. Storage knows bytes and pointers only, never collections.
 */
public interface SharedStorage extends AutoCloseable {

    /** Stores the bytes of one atom and returns its pointer. */
    AtomPointer push(byte[] atom);

    /**
     * {@link #push}, with {@code atom} handed over: the caller never changes the array again, so a
     * storage that keeps atoms as arrays on the heap may keep this one rather than a copy of it. The
     * default is {@link #push}.
     */
    default AtomPointer pushOwned(byte[] atom) {
        return push(atom);
    }

    /** Reads the bytes of an atom; a pointer to nothing is a {@link io.protobase.CorruptionException}. */
    byte[] read(AtomPointer pointer);

    /** Returns the current root pointer, or {@code null} for a storage nobody has committed to yet. */
    AtomPointer readRoot();

    /**
     * Returns the root a commit may build on. {@link #compareAndSetRoot} checks the expected root against the
     * latest one in any case, so a storage may answer with a root it knows locally and that may be older than
     * what {@link #readRoot()} would return, when that saves what {@link #readRoot()} costs (a cluster node's
     * read index at the leader); a commit built on an old root loses its compare-and-set and is rebased on the
     * root read then. The default is {@link #readRoot()}.
     */
    default AtomPointer readRootToCommitOn() {
        return readRoot();
    }

    /** Acquires the commit lock, waiting at most {@code timeout}. */
    CommitLock acquireCommitLock(Duration timeout);

    /**
     * Replaces the root with {@code newRoot} if it still equals {@code expected} ({@code null}
     * meaning "no root yet") and {@code lock} is the current grant; durable on return.
     *
     * @return {@code false} when the root is no longer {@code expected}; nothing changed then
     */
    boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot);

    /**
     * Like {@link #compareAndSetRoot}, but may return once the update is written and before it is
     * durable, so the caller can release the commit lock and let the next batch of commits be
     * written while this one is being forced to disk (pipelined group commit). Under the commit
     * lock, later updates take {@code newRoot} as their expected root at once; {@link #readRoot()}
     * returns it only once it is durable. The caller acknowledges nothing before
     * {@link PendingRoot#await()} returns. The default is {@link #compareAndSetRoot} itself.
     *
     * @return the pending update, or {@code null} when the root is no longer {@code expected}
     */
    default PendingRoot compareAndSetRootPipelined(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        return compareAndSetRoot(lock, expected, newRoot) ? PendingRoot.DURABLE : null;
    }

    /**
     * Returns the storage's capability to release segments of atoms no retained version reaches any
     * more, or empty when it never gives space back (then compaction rewrites nothing).
     */
    default Optional<SegmentReclaimer> reclaimer() {
        return Optional.empty();
    }

    /** Makes every pushed atom durable. */
    void flush();

    /** Returns a short description for logs and health: backend type and location. */
    String describe();

    /** Flushes and releases every resource; idempotent. */
    @Override
    void close();
}
