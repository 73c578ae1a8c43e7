package io.protobase.storage.cloud;

import io.protobase.StorageException;
import io.protobase.StorageLockedException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * The cache directory of one cloud storage: its lock ({@code cloud.lock}), held from open to
 * close so that no other storage, in this or another process, writes the same local log, and the
 * id of the log it holds ({@code log-id}), which tells whether that log continues the bucket's
 * history. Layout: {@code docs/cloud.md}.
 */
final class CacheDirectory implements AutoCloseable {

    private static final String LOG_ID_FILE = "log-id";
    private static final String LOCK_FILE = "cloud.lock";

    private final Path dir;
    private final Path walDirectory;
    private final FileChannel lockChannel;
    private final FileLock lock;

    /**
     * Creates the directory when missing and locks it.
     *
     * @throws StorageLockedException when another storage holds it
     */
    CacheDirectory(Path dir, Path walDirectory) {
        this.dir = dir;
        this.walDirectory = walDirectory;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("Cannot create the cache directory " + dir + ": " + e.getMessage()
                    + "; check protobase.storage.cloud.cache-dir and its permissions", e);
        }
        FileLock locked;
        try {
            locked = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            locked = null;
        } catch (IOException e) {
            close(null);
            throw new StorageException("Cannot prepare the cache directory " + dir + ": " + e.getMessage(), e);
        }
        if (locked == null) {
            close(null);
            throw new StorageLockedException("The cache directory " + dir + " is in use by another cloud storage "
                    + "(in this or another process); give each storage its own cache-dir");
        }
        this.lock = locked;
    }

    /** The id of the log in the cache directory, or null when it holds none. */
    String logId() throws IOException {
        boolean hasSegments = false;
        if (Files.isDirectory(walDirectory)) {
            try (Stream<Path> files = Files.list(walDirectory)) {
                hasSegments = files.anyMatch(p -> p.getFileName().toString().endsWith(".pbl"));
            }
        }
        Path idFile = dir.resolve(LOG_ID_FILE);
        if (!hasSegments) {
            return null;
        }
        if (!Files.exists(idFile)) {
            throw new StorageException("The cache directory " + dir + " holds a log without its "
                    + LOG_ID_FILE + " file; it was not written by a cloud storage. Use an empty cache-dir");
        }
        return Files.readString(idFile).trim();
    }

    /** Records the id of the log the directory holds from now on. */
    void recordLogId(String logId) throws IOException {
        Files.writeString(dir.resolve(LOG_ID_FILE), logId + "\n");
    }

    /** Releases the lock. */
    @Override
    public void close() {
        close(lock);
    }

    private void close(FileLock held) {
        try {
            if (held != null) {
                held.release();
            }
            lockChannel.close();
        } catch (IOException ignored) {
            // released with the process
        }
    }
}
