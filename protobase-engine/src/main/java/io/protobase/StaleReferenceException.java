package io.protobase;

/**
 * A commit would have written a reference to stored data that compaction has released: the
 * transaction wrote a collection or record read in an earlier transaction, whose version is no
 * longer retained (see "Values belong to the version they were read from" in the concepts guide).
 * Nothing was committed, and the exception is not retried: writing the same object again would fail
 * the same way. Keep keys rather than collections across transactions, and read the value again
 * inside the transaction that writes it.
 */
public class StaleReferenceException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * @param reference the pointer written, whose stored data is gone, as the storage prints it (a
     *                  text, so that this exception, like every other, depends on no layer of the engine)
     * @param cause     the failed read that showed it
     */
    public StaleReferenceException(String reference, CorruptionException cause) {
        super("The commit writes a reference to " + reference + ", stored data that compaction has released: a "
                + "collection or record kept from an earlier transaction, whose version is no longer retained, was "
                + "written again. Nothing was committed. Read the value again inside the transaction that writes it ("
                + cause.getMessage() + ")", cause);
    }
}
