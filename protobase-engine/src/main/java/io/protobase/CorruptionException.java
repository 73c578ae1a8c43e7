package io.protobase;

/**
 * Stored bytes are not what ProtoBase wrote: a bad checksum, a truncated or malformed atom, a
 * pointer to nothing, or a format version this build does not understand. The message names the
 * atom pointer, file or object and offset. No data is ever returned from a corrupt atom; restore
 * the affected storage from a backup or replica.
 */
public class CorruptionException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is corrupt, naming the pointer, file or object and offset
     */
    public CorruptionException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what is corrupt, naming the pointer, file or object and offset
     * @param cause   the underlying failure
     */
    public CorruptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
