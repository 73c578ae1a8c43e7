package io.protobase.storage;

/**
 * Exclusive right to publish a new root, held by one committer at a time. Distributed storages
 * give each grant a strictly increasing fencing {@link #term()}; a root update carrying a term that
 * is no longer current is refused, so a writer that lost its lock (a paused or partitioned process)
 * can never overwrite a newer root. Closing the lock releases it.
 */
public interface CommitLock extends AutoCloseable {

    /** Returns the fencing term of this grant, strictly greater than every earlier grant's. */
    long term();

    /** Releases the lock; idempotent. */
    @Override
    void close();
}
