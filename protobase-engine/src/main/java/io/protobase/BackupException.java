package io.protobase;

/**
 * An online backup ({@link ObjectSpace#backup}) could not be written: the target is not a new or
 * empty directory, or writing it failed. Nothing was left at the target; the object space and its
 * storage are unaffected.
 */
public class BackupException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the backup could not be written, naming the target
     */
    public BackupException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message why the backup could not be written, naming the target
     * @param cause   the underlying failure
     */
    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
