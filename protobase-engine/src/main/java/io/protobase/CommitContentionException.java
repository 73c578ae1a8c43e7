package io.protobase;

/**
 * A commit lost the race to publish its version to other writers of a shared storage too often in a
 * row: each time it was rebased onto the version that won (no key it read had changed), and each
 * time another writer published again before it. It happens on a storage shared by several
 * processes, such as the nodes of a cluster storage, under heavy contention. Nothing of the
 * transaction was published, so it is a {@link ConflictException}: safe to retry, and
 * {@link Database#write} retries it after a jittered back-off like any conflict.
 */
public class CommitContentionException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final int attempts;

    /**
     * Creates the exception.
     *
     * @param storage  the storage's description (backend and location)
     * @param attempts how often the commit tried to publish before it gave up
     */
    public CommitContentionException(String storage, int attempts) {
        super("The commit lost the race to publish the root of " + storage + " " + attempts + " times in a row to"
                + " commits of other writers sharing it (other cluster nodes, or processes writing without this"
                + " one's commit lock); nothing was committed. Retry the transaction (Database.write retries"
                + " automatically, with back-off); if it keeps happening, fewer writers on the same data at once"
                + " or a longer back-off will let it through.", null, null);
        this.attempts = attempts;
    }

    /**
     * How often the commit tried to publish before it gave up.
     *
     * @return the number of lost attempts
     */
    public int attempts() {
        return attempts;
    }
}
