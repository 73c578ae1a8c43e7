package io.protobase;

/**
 * A value cannot be stored: its type is not one the atom codec supports, it cannot be used as a key
 * (collections are not ordered), or it exceeds a size limit. The message names the type or the size
 * and the supported alternatives.
 */
public class UnsupportedValueException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which type or size is not supported, and the alternatives
     */
    public UnsupportedValueException(String message) {
        super(message);
    }
}
