package io.protobase;

/** A rename would overwrite a database that already exists under the target name. */
public class DatabaseExistsException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the database name already taken
     */
    public DatabaseExistsException(String message) {
        super(message);
    }
}
