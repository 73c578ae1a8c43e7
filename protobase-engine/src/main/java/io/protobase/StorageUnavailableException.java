package io.protobase;

/**
 * A remote service the storage depends on (S3, a quorum of peers) could not be reached or did not
 * answer in time. The message names the service and the operation. Retrying later can succeed.
 *
 * <p>For a commit in {@code durability=sync} mode this means the commit is not confirmed remotely:
 * it is durable in the local log and the background uploader ships it once the service is back, so
 * its outcome is <em>unknown</em> to the caller until then (as with any lost reply from a database).
 */
public class StorageUnavailableException extends StorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which service could not be reached for which operation
     */
    public StorageUnavailableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message which service could not be reached for which operation
     * @param cause   the underlying failure
     */
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
