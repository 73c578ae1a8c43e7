package io.protobase.storage.file;

import io.protobase.StorageClosedException;
import io.protobase.StorageException;

import java.nio.file.Path;

/**
 * Whether a file storage can still be used: not closed, and not poisoned. A failed write, fsync or
 * manifest write poisons it for good, because the state of the file is then unknown (as
 * PostgreSQL does after a failed fsync): every later call fails until the storage is reopened and
 * recovery has found what is really on disk.
 */
final class LogHealth {

    private final Path directory;
    /** Set under the {@link LogWriter}'s lock (see {@link LogWriter#shut()}), so no append is half done. */
    private volatile boolean closed;
    private volatile Throwable poisoned;

    LogHealth(Path directory) {
        this.directory = directory;
    }

    /** Records the first failure; later calls keep it. */
    void poison(Throwable cause) {
        if (poisoned == null) {
            poisoned = cause;
        }
    }

    /** The failure that poisoned the storage, or {@code null}. */
    Throwable poisoned() {
        return poisoned;
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the storage closed; the caller holds the {@link LogWriter}'s lock. */
    void markClosed() {
        closed = true;
    }

    /** Fails with a clear exception when the storage is closed or poisoned; {@code what} names the refused call. */
    void ensureUsable(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": the file storage at " + directory + " is closed");
        }
        Throwable p = poisoned;
        if (p != null) {
            throw new StorageException("Cannot " + what + ": the file storage at " + directory
                    + " failed earlier (" + p + ") and must be reopened; recovery keeps every durable commit", p);
        }
    }
}
