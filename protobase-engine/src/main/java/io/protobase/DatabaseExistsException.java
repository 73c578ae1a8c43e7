package io.protobase;

/** A rename would overwrite a database that already exists under the target name. */
public class DatabaseExistsException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    public DatabaseExistsException(String message) {
        super(message);
    }
}
