package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

import java.nio.file.Path;

/**
 * The directory named by a storage property ({@code protobase.storage.file.path},
 * {@code protobase.storage.cloud.cache-dir}) cannot be used: it is a file, a parent of it is a
 * file, or it cannot be created or written. Thrown before the storage opens; carries the property
 * and what to change, for the startup failure report.
 */
public class StorageDirectoryUnusableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final String property;
    private final transient Path path;
    private final String action;

    public StorageDirectoryUnusableException(String property, Path path, String reason, String action,
            Throwable cause) {
        super("The storage directory " + path + " (" + property + ") cannot be used: " + reason, cause);
        this.property = property;
        this.path = path;
        this.action = action;
    }

    /** The property that names the directory. */
    public String property() {
        return property;
    }

    /** The directory, absolute. */
    public Path path() {
        return path;
    }

    /** What to change so that the storage opens. */
    public String action() {
        return action;
    }
}
