package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Single-node persistence: a crash-safe write-ahead log of atoms and commit records in a directory.
 *
 * <pre>{@code
 * SharedStorage storage = new StandaloneFileStorage(new FileBlockProvider(Path.of("data")));
 * }</pre>
 *
 * <h2>Design</h2>
 * Every atom is appended as a checksummed record to the current segment file; its pointer is
 * {@code (segment id, record offset)}. A root update appends a <em>commit record</em> carrying the
 * new root, its sequence number and the previous root, writes the log to the OS and (with
 * {@link FsyncPolicy#COMMIT}) fsyncs every segment with unsynced bytes before returning: the commit
 * record is durable only after every atom it references. The engine publishes a whole batch of
 * concurrent transactions with one root update, so concurrent committers share one fsync (group
 * commit). Segments rotate at {@link Options#segmentSize()}; each new segment starts with a
 * checkpoint record repeating the current root, so recovery reads only the last segment.
 *
 * <p>Recovery on open scans the last segment forward from its checkpoint and keeps everything up to
 * the last valid commit record; a torn tail and records after the last commit are truncated. Each
 * commit record carries how far its segment had been fsynced when it was written. Bytes beyond
 * that may be lost, torn or reordered by a power loss, so a damaged record followed only by commit
 * records that did not yet count it as fsynced is a torn tail too; a damaged record that a later
 * valid commit record counts as fsynced is not: opening fails with a {@link CorruptionException}
 * naming the file and offset, never silently dropping acknowledged commits. (Damage to the last
 * commit's own records cannot be told from a torn write of them; recovery keeps the commit before.)
 * Reads verify each record's CRC32C, so damage in older segments is reported on access.
 * A clean {@link #close()} ends the log with a close record once everything before it is fsynced;
 * the next open finds it in the last bytes of the file and takes the root from it without scanning.
 *
 * <p>A torn tail is expected only where a crash can leave one. A {@link LogManifest}, written at
 * open, rotation and clean close (never by a commit), says whether the log was closed cleanly, and
 * then how long its last segment is, and which segment and sequence recovery must reach; each
 * segment's checkpoint records the final length of the segment sealed before it. A log cut short
 * against these is damage: the open fails with a {@link CorruptionException} naming the file and
 * changes nothing. Likewise a segment without a valid checkpoint is deleted only when its content is
 * exactly what an interrupted creation of it leaves.
 *
 * <p>An fsync failure poisons the storage (further calls fail) because the state of the file is then
 * unknown, as PostgreSQL does.
 *
 * <p>This class is the façade: it checks that the storage is usable and delegates to the
 * package's pieces, the segment registry ({@code Segments}), the log writer ({@code LogWriter}),
 * group commit ({@code GroupSync}, {@code IntervalFsync}) and recovery ({@code LogRecovery}); the
 * package documentation says which lock guards what and what is durable when.
 *
 * <p>The format is specified in {@code docs/file-format.md}. Thread-safe.
 */
public final class StandaloneFileStorage implements SharedStorage {

    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFileStorage.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    /**
     * Settings of a file storage.
     *
     * @param fsync when commits are forced to disk
     * @param fsyncInterval with {@link FsyncPolicy#INTERVAL}, the longest time between fsyncs
     * @param segmentSize size at which a new segment file is started
     */
    public record Options(FsyncPolicy fsync, Duration fsyncInterval, long segmentSize) {

        /** fsync on commit, 1 s interval (unused), 64 MiB segments. */
        public static Options defaults() {
            return new Options(FsyncPolicy.COMMIT, Duration.ofSeconds(1), 64L * 1024 * 1024);
        }

        public Options {
            Objects.requireNonNull(fsync, "fsync");
            Objects.requireNonNull(fsyncInterval, "fsyncInterval");
            if (fsyncInterval.isNegative() || fsyncInterval.isZero()) {
                throw new IllegalArgumentException("fsync interval must be positive, got " + fsyncInterval);
            }
            if (segmentSize < 64 * 1024 || segmentSize > (1L << 30)) {
                throw new IllegalArgumentException("segment size must be between 64 KiB and 1 GiB, got " + segmentSize);
            }
        }

        public Options withFsync(FsyncPolicy policy) {
            return new Options(policy, fsyncInterval, segmentSize);
        }

        public Options withFsyncInterval(Duration interval) {
            return new Options(fsync, interval, segmentSize);
        }

        public Options withSegmentSize(long size) {
            return new Options(fsync, fsyncInterval, size);
        }
    }

    /**
     * Where a log starts when its directory is empty: the first segment's id and the root (with its
     * sequence number) that segment's checkpoint carries. A storage layered on this log (the cloud
     * storage) uses it to continue a history that lives elsewhere, in a segment-id range of its own.
     *
     * @param firstSegmentId id of the first segment, at least 1
     * @param root root of the history being continued, or {@code null}
     * @param sequence sequence number of that root (0 without one)
     */
    public record Origin(long firstSegmentId, AtomPointer root, long sequence) {

        /** A new history: segment 1, no root. */
        public static Origin empty() {
            return new Origin(1, null, 0);
        }

        public Origin {
            if (firstSegmentId < 1) {
                throw new IllegalArgumentException("first segment id must be at least 1, got " + firstSegmentId);
            }
            if (sequence < 0) {
                throw new IllegalArgumentException("sequence must not be negative, got " + sequence);
            }
        }
    }

    /**
     * The end of the last commit (or checkpoint) record known to be durable: everything in segments
     * before {@code segmentId}, and in {@code segmentId} below {@code end}, is stable log that
     * recovery never truncates.
     *
     * @param segmentId segment holding the record
     * @param end offset just past the record
     * @param sequence the record's sequence number
     * @param root the root it names, or {@code null}
     */
    public record LogPosition(long segmentId, long end, long sequence, AtomPointer root) {
    }

    private final FileBlockProvider provider;
    private final Options options;
    private final FileBlockProvider.DirectoryLock directoryLock;
    private final LocalCommitLock commitLock = new LocalCommitLock();
    private final LogHealth health;
    private final Segments segments;
    private final LogWriter writer;
    private final GroupSync sync;
    /** With {@link FsyncPolicy#INTERVAL} the background fsync, otherwise {@code null}. */
    private final IntervalFsync intervalFsync;
    /** The segments compaction released; appended to under its own monitor, which serialises releases. */
    private final ReleaseLog releaseLog;
    private final SegmentReclaimer reclaimer = new Reclaimer();
    private final LocalLog log;

    /** Opens (and recovers) the storage in {@code provider}'s directory with default options. */
    public StandaloneFileStorage(FileBlockProvider provider) {
        this(provider, Options.defaults());
    }

    /** Opens (and recovers) the storage in {@code provider}'s directory. */
    public StandaloneFileStorage(FileBlockProvider provider, Options options) {
        this(provider, options, Origin.empty());
    }

    /**
     * Opens (and recovers) the storage in {@code provider}'s directory; an empty directory starts
     * a log at {@code origin}, a directory with segments ignores it.
     */
    public StandaloneFileStorage(FileBlockProvider provider, Options options, Origin origin) {
        this.provider = provider;
        this.options = options;
        Objects.requireNonNull(origin, "origin");
        this.directoryLock = provider.lock();
        this.health = new LogHealth(provider.directory());
        this.segments = new Segments(provider);
        LogRecovery.RecoveredLog recovered;
        try {
            recovered = new LogRecovery(provider, options, origin, segments, health).recover();
        } catch (RuntimeException e) {
            segments.closeAll();
            directoryLock.close();
            throw e;
        }
        this.writer = recovered.writer();
        this.releaseLog = recovered.releaseLog();
        this.sync = new GroupSync(provider.directory(), writer, health, recovered.committed());
        this.log = new LocalLog(segments, writer, sync, health);
        this.intervalFsync = options.fsync() == FsyncPolicy.INTERVAL
                ? new IntervalFsync(provider.directory(), options.fsyncInterval(), writer, health)
                : null;
    }

    // ------------------------------------------------------------------ SPI

    @Override
    public AtomPointer push(byte[] atom) {
        health.ensureUsable("push an atom");
        return writer.appendAtom(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        health.ensureUsable("read an atom");
        Segment s = segments.require(pointer);
        try {
            if (pointer.offset() + WalFormat.RECORD_OVERHEAD > s.written) {
                byte[] buffered = writer.readUnflushed(s, pointer.offset());
                if (buffered != null) {
                    return buffered;
                }
            }
            return segments.readAtom(s, pointer);
        } finally {
            segments.unpin(s);
        }
    }

    @Override
    public AtomPointer readRoot() {
        health.ensureUsable("read the root");
        return sync.root();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        health.ensureUsable("acquire the commit lock");
        return commitLock.acquire(timeout, this::describe);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        PendingRoot pending = compareAndSetRootPipelined(lock, expected, newRoot);
        if (pending == null) {
            return false;
        }
        pending.await();
        return true;
    }

    /**
     * Appends the commit record and writes the log to the OS, then returns; with
     * {@link FsyncPolicy#COMMIT} the update becomes durable (and visible through {@link #readRoot()})
     * when some thread's {@link PendingRoot#await()} has fsynced past it. One fsync covers every
     * update written before it started, so while one batch of commits waits for the disk the next
     * is written and then made durable by a single further fsync.
     */
    @Override
    public PendingRoot compareAndSetRootPipelined(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        health.ensureUsable("publish a root");
        commitLock.check(lock, this::describe);
        LogPosition written = writer.appendCommit(expected, newRoot);
        if (written == null) {
            return null;
        }
        if (options.fsync() != FsyncPolicy.COMMIT) {
            sync.publishDurable(written.sequence(), newRoot, written);
            return PendingRoot.DURABLE;
        }
        return sync.pending(written.sequence());
    }

    /**
     * Compaction's access to the segment files: each file is a segment, sealed once the log rotated
     * past it. A release is recorded durably (in {@code protobase.released}) before any file is
     * deleted, and a file is deleted once no read in progress uses it; reads into a released segment
     * fail with {@link io.protobase.SegmentReleasedException}, also after a reopen.
     */
    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return Optional.of(reclaimer);
    }

    @Override
    public void flush() {
        health.ensureUsable("flush");
        writer.flush();
        writer.forceUnsynced();
    }

    @Override
    public String describe() {
        return "file storage at " + provider.directory() + " (fsync=" + options.fsync().name().toLowerCase() + ")";
    }

    /** The directory of this storage. */
    public Path directory() {
        return provider.directory();
    }

    /** The number of fsyncs of segment files since this storage was opened. */
    public long fsyncCount() {
        return writer.fsyncCount();
    }

    /** The sequence number of the last commit (0 for a new storage). */
    public long sequence() {
        return sync.sequence();
    }

    /**
     * The log underneath this storage, for a storage that ships it elsewhere (the cloud storage uploads
     * its segments and drops local copies kept in the bucket).
     *
     * @return the log's view for such a storage
     */
    public LocalLog log() {
        return log;
    }

    @Override
    public void close() {
        if (health.isClosed()) {
            return;
        }
        // wait for a root update in flight: closing under its fsync would fail a commit whose record
        // is already in the log (and so reappears on reopen)
        CommitLock inFlight = null;
        try {
            inFlight = commitLock.acquire(CLOSE_WAIT, this::describe);
        } catch (StorageException e) {
            LOG.warn("Closing {} while a commit still holds the commit lock after {}", provider.directory(),
                    CLOSE_WAIT);
        }
        try {
            // close acts as the last syncer: commits waiting for an fsync are covered by the final one
            sync.takeTokenForClose();
            try {
                if (!writer.shut()) {
                    return;
                }
                closeResources();
            } finally {
                sync.releaseTokenAfterClose();
            }
        } finally {
            if (inFlight != null) {
                inFlight.close();
            }
        }
    }

    private void closeResources() {
        if (intervalFsync != null) {
            intervalFsync.stop();
        }
        try {
            if (health.poisoned() == null) {
                writer.flush();
                writer.forceUnsynced();
                // commits written but not yet awaited are durable now
                sync.publishAtClose(writer.appended());
                writer.writeCloseRecord();
            }
        } catch (RuntimeException e) {
            LOG.warn("Flushing {} on close failed: {}", provider.directory(), e.toString());
        } finally {
            writer.closeManifest();
            synchronized (releaseLog) {
                releaseLog.close();
            }
            segments.closeAll();
            directoryLock.close();
        }
    }

    /**
     * Compaction's access to the segments: every segment file is one segment, sealed once the log
     * has rotated past it. A release is made durable before any file goes: the ids are appended to
     * the {@link ReleaseLog} and fsynced, so that after a crash recovery deletes what is left of
     * them instead of taking them for missing. Then each segment leaves the registry and is retired:
     * reads already in flight finish on the open file, the last one deletes it, and reads that come
     * later fail with a {@link io.protobase.SegmentReleasedException} naming the segment, also after a
     * reopen.
     */
    private final class Reclaimer implements SegmentReclaimer {

        @Override
        public List<SegmentReclaimer.Segment> segments() {
            health.ensureUsable("list segments");
            long writing = writer.currentSegmentId();
            List<SegmentReclaimer.Segment> list = new ArrayList<>();
            for (long id : segments.ids()) {
                var s = segments.get(id);
                if (s != null && id <= writing && !segments.isReleased(id)) {
                    list.add(new SegmentReclaimer.Segment(id, Math.max(0, s.written - WalFormat.HEADER_SIZE),
                            id < writing));
                }
            }
            return list;
        }

        @Override
        public long writingSegment() {
            health.ensureUsable("name the segment being written");
            return writer.currentSegmentId();
        }

        @Override
        public void limitSegmentSize(long bytes) {
            writer.limitSegmentSize(bytes);
        }

        @Override
        public void release(Collection<Long> ids) {
            releaseDeferred(ids).run();
        }

        /**
         * Marks the segments released at once, so that reads of them fail from now on; the step returned
         * appends them to the release log, fsyncs it and refreshes the manifest, and only then retires
         * their files. A crash before that step leaves them on disk and readable after the reopen: garbage
         * that a later compaction releases again.
         */
        @Override
        public Runnable releaseDeferred(Collection<Long> ids) {
            health.ensureUsable("release segments");
            List<Long> fresh = new ArrayList<>();
            synchronized (releaseLog) {
                long writing = writer.currentSegmentId();
                for (long id : new TreeSet<>(ids)) {
                    if (id == writing) {
                        throw new IllegalArgumentException("Cannot release segment " + WalFormat.fileName(id) + " of "
                                + describe() + ": it is still being written");
                    }
                    if (id < writing && segments.contains(id) && !segments.isReleased(id)) {
                        fresh.add(id);
                    }
                }
                segments.markReleased(fresh);
            }
            if (fresh.isEmpty()) {
                return () -> { };
            }
            return () -> recordReleased(fresh);
        }

        private void recordReleased(List<Long> fresh) {
            synchronized (releaseLog) {
                health.ensureUsable("release segments");
                try {
                    releaseLog.append(fresh);
                } catch (IOException e) {
                    health.poison(e);
                    throw new StorageException("Cannot record the release of " + fresh.size() + " segments in "
                            + ReleaseLog.FILE + " in " + provider.directory() + ": " + e + "; the storage must be "
                            + "reopened (the segments stay in place)", e);
                }
                // the manifest records the longer release log, so that losing it is found at open
                writer.refreshManifest();
                for (long id : fresh) {
                    var s = writer.detachSealed(id);
                    if (s != null) {
                        segments.retire(s);
                    }
                }
            }
        }
    }
}
