package io.protobase.spring.storage;

import io.protobase.StorageException;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The file storages open in this JVM, shared by reference count and keyed by the directory's real
 * path.
 *
 * <p>A file storage holds an exclusive OS lock on its directory, so a second storage on the same
 * directory fails. Inside one JVM that is what Spring's test-context cache (two cached contexts
 * configured alike) and DevTools restarts (a new context built while class loaders change) would
 * run into. Instead, every Spring context of the JVM {@linkplain #lease leases} the one open
 * storage of a directory; each lease behaves as its own storage, and the last lease to close
 * closes it. Several object spaces on one storage are safe: each commit takes the storage's commit
 * lock and compare-and-sets its root, exactly as separate processes would. Another
 * <em>process</em> still fails fast with {@link io.protobase.StorageLockedException} naming its PID.
 *
 * <p>The first lease's options (fsync, segment size) apply to the shared storage; a later lease
 * asking for other options gets the open storage and a warning.
 */
public final class FileStorageRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(FileStorageRegistry.class);
    private static final Map<Path, Entry> OPEN = new HashMap<>();

    private FileStorageRegistry() {
    }

    /**
     * Leases the storage of {@code directory} (created when missing), opening it with {@code options}
     * unless this JVM already has it open.
     *
     * @throws StorageException when the directory cannot be created or used
     * @throws io.protobase.StorageLockedException when another process holds it
     */
    public static LeasedFileStorage lease(Path directory, StandaloneFileStorage.Options options) {
        Path real = realDirectory(directory);
        synchronized (OPEN) {
            Entry entry = OPEN.get(real);
            if (entry == null) {
                entry = new Entry(real, new StandaloneFileStorage(new FileBlockProvider(real), options), options);
                OPEN.put(real, entry);
            } else if (!entry.options.equals(options)) {
                LOG.warn("The file storage at {} is already open in this JVM with {}; sharing it, {} is ignored",
                        real, entry.options, options);
            }
            entry.references++;
            return new LeasedFileStorage(entry);
        }
    }

    /** How many leases of {@code directory} are open in this JVM (0 when it is not open). */
    public static int leases(Path directory) {
        synchronized (OPEN) {
            Entry entry = OPEN.get(directory.toAbsolutePath().normalize());
            if (entry == null && Files.isDirectory(directory)) {
                try {
                    entry = OPEN.get(directory.toRealPath());
                } catch (IOException e) {
                    return 0;
                }
            }
            return entry == null ? 0 : entry.references;
        }
    }

    private static Path realDirectory(Path directory) {
        Path absolute = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute);
            return absolute.toRealPath();
        } catch (IOException e) {
            throw new StorageException("Cannot create the storage directory " + absolute + ": " + e
                    + "; check the path and its permissions, or choose another directory", e);
        }
    }

    /** One open storage and its lease count; guarded by {@link #OPEN}. */
    static final class Entry {
        private final Path directory;
        private final StandaloneFileStorage storage;
        private final StandaloneFileStorage.Options options;
        private int references;

        Entry(Path directory, StandaloneFileStorage storage, StandaloneFileStorage.Options options) {
            this.directory = directory;
            this.storage = storage;
            this.options = options;
        }

        Path directory() {
            return directory;
        }

        StandaloneFileStorage storage() {
            return storage;
        }

        StandaloneFileStorage.Options options() {
            return options;
        }

        /**
         * Runs {@code action} under the registry's lock if this storage has one lease, else returns
         * {@code otherwise}.
         */
        <T> T whileSole(Supplier<T> action, T otherwise) {
            synchronized (OPEN) {
                return references == 1 ? action.get() : otherwise;
            }
        }

        /** Closes under the registry's lock, so a new lease cannot race the old storage's directory lock. */
        void release() {
            synchronized (OPEN) {
                if (--references > 0) {
                    return;
                }
                OPEN.remove(directory);
                storage.close();
            }
        }
    }
}
