package io.protobase;

/** A database name is not in the object space's catalog (never created, renamed or removed). */
public class DatabaseNotFoundException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the missing database name and what to do
     */
    public DatabaseNotFoundException(String message) {
        super(message);
    }
}
