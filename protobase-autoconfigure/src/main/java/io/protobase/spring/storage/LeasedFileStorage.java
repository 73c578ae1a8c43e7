package io.protobase.spring.storage;

import io.protobase.StorageClosedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.StandaloneFileStorage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One holder's share of a file storage opened through {@link FileStorageRegistry}: every call goes
 * to the shared {@link StandaloneFileStorage}; {@link #close()} gives the share back (once), and
 * the storage itself closes when its last share is given back.
 */
public final class LeasedFileStorage implements SharedStorage {

    private final FileStorageRegistry.Entry entry;
    private final AtomicBoolean released = new AtomicBoolean();

    LeasedFileStorage(FileStorageRegistry.Entry entry) {
        this.entry = entry;
    }

    /** The storage directory (its real path). */
    public Path directory() {
        return entry.directory();
    }

    /**
     * The options the shared storage runs with: those of the first lease of its directory in this
     * JVM, which may differ from the ones this lease asked for (see {@link FileStorageRegistry}).
     */
    public StandaloneFileStorage.Options options() {
        return entry.options();
    }

    /** Whether this lease was given back, or the shared storage closed. */
    public boolean isClosed() {
        return released.get();
    }

    private StandaloneFileStorage storage() {
        if (released.get()) {
            throw new StorageClosedException("This lease of the file storage at " + entry.directory()
                    + " was closed; open the storage again");
        }
        return entry.storage();
    }

    @Override
    public AtomPointer push(byte[] atom) {
        return storage().push(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        return storage().read(pointer);
    }

    @Override
    public AtomPointer readRoot() {
        return storage().readRoot();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        return storage().acquireCommitLock(timeout);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        return storage().compareAndSetRoot(lock, expected, newRoot);
    }

    @Override
    public PendingRoot compareAndSetRootPipelined(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        return storage().compareAndSetRootPipelined(lock, expected, newRoot);
    }

    /**
     * The shared storage's reclaimer, which releases segments only while this lease is the only one
     * of its directory: the object space of another lease may still read versions this space's
     * compaction does not know of (its open transactions, history views, running backups). While
     * the storage is shared, compaction finds no segment to rewrite or release.
     */
    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return storage().reclaimer().map(SoleLeaseReclaimer::new);
    }

    @Override
    public void flush() {
        storage().flush();
    }

    @Override
    public String describe() {
        return entry.storage().describe();
    }

    /** Gives this share back; the last one closes the storage. Idempotent. */
    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            entry.release();
        }
    }

    @Override
    public String toString() {
        return "LeasedFileStorage[" + entry.directory() + "]";
    }

    /**
     * Lists and releases segments only while no other lease of the directory is open, checked under
     * the registry's lock, so that no lease can be taken between the check and the release.
     */
    private final class SoleLeaseReclaimer implements SegmentReclaimer {

        private final SegmentReclaimer shared;

        SoleLeaseReclaimer(SegmentReclaimer shared) {
            this.shared = shared;
        }

        @Override
        public List<Segment> segments() {
            storage();
            return entry.whileSole(shared::segments, List.of());
        }

        @Override
        public long writingSegment() {
            storage();
            return shared.writingSegment();
        }

        @Override
        public void release(Collection<Long> ids) {
            storage();
            entry.whileSole(() -> {
                shared.release(ids);
                return null;
            }, null);
        }

        /** Any lease may size segments: a shared directory just gets smaller ones. */
        @Override
        public void limitSegmentSize(long bytes) {
            storage();
            shared.limitSegmentSize(bytes);
        }
    }
}
