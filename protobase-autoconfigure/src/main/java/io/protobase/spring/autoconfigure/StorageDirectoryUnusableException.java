package io.protobase.spring.autoconfigure;

import java.nio.file.Path;

/** The directory of {@code protobase.storage.file.path} cannot be created or written. */
public class StorageDirectoryUnusableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final Path path;

    public StorageDirectoryUnusableException(Path path, String reason, Throwable cause) {
        super("The storage directory " + path + " (protobase.storage.file.path) cannot be used: " + reason, cause);
        this.path = path;
    }

    /** The directory, absolute. */
    public Path path() {
        return path;
    }
}
