package io.protobase;

/**
 * A transaction was used in a way its state does not allow: after commit or abort, a write in a
 * read-only transaction or historical snapshot, or a commit of a transaction that already failed.
 */
public class TransactionStateException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was attempted and the state that forbids it
     */
    public TransactionStateException(String message) {
        super(message);
    }
}
