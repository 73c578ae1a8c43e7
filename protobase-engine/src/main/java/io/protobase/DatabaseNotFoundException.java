package io.protobase;

/** A database name is not in the object space's catalog (never created, renamed or removed). */
public class DatabaseNotFoundException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    public DatabaseNotFoundException(String message) {
        super(message);
    }
}
