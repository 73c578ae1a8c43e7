package io.protobase.storage.file;

import io.protobase.StorageException;
import io.protobase.StorageLockedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directory of a file storage: its WAL segment files ({@code wal-<id>.pbl}), its manifest
 * ({@code protobase.manifest}), the record of the segments compaction released
 * ({@code protobase.released}) and its lock file ({@code protobase.lock}). Exclusive ownership is an
 * OS file lock on the lock file, which the operating system releases when the owning process dies,
 * so a killed process never blocks the next start; the lock file records the owner's process id for
 * error messages.
 */
public final class FileBlockProvider {

    static final String LOCK_FILE = "protobase.lock";

    private final Path directory;
    private final FileAccess access;

    /** A provider on {@code directory} (created when missing) using the platform file system. */
    public FileBlockProvider(Path directory) {
        this(directory, FileAccess.DEFAULT);
    }

    /** A provider on {@code directory} using {@code access} to open files. */
    public FileBlockProvider(Path directory, FileAccess access) {
        this.directory = directory.toAbsolutePath().normalize();
        this.access = access;
    }

    /** The directory. */
    public Path directory() {
        return directory;
    }

    /** Creates the directory if needed and takes its exclusive lock. */
    DirectoryLock lock() {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageException("Cannot create the storage directory " + directory + ": " + e.getMessage()
                    + "; check the path and its permissions", e);
        }
        if (!Files.isWritable(directory)) {
            throw new StorageException("The storage directory " + directory + " is not writable; fix its permissions "
                    + "or choose another directory");
        }
        Path lockPath = directory.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("Cannot open the lock file " + lockPath + ": " + e.getMessage(), e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            String holder = holder(channel);
            close(channel);
            throw new StorageLockedException("The storage directory " + directory + " is already open in this process"
                    + holder + "; close the other storage on it first, or use another directory");
        } catch (IOException e) {
            close(channel);
            throw new StorageException("Cannot lock " + lockPath + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            String holder = holder(channel);
            close(channel);
            throw new StorageLockedException("The storage directory " + directory + " is locked by another process"
                    + holder + "; stop that process or use another directory");
        }
        try {
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(false);
        } catch (IOException e) {
            close(channel);
            throw new StorageException("Cannot write the lock file " + lockPath + ": " + e.getMessage(), e);
        }
        return new DirectoryLock(channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            int n = channel.read(b, 0);
            String pid = n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d+") ? " (PID " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to release
        }
    }

    /** Segment ids present in the directory, ascending. */
    List<Long> segmentIds() {
        List<Long> ids = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            files.forEach(p -> {
                long id = WalFormat.segmentId(p.getFileName().toString());
                if (id >= 0) {
                    ids.add(id);
                }
            });
        } catch (IOException e) {
            throw new StorageException("Cannot list the storage directory " + directory + ": " + e.getMessage(), e);
        }
        Collections.sort(ids);
        return ids;
    }

    Path segmentPath(long id) {
        return directory.resolve(WalFormat.fileName(id));
    }

    FileChannel openSegment(long id, boolean create) throws IOException {
        return create
                ? access.open(segmentPath(id), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)
                : access.open(segmentPath(id), StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Opens the manifest ({@link LogManifest#FILE}); without {@code create}, returns {@code null}
     * when there is none.
     */
    FileChannel openManifest(boolean create) throws IOException {
        Path path = directory.resolve(LogManifest.FILE);
        if (create) {
            return access.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return Files.exists(path) ? access.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE) : null;
    }

    /**
     * Opens the release log ({@link ReleaseLog#FILE}); without {@code create}, returns {@code null}
     * when there is none.
     */
    FileChannel openReleaseLog(boolean create) throws IOException {
        Path path = directory.resolve(ReleaseLog.FILE);
        if (create) {
            return access.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return Files.exists(path) ? access.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE) : null;
    }

    void syncDirectory() throws IOException {
        access.syncDirectory(directory);
    }

    @Override
    public String toString() {
        return directory.toString();
    }

    /** The held lock; closing releases it. */
    static final class DirectoryLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        DirectoryLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException ignored) {
                // released with the channel below
            }
            FileBlockProvider.close(channel);
        }
    }
}
