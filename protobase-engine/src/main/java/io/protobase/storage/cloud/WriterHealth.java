package io.protobase.storage.cloud;

import io.protobase.FencedException;
import io.protobase.StorageClosedException;

import java.util.Optional;

/**
 * Whether a {@link CloudFileStorage} may still work: closed, or fenced by a newer writer. A closed
 * storage refuses everything; a fenced one still serves reads (of its local log and the bucket) but
 * refuses every write with the {@link FencedException} that fenced it. Read without a lock by every
 * caller; the uploader records the fence under the upload monitor, together with the failure.
 */
final class WriterHealth {

    private final String storage;
    private volatile boolean closed;
    private volatile FencedException fence;
    private volatile CloudFileStorage.Fencing fencing;

    /**
     * @param storage the storage's description, for the messages
     */
    WriterHealth(String storage) {
        this.storage = storage;
    }

    /**
     * Fails unless the storage may do {@code what}: a closed storage does nothing, a fenced one only
     * what starts with "read".
     */
    void ensureOpen(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": " + storage + " is closed");
        }
        FencedException f = fence;
        if (f != null && !what.startsWith("read")) {
            throw new FencedException("Cannot " + what + ": " + f.getMessage());
        }
    }

    boolean isClosed() {
        return closed;
    }

    void markClosed() {
        closed = true;
    }

    /** The exception that fenced this writer, or null while it writes the prefix. */
    FencedException fence() {
        return fence;
    }

    /** Fails with a fresh {@link FencedException} when a newer writer fenced this one. */
    void ensureNotFenced() {
        FencedException f = fence;
        if (f != null) {
            throw new FencedException(f.getMessage());
        }
    }

    void fenced(CloudFileStorage.Fencing how, FencedException e) {
        fencing = how;
        fence = e;
    }

    Optional<CloudFileStorage.Fencing> fencing() {
        return Optional.ofNullable(fencing);
    }
}
