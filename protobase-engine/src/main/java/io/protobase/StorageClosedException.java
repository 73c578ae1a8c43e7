package io.protobase;

/** An operation was attempted on a storage (or an object space) after it was closed. */
public class StorageClosedException extends StorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the operation attempted and the closed storage
     */
    public StorageClosedException(String message) {
        super(message);
    }
}
