package io.protobase;

/**
 * The storage backend failed to do what was asked (an I/O error, a timeout on the commit lock, an
 * unreachable service). The message says which operation failed on which storage; when a commit
 * fails this way nothing of it was acknowledged.
 */
public class StorageException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which operation failed on which storage, and what to do
     */
    public StorageException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message which operation failed on which storage, and what to do
     * @param cause   the underlying failure
     */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
