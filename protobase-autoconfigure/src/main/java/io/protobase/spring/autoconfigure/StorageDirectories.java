package io.protobase.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The local directories the storage configurations open ({@code protobase.storage.file.path},
 * {@code protobase.storage.cloud.cache-dir}), checked up front so that the failure names the
 * property and the actual problem (a file where a directory is expected, missing permissions)
 * rather than an I/O call's exception.
 */
final class StorageDirectories {

    private StorageDirectories() {
    }

    /** The configured directory, absolute and created when missing, or a failure naming {@code property}. */
    static Path usable(String property, Path configured) {
        Path directory = configured.toAbsolutePath().normalize();
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new StorageDirectoryUnusableException(property, directory, "it is a file, not a directory",
                    "Set " + property + " to a directory (it is created when missing), or move the file "
                            + directory + " away.", null);
        }
        Path existing = directory.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw new StorageDirectoryUnusableException(property, directory, "it cannot be created: " + existing
                    + " is a file, not a directory", "Set " + property + " to a path under a directory, or move the "
                    + "file " + existing + " away.", null);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageDirectoryUnusableException(property, directory, "it cannot be created (" + e + ")",
                    "Set " + property + " to a directory this process can create and write, or fix the permissions "
                            + "of " + (existing != null ? existing : directory) + ".", e);
        }
        if (!Files.isWritable(directory)) {
            throw new StorageDirectoryUnusableException(property, directory, "it is not writable by this process",
                    "Set " + property + " to a directory this process can write, or fix the permissions of "
                            + directory + ".", null);
        }
        return directory;
    }
}
