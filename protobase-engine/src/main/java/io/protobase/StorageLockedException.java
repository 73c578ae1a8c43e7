package io.protobase;

/**
 * A storage location is already in use by another storage instance, in this process or another
 * one. The message names the location and, when known, the holder's process id.
 */
public class StorageLockedException extends StorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the location in use and, when known, the holder
     */
    public StorageLockedException(String message) {
        super(message);
    }
}
