package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * {@code protobase.storage.type} names a backend this application cannot build. Thrown when the
 * storage bean is created, instead of silently falling back to another backend.
 */
public class StorageTypeNotAvailableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final StorageType type;

    public StorageTypeNotAvailableException(StorageType type) {
        super("protobase.storage.type=" + type + " is not available: the " + type
                + " storage backend needs its own module and configuration, which this application does not have");
        this.type = type;
    }

    /** The type asked for. */
    public StorageType type() {
        return type;
    }
}
