package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SharedStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

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
 * <p>The format is specified in {@code docs/file-format.md}. Thread-safe.
 */
public final class StandaloneFileStorage implements SharedStorage {

    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFileStorage.class);
    private static final int BUFFER_SIZE = 1 << 20;
    private static final int READ_AHEAD = 8 * 1024;
    /**
     * Zero-filled bytes kept allocated ahead of the end of the segment being appended to. A commit's
     * fdatasync then only writes data blocks: appending to the end of the file would also make it
     * journal the new file size, which doubles its cost on ext4. The zeros are written (and reach the
     * disk with the next fsync) once per this many bytes of log; sealing and closing cut them off.
     */
    static final int PREALLOCATION = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    private static final String RESTORE = "; restore the directory from a backup, or move the file away if it does not "
            + "belong to this storage";

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

    /** One open segment file. */
    private final class Segment {
        final long id;
        /** Replaced when an interrupt closed it (see {@link #io}). */
        volatile FileChannel channel;
        final String name;
        /** Bytes written to the channel (readable through it). */
        volatile long written;
        /** Bytes known to be on disk: written before the last successful fsync. */
        volatile long synced;
        /** Length of the file: {@link #written} plus zeros written ahead (see {@link #PREALLOCATION}). */
        long allocated;

        Segment(long id, FileChannel channel, String name, long written) {
            this.id = id;
            this.channel = channel;
            this.name = name;
            this.written = written;
        }

        /** Reopens the file if {@code broken} is still the channel and was closed under us. */
        synchronized void reopen(FileChannel broken) throws IOException {
            if (channelsClosed) {
                throw new ClosedChannelException();
            }
            if (channel == broken && !broken.isOpen()) {
                channel = provider.openSegment(id, false);
            }
        }
    }

    /** One I/O call on a segment's channel. */
    private interface ChannelIo<T> {
        T run(FileChannel channel) throws IOException;
    }

    /**
     * Runs {@code op} on the segment's channel. A thread interrupted during channel I/O closes the
     * channel for everyone ({@link java.nio.channels.ClosedByInterruptException}); instead of letting
     * one interrupted committer break the storage for all threads, the channel is reopened and the
     * operation (positional, hence repeatable) retried, and the interrupt status is restored.
     */
    private <T> T io(Segment s, ChannelIo<T> op) throws IOException {
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel c = s.channel;
                try {
                    return op.run(c);
                } catch (ClosedChannelException e) {
                    // not `closed`: close() itself flushes, fsyncs and writes the close record after
                    // setting it, and must survive an interrupt of the closing thread like any other I/O
                    if (channelsClosed || attempt >= 3) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    s.reopen(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readAt(Segment s, ByteBuffer into, long position) throws IOException {
        io(s, c -> {
            into.clear();
            readFully(c, into, position, s);
            return null;
        });
    }

    private final FileBlockProvider provider;
    private final Options options;
    private final Origin origin;
    private volatile LogPosition committed;
    private final FileBlockProvider.DirectoryLock directoryLock;
    private final Map<Long, Segment> segments = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    private final Set<Segment> unsynced = new LinkedHashSet<>();
    private final LocalCommitLock commitLock = new LocalCommitLock();
    private final ScheduledExecutorService syncTimer;
    private Segment current;
    private long bufferStart;
    /** Position just past the last commit record appended; guarded by writeLock. */
    private LogPosition commitEnd;
    private volatile AtomPointer root;
    private volatile long sequence;
    /** The root of the last commit record appended (maybe not yet durable); guarded by writeLock. */
    private AtomPointer writtenRoot;
    private long writtenSequence;
    private volatile boolean closed;
    /** Set once {@link #closeChannels()} runs: from then on a closed channel is not reopened. */
    private volatile boolean channelsClosed;
    private volatile Throwable poisoned;
    /** Guards {@link #syncing} and {@link #durableSequence}; waited on by commits awaiting an fsync. */
    private final Object syncMonitor = new Object();
    private final java.util.concurrent.atomic.LongAdder fsyncs = new java.util.concurrent.atomic.LongAdder();
    /** Whether a thread is fsyncing on behalf of pending root updates. */
    private boolean syncing;
    /** The sequence number of the newest root update known to be durable (and visible). */
    private long durableSequence;
    /** What recovery must find in this directory; written at open, rotation and clean close. */
    private LogManifest manifest;
    /** Whether anything was appended since the log last ended in a close record; guarded by writeLock. */
    private boolean appendedSinceClean = true;

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
        this.origin = Objects.requireNonNull(origin, "origin");
        this.directoryLock = provider.lock();
        try {
            recover();
            scanWindow = null;
        } catch (RuntimeException e) {
            closeChannels();
            directoryLock.close();
            throw e;
        }
        if (options.fsync() == FsyncPolicy.INTERVAL) {
            syncTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "protobase-fsync-" + provider.directory().getFileName());
                t.setDaemon(true);
                return t;
            });
            long ms = options.fsyncInterval().toMillis();
            syncTimer.scheduleWithFixedDelay(this::syncQuietly, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            syncTimer = null;
        }
    }

    // ------------------------------------------------------------------ SPI

    @Override
    public AtomPointer push(byte[] atom) {
        ensureUsable("push an atom");
        synchronized (writeLock) {
            ensureUsable("push an atom");
            long recordSize = (long) atom.length + WalFormat.RECORD_OVERHEAD;
            if (end() + recordSize > options.segmentSize() && end() > firstRecordEnd()) {
                rotate();
            }
            long offset = end();
            append(WalFormat.KIND_ATOM, atom);
            return new AtomPointer(current.id, offset);
        }
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureUsable("read an atom");
        Segment s = segments.get(pointer.segmentId());
        if (s == null) {
            throw new CorruptionException("No segment file " + WalFormat.fileName(pointer.segmentId()) + " in "
                    + provider.directory() + " for " + pointer + "; the file is missing or the reference is damaged");
        }
        long offset = pointer.offset();
        if (offset < WalFormat.HEADER_SIZE) {
            throw corrupt(s, offset, "a pointer into the segment header");
        }
        if (offset + WalFormat.RECORD_OVERHEAD > s.written) {
            synchronized (writeLock) {
                if (s == current && offset >= bufferStart) {
                    return readBuffered(s, offset);
                }
            }
        }
        if (offset + WalFormat.RECORD_OVERHEAD > s.written) {
            throw corrupt(s, offset, "a pointer past the end of the segment");
        }
        try {
            // one read usually fetches the whole record: most atoms are a few KiB
            long available = s.written - offset;
            ByteBuffer first = ByteBuffer.allocate((int) Math.min(READ_AHEAD, available));
            readAt(s, first, offset);
            int length = first.getInt(0);
            byte kind = first.get(4);
            if (kind != WalFormat.KIND_ATOM || length < 0 || length > WalFormat.MAX_RECORD_PAYLOAD
                    || WalFormat.RECORD_OVERHEAD + (long) length > available) {
                throw corrupt(s, offset, "not an atom record (kind " + kind + ", length " + length + ")");
            }
            byte[] record = first.array();
            int total = WalFormat.RECORD_OVERHEAD + length;
            if (total > record.length) {
                ByteBuffer rest = ByteBuffer.allocate(total - record.length);
                readAt(s, rest, offset + record.length);
                byte[] whole = Arrays.copyOf(record, total);
                System.arraycopy(rest.array(), 0, whole, record.length, rest.capacity());
                record = whole;
            }
            byte[] payload = Arrays.copyOfRange(record, 5, 5 + length);
            int stored = ByteBuffer.wrap(record, 5 + length, 4).getInt();
            if (stored != crc(Arrays.copyOf(record, 5), payload)) {
                throw corrupt(s, offset, "checksum mismatch");
            }
            return payload;
        } catch (IOException e) {
            throw new StorageException("Cannot read " + pointer + " from " + s.name + ": " + e.getMessage(), e);
        }
    }

    private byte[] readBuffered(Segment s, long offset) {
        if (offset - bufferStart + 5 > buffer.position()) {
            throw corrupt(s, offset, "a pointer past the end of the log");
        }
        int at = (int) (offset - bufferStart);
        int length = buffer.getInt(at);
        byte kind = buffer.get(at + 5 - 1);
        if (kind != WalFormat.KIND_ATOM || length < 0
                || at + WalFormat.RECORD_OVERHEAD + (long) length > buffer.position()) {
            throw corrupt(s, offset, "not an atom record");
        }
        byte[] payload = new byte[length];
        buffer.get(at + 5, payload);
        return payload;
    }

    @Override
    public AtomPointer readRoot() {
        ensureUsable("read the root");
        return root;
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        ensureUsable("acquire the commit lock");
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
        ensureUsable("publish a root");
        commitLock.check(lock, this::describe);
        long next;
        LogPosition written;
        synchronized (writeLock) {
            ensureUsable("publish a root");
            if (!Objects.equals(writtenRoot, expected)) {
                return null;
            }
            next = writtenSequence + 1;
            WalFormat.RootRecord record = new WalFormat.RootRecord(next, newRoot.segmentId(), newRoot.offset(),
                    expected == null ? -1 : expected.segmentId(), expected == null ? -1 : expected.offset(),
                    System.currentTimeMillis(), current.synced);
            append(WalFormat.KIND_COMMIT, record.toPayload());
            writtenRoot = newRoot;
            writtenSequence = next;
            flushBuffer();
            commitEnd = new LogPosition(current.id, end(), next, newRoot);
            written = commitEnd;
        }
        if (options.fsync() != FsyncPolicy.COMMIT) {
            publishDurable(next, newRoot, written);
            return PendingRoot.DURABLE;
        }
        return new PendingRoot() {
            @Override
            public void await() {
                awaitDurable(next, null);
            }

            @Override
            public void await(Runnable beforeStart) {
                awaitDurable(next, beforeStart);
            }
        };
    }

    /**
     * Returns once the update of sequence {@code seq} is on disk: either another thread's fsync
     * covered it, or this thread fsyncs everything written so far (and publishes the newest root).
     */
    private void awaitDurable(long seq, Runnable beforeSync) {
        boolean interrupted = false;
        try {
            synchronized (syncMonitor) {
                while (true) {
                    if (durableSequence >= seq) {
                        return;
                    }
                    Throwable p = poisoned;
                    if (p != null) {
                        throw new StorageException("Commit " + seq + " on " + provider.directory()
                                + " is not durable: an earlier write or fsync failed (" + p
                                + "); reopen the storage (recovery keeps every durable commit)", p);
                    }
                    if (closed && !syncing) {
                        throw new StorageClosedException("Commit " + seq + " on " + provider.directory()
                                + " did not reach the disk before the storage was closed");
                    }
                    if (!syncing) {
                        syncing = true;
                        break;
                    }
                    try {
                        syncMonitor.wait();
                    } catch (InterruptedException e) {
                        // the commit is written: its outcome must still be reported, so keep waiting
                        interrupted = true;
                    }
                }
            }
            long target;
            AtomPointer targetRoot;
            List<Segment> toSync;
            LogPosition targetEnd;
            if (beforeSync != null) {
                try {
                    beforeSync.run();
                } catch (RuntimeException e) {
                    synchronized (syncMonitor) {
                        syncing = false;
                        syncMonitor.notifyAll();
                    }
                    throw e;
                }
            }
            synchronized (writeLock) {
                target = writtenSequence;
                targetRoot = writtenRoot;
                targetEnd = commitEnd;
                toSync = new ArrayList<>(unsynced);
                unsynced.clear();
            }
            try {
                for (Segment s : toSync) {
                    force(s);
                }
            } finally {
                synchronized (syncMonitor) {
                    syncing = false;
                    if (poisoned == null) {
                        publishDurable(target, targetRoot, targetEnd);
                    }
                    syncMonitor.notifyAll();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Makes the update of sequence {@code seq} the visible root, unless a later one already is;
     * {@code end} is where its commit record ends in the log (null when unknown: nothing moves).
     */
    private void publishDurable(long seq, AtomPointer newRoot, LogPosition end) {
        synchronized (syncMonitor) {
            if (seq > durableSequence) {
                durableSequence = seq;
                root = newRoot;
                sequence = seq;
                if (end != null && end.sequence() == seq) {
                    committed = end;
                }
            }
        }
    }

    @Override
    public void flush() {
        ensureUsable("flush");
        synchronized (writeLock) {
            flushBuffer();
        }
        syncAll();
    }

    @Override
    public String describe() {
        return "file storage at " + provider.directory() + " (fsync=" + options.fsync().name().toLowerCase() + ")";
    }

    /** The directory of this storage. */
    public java.nio.file.Path directory() {
        return provider.directory();
    }

    /** The number of fsyncs of segment files since this storage was opened. */
    public long fsyncCount() {
        return fsyncs.sum();
    }

    /** The sequence number of the last commit (0 for a new storage). */
    public long sequence() {
        return sequence;
    }

    /**
     * The end of the last durable commit: the log up to there is stable and may be shipped
     * elsewhere (the cloud storage uploads it).
     */
    public LogPosition committedPosition() {
        return committed;
    }

    /** Ids of the segment files this storage has open, ascending. */
    public List<Long> segmentIds() {
        List<Long> ids = new ArrayList<>(segments.keySet());
        java.util.Collections.sort(ids);
        return ids;
    }

    /** Whether the segment {@code id} is open here (it may have been released, see {@link #releaseSegment}). */
    public boolean hasSegment(long id) {
        return segments.containsKey(id);
    }

    /** The id of the segment being appended to. */
    public long currentSegmentId() {
        synchronized (writeLock) {
            return current.id;
        }
    }

    /** Bytes of segment {@code id} written to its file so far, or -1 when it is not open. */
    public long segmentLength(long id) {
        Segment s = segments.get(id);
        return s == null ? -1 : s.written;
    }

    /**
     * Reads raw log bytes (header, records, checksums as they are on disk) of segment {@code id}
     * from {@code offset}; the range must lie below the segment's written length.
     */
    public byte[] readRaw(long id, long offset, int length) {
        ensureUsable("read the log");
        Segment s = segments.get(id);
        if (s == null || offset < 0 || offset + length > s.written) {
            throw new StorageException("Cannot read " + length + " bytes at " + offset + " of " + WalFormat.fileName(id)
                    + " in " + provider.directory() + ": " + (s == null ? "the segment is not open" : "past its end ("
                    + s.written + " bytes)"));
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        try {
            readAt(s, b, offset);
        } catch (IOException e) {
            throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": " + e.getMessage(), e);
        }
        return b.array();
    }

    /**
     * Closes and deletes a sealed segment whose bytes are kept elsewhere (the cloud storage calls
     * this when its disk cache evicts an uploaded segment). Later reads of its atoms fail here; the
     * caller reads them from its other copy. The segment being appended to is never released.
     *
     * @return whether the segment was released
     */
    public boolean releaseSegment(long id) {
        Segment s;
        synchronized (writeLock) {
            if (closed || current == null || id >= current.id) {
                return false;
            }
            s = segments.remove(id);
            unsynced.remove(s);
        }
        if (s == null) {
            return false;
        }
        try {
            s.channel.close();
            java.nio.file.Files.deleteIfExists(provider.segmentPath(id));
        } catch (IOException e) {
            LOG.warn("Releasing {} in {} failed: {}", s.name, provider.directory(), e.toString());
        }
        return true;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        // wait for a root update in flight: closing under its fsync would fail a commit whose record
        // is already in the log (and so reappears on reopen)
        CommitLock inFlight = null;
        try {
            inFlight = commitLock.acquire(CLOSE_WAIT, this::describe);
        } catch (StorageException e) {
            LOG.warn("Closing {} while a commit still holds the commit lock after {}", provider.directory(), CLOSE_WAIT);
        }
        try {
            // close acts as the last syncer: commits waiting for an fsync are covered by the final one
            synchronized (syncMonitor) {
                boolean interrupted = false;
                while (syncing) {
                    try {
                        syncMonitor.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                syncing = true;
            }
            try {
                synchronized (writeLock) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                }
                closeResources();
            } finally {
                synchronized (syncMonitor) {
                    syncing = false;
                    syncMonitor.notifyAll();
                }
            }
        } finally {
            if (inFlight != null) {
                inFlight.close();
            }
        }
    }

    private void closeResources() {
        if (syncTimer != null) {
            // Not shutdownNow(): interrupting the timer in an fsync closes the channel under it, and
            // the segments it took from the unsynced set would then never be forced.
            syncTimer.shutdown();
            try {
                if (!syncTimer.awaitTermination(1, TimeUnit.MINUTES)) {
                    LOG.warn("The periodic fsync of {} did not finish within a minute of close", provider.directory());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (poisoned == null) {
                synchronized (writeLock) {
                    flushBuffer();
                }
                syncAll();
                // commits written but not yet awaited are durable now
                AtomPointer lastRoot;
                long lastSequence;
                LogPosition lastEnd;
                synchronized (writeLock) {
                    lastRoot = writtenRoot;
                    lastSequence = writtenSequence;
                    lastEnd = commitEnd;
                }
                synchronized (syncMonitor) {
                    publishDurable(lastSequence, lastRoot, lastEnd);
                    syncMonitor.notifyAll();
                }
                writeCloseRecord();
            }
        } catch (RuntimeException e) {
            LOG.warn("Flushing {} on close failed: {}", provider.directory(), e.toString());
        } finally {
            closeChannels();
            directoryLock.close();
        }
    }

    /**
     * Ends the log with a close record once everything before it is on disk, so the next open can
     * take the root from the last {@value WalFormat#ROOT_RECORD_SIZE} bytes instead of scanning the
     * segment. Skipped when the log already ends in one.
     */
    private void writeCloseRecord() {
        synchronized (writeLock) {
            if (!appendedSinceClean) {
                writeManifest(LogManifest.State.CLOSED, current.id, current.written, writtenSequence);
                return;
            }
            AtomPointer r = writtenRoot;
            append(WalFormat.KIND_CLOSE, new WalFormat.RootRecord(writtenSequence,
                    r == null ? -1 : r.segmentId(), r == null ? -1 : r.offset(), -1, -1,
                    System.currentTimeMillis(), current.synced).toPayload());
            flushBuffer();
            // the close record must end the file (see closeRecordAtEnd)
            cutPreallocation(current);
            unsynced.remove(current);
            force(current);
            appendedSinceClean = false;
            // only now that the close record is durable: the next open expects the log to end with it
            writeManifest(LogManifest.State.CLOSED, current.id, current.written, writtenSequence);
        }
    }

    // ------------------------------------------------------------------ writing

    private long end() {
        return bufferStart + buffer.position();
    }

    private long firstRecordEnd() {
        return WalFormat.HEADER_SIZE + WalFormat.RECORD_OVERHEAD + WalFormat.COMMIT_PAYLOAD;
    }

    /** Appends one record; caller holds {@link #writeLock}. */
    private void append(byte kind, byte[] payload) {
        appendedSinceClean = true;
        int size = payload.length + WalFormat.RECORD_OVERHEAD;
        byte[] head = new byte[5];
        ByteBuffer.wrap(head).putInt(payload.length).put(kind);
        int crc = crc(head, payload);
        if (size > buffer.remaining()) {
            flushBuffer();
        }
        if (size > buffer.capacity()) {
            ByteBuffer direct = ByteBuffer.allocate(size);
            direct.put(head).put(payload).putInt(crc).flip();
            preallocate(current, bufferStart + size);
            write(current, direct, bufferStart);
            bufferStart += size;
            current.written = bufferStart;
            unsynced.add(current);
            return;
        }
        buffer.put(head).put(payload).putInt(crc);
    }

    /** Writes the buffer to the current segment's channel; caller holds {@link #writeLock}. */
    private void flushBuffer() {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        int n = buffer.remaining();
        try {
            preallocate(current, bufferStart + n);
            write(current, buffer, bufferStart);
        } finally {
            buffer.clear();
        }
        bufferStart += n;
        current.written = bufferStart;
        unsynced.add(current);
    }

    private void write(Segment s, ByteBuffer data, long position) {
        int start = data.position();
        try {
            io(s, c -> {
                data.position(start);
                long pos = position;
                while (data.hasRemaining()) {
                    pos += c.write(data, pos);
                }
                return null;
            });
        } catch (IOException e) {
            poison(e);
            throw new StorageException("Cannot write to " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
    }

    /**
     * Before the bytes up to {@code needed} are written to the segment being appended to: when they
     * reach past its allocated length, writes zeros from there to {@link #PREALLOCATION} bytes past
     * {@code needed} (not beyond the segment size, unless one record is larger). Caller holds
     * {@link #writeLock}.
     */
    private void preallocate(Segment s, long needed) {
        if (needed <= s.allocated) {
            return;
        }
        long target = needed >= options.segmentSize() ? needed
                : Math.min(options.segmentSize(), needed + PREALLOCATION);
        long from = Math.max(s.allocated, s.written);
        try {
            // one channel operation for the whole range: an interrupted committer then closes the
            // channel (and has it reopened) once, not once per buffer of zeros
            io(s, c -> {
                ByteBuffer zeros = ZEROS.duplicate();
                for (long pos = from; pos < target; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), target - pos));
                    while (zeros.hasRemaining()) {
                        pos += c.write(zeros, pos);
                    }
                }
                return null;
            });
        } catch (IOException e) {
            poison(e);
            throw new StorageException("Cannot extend " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
        s.allocated = target;
    }

    /**
     * Cuts the zeros written ahead off the end of {@code s}, so the file ends with its last record (a
     * sealed segment, or a cleanly closed log); the next fsync makes the new length durable. Caller
     * holds {@link #writeLock}.
     */
    private void cutPreallocation(Segment s) {
        if (s.allocated <= s.written) {
            return;
        }
        try {
            io(s, c -> c.truncate(s.written));
            s.allocated = s.written;
        } catch (IOException e) {
            poison(e);
            throw new StorageException("Cannot truncate " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
    }

    /** Starts a new segment with a checkpoint of the current root; caller holds {@link #writeLock}. */
    private void rotate() {
        flushBuffer();
        cutPreallocation(current);
        // the checkpoint of the next segment may name a root whose atoms and commit record are here
        force(current);
        unsynced.remove(current);
        long id = current.id + 1;
        startSegment(id, current.id, current.written);
        // from now on recovery must find the new segment and at least the sequence its checkpoint holds
        writeManifest(LogManifest.State.OPEN, id, -1, writtenSequence);
    }

    /**
     * Creates segment {@code id} with a checkpoint of the current root; the checkpoint also records
     * the segment sealed just before it and that segment's final length ({@code -1, -1}: none), so
     * that recovery finds a sealed segment cut short.
     */
    private void startSegment(long id, long sealedId, long sealedLength) {
        try {
            FileChannel channel = provider.openSegment(id, true);
            Segment s = new Segment(id, channel, WalFormat.fileName(id), 0);
            preallocate(s, WalFormat.HEADER_SIZE);
            write(s, WalFormat.header(id, System.currentTimeMillis()), 0);
            s.written = WalFormat.HEADER_SIZE;
            segments.put(id, s);
            current = s;
            bufferStart = WalFormat.HEADER_SIZE;
            AtomPointer r = writtenRoot;
            append(WalFormat.KIND_CHECKPOINT, new WalFormat.RootRecord(writtenSequence,
                    r == null ? -1 : r.segmentId(), r == null ? -1 : r.offset(), sealedId, sealedLength,
                    System.currentTimeMillis(), 0).toPayload());
            flushBuffer();
            force(s);
            provider.syncDirectory();
        } catch (IOException e) {
            poison(e);
            throw new StorageException("Cannot create segment " + WalFormat.fileName(id) + " in "
                    + provider.directory() + ": " + e.getMessage(), e);
        }
    }

    private void force(Segment s) {
        long upTo = s.written;
        try {
            io(s, c -> {
                c.force(false);
                return null;
            });
            fsyncs.increment();
            synchronized (s) {
                s.synced = Math.max(s.synced, upTo);
            }
        } catch (IOException e) {
            poison(e);
            throw new StorageException("fsync of " + s.name + " in " + provider.directory() + " failed: "
                    + e.getMessage() + "; the storage must be reopened (recovery keeps every durable commit)", e);
        }
    }

    /** Writes the manifest; a failure poisons the storage like a failed fsync of the log. */
    private void writeManifest(LogManifest.State state, long lastSegment, long lastLength, long seq) {
        try {
            manifest.write(state, lastSegment, lastLength, seq);
        } catch (IOException e) {
            poison(e);
            throw new StorageException("Cannot write " + LogManifest.FILE + " in " + provider.directory() + ": "
                    + e + "; the storage must be reopened (recovery keeps every durable commit)", e);
        }
    }

    private void syncAll() {
        List<Segment> toSync;
        synchronized (writeLock) {
            toSync = new ArrayList<>(unsynced);
            unsynced.clear();
        }
        for (Segment s : toSync) {
            force(s);
        }
    }

    private void syncQuietly() {
        try {
            if (!closed && poisoned == null) {
                syncAll();
            }
        } catch (RuntimeException e) {
            LOG.error("Periodic fsync of {} failed: {}", provider.directory(), e.toString());
        }
    }

    private void poison(Throwable cause) {
        if (poisoned == null) {
            poisoned = cause;
        }
    }

    // ------------------------------------------------------------------ recovery

    /**
     * Opens the segments and finds where the log ends, failing with a {@link CorruptionException}
     * and modifying nothing when the files are not what the manifest and the checkpoints say they
     * must be. Only then the manifest is marked open and the log repaired: a torn tail truncated,
     * creation residue deleted.
     */
    private void recover() {
        try {
            manifest = LogManifest.read(provider);
        } catch (IOException e) {
            throw new StorageException("Cannot read " + LogManifest.FILE + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
        LogManifest.Entry expected = manifest.current();
        List<Long> ids = new ArrayList<>(provider.segmentIds());
        if (ids.isEmpty()) {
            if (expected != null) {
                throw new CorruptionException("The log in " + provider.directory() + " has no segment files, but its "
                        + LogManifest.FILE + " records commits up to " + expected.sequence() + " in "
                        + WalFormat.fileName(expected.lastSegment()) + ": the segments were deleted. Restore the "
                        + "directory from a backup, or delete " + LogManifest.FILE + " too to start an empty store");
            }
            startAtOrigin(origin.firstSegmentId());
            return;
        }
        Map<Long, SealedLength> sealedLengths = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            openExisting(ids.get(i), i == ids.size() - 1, sealedLengths);
        }
        checkSealedLengths(sealedLengths);
        Segment newest = segments.get(ids.get(ids.size() - 1));
        boolean closedCleanly = expected != null && expected.state() == LogManifest.State.CLOSED;
        if (closedCleanly) {
            checkAsClosed(expected, newest);
        }
        // a sequence known durable: recovery reaching less has lost committed data
        long floor = expected == null ? 0 : expected.sequence();
        WalFormat.RootRecord clean = closeRecordAtEnd(newest);
        if (clean != null && (closedCleanly ? clean.sequence() == floor : clean.sequence() >= floor)) {
            requireReached(expected, newest);
            current = newest;
            bufferStart = newest.written;
            adopt(clean);
            appendedSinceClean = false;
            committed = new LogPosition(newest.id, newest.written, sequence, root);
            writeManifest(LogManifest.State.OPEN, newest.id, -1, sequence);
            return;
        }
        Scan scan = newest.written < 0 ? null : scan(newest);
        Segment last = newest;
        if (scan == null) {
            // no valid checkpoint: only the residue of an interrupted creation may go, and only one
            // started after the manifest was last written
            if (!isCreationResidue(newest)) {
                throw notCreationResidue(newest, "its content is not what an interrupted creation of this segment "
                        + "leaves, so it was left in place");
            }
            if (expected != null && newest.id <= expected.lastSegment()) {
                throw notCreationResidue(newest, "yet " + LogManifest.FILE + " records it as created (commits up to "
                        + expected.sequence() + " were durable), so it was cut short and was left in place");
            }
            Segment previous = ids.size() > 1 ? segments.get(ids.get(ids.size() - 2)) : null;
            if (previous == null && expected != null) {
                throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                        + provider.directory() + ": the log had reached it (" + LogManifest.FILE + "), but only "
                        + newest.name + ", an interrupted creation, is left; committed data is missing. Restore the "
                        + "directory from a backup");
            }
            if (previous != null) {
                requireReached(expected, previous);
            }
            dropSegment(newest);
            if (previous == null) {
                // as good as an empty directory: the log starts where an empty one would
                startAtOrigin(newest.id);
                return;
            }
            last = previous;
            scan = scan(last);
            if (scan == null) {
                // sealed before the dropped segment was started, so it held a durable checkpoint
                throw corrupt(last, WalFormat.HEADER_SIZE, "a sealed segment without a valid checkpoint record"
                        + RESTORE);
            }
        }
        requireReached(expected, last);
        if (closedCleanly ? scan.record.sequence() != floor : scan.record.sequence() < floor) {
            throw corrupt(last, scan.end, "the log holds commits up to " + scan.record.sequence() + ", but commit "
                    + floor + " was durable " + (closedCleanly ? "when the log was closed cleanly" : "before")
                    + " (" + LogManifest.FILE + "): committed data is missing" + RESTORE);
        }
        try {
            // what a crashed process wrote may still be only in the OS cache: make it durable before
            // the manifest and later commit records count it as durable
            last.channel.force(false);
            writeManifest(LogManifest.State.OPEN, last.id, -1, scan.record.sequence());
            if (last.channel.size() > scan.end) {
                // after a crash the log ends at least with the zeros written ahead of it
                LOG.warn("Recovering {}: truncating {} bytes after the last commit of {} (offset {})",
                        provider.directory(), last.channel.size() - scan.end, last.name, scan.end);
                last.channel.truncate(scan.end);
                last.channel.force(false);
            }
            last.synced = scan.end;
        } catch (IOException e) {
            throw new StorageException("Cannot truncate or fsync the tail of " + last.name + " in "
                    + provider.directory() + ": " + e.getMessage(), e);
        }
        last.written = scan.end;
        last.allocated = scan.end;
        current = last;
        bufferStart = scan.end;
        adopt(scan.record);
        committed = new LogPosition(last.id, scan.end, sequence, root);
    }

    /**
     * Checks every sealed segment against the length its successor's checkpoint recorded when it
     * was sealed. A recorded segment that is gone is not checked: the cloud storage deletes sealed
     * segments once they are uploaded.
     */
    private void checkSealedLengths(Map<Long, SealedLength> sealedLengths) {
        sealedLengths.forEach((id, sealed) -> {
            Segment s = segments.get(id);
            if (s != null && s.written != sealed.length()) {
                throw corrupt(s, Math.min(s.written, sealed.length()), "the sealed segment is " + s.written
                        + " bytes long, but it was sealed at " + sealed.length() + " bytes (recorded in the checkpoint "
                        + "of " + WalFormat.fileName(sealed.recordedBy()) + "): " + (s.written < sealed.length()
                        ? "it was cut short and committed data is missing" : "bytes were appended to it") + RESTORE);
            }
        });
    }

    /** The final length of a sealed segment, as the checkpoint of segment {@code recordedBy} records it. */
    private record SealedLength(long length, long recordedBy) {
    }

    /**
     * After a clean close the last segment must be the one the manifest names, exactly as long as it
     * was then: nothing can have been torn, so any difference is damage.
     */
    private void checkAsClosed(LogManifest.Entry expected, Segment newest) {
        Segment named = segments.get(expected.lastSegment());
        String closedAt = "the log was closed cleanly with " + WalFormat.fileName(expected.lastSegment())
                + " as its last segment, " + expected.lastLength() + " bytes long (" + LogManifest.FILE + ")";
        String olderVersion = "; if a ProtoBase version without " + LogManifest.FILE + " wrote to this directory "
                + "since, delete " + LogManifest.FILE + " and open again, otherwise restore the directory from a backup";
        if (named == null) {
            throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                    + provider.directory() + ": " + closedAt + "; committed data is missing. Restore the directory "
                    + "from a backup");
        }
        if (newest != named) {
            throw new CorruptionException(newest.name + " in " + provider.directory() + " is newer than the log: "
                    + closedAt + olderVersion);
        }
        long size;
        try {
            size = named.channel.size();
        } catch (IOException e) {
            throw new StorageException("Cannot read " + named.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
        if (size < expected.lastLength()) {
            throw corrupt(named, size, "the file is " + size + " bytes long, but " + closedAt
                    + ": it was cut short and committed data is missing; restore the directory from a backup");
        }
        if (size > expected.lastLength()) {
            throw corrupt(named, expected.lastLength(), "the file is " + size + " bytes long, but " + closedAt
                    + olderVersion);
        }
    }

    /** Fails when the manifest names a later segment than {@code last}, the one the log ends in. */
    private void requireReached(LogManifest.Entry expected, Segment last) {
        if (expected != null && last.id < expected.lastSegment()) {
            throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                    + provider.directory() + ": the log had reached it (" + LogManifest.FILE + "), but ends in "
                    + last.name + "; committed data is missing. Restore the directory from a backup");
        }
    }

    /** Starts the log of an empty directory: segment {@code id} with a checkpoint of the origin's root. */
    private void startAtOrigin(long id) {
        synchronized (writeLock) {
            writtenRoot = origin.root();
            writtenSequence = origin.sequence();
            root = origin.root();
            sequence = origin.sequence();
            durableSequence = origin.sequence();
            startSegment(id, -1, -1);
            committed = new LogPosition(current.id, current.written, sequence, root);
            writeManifest(LogManifest.State.OPEN, id, -1, sequence);
        }
    }

    private void adopt(WalFormat.RootRecord record) {
        sequence = record.sequence();
        durableSequence = sequence;
        root = record.rootSegment() < 0 ? null : new AtomPointer(record.rootSegment(), record.rootOffset());
        writtenRoot = root;
        writtenSequence = sequence;
    }

    /**
     * The close record ending {@code s}, if the storage was closed cleanly: a valid close record as
     * the last bytes of the file that counts everything before it as fsynced. Then nothing after
     * it can be torn and the segment needs no scan (reads still verify each record's checksum).
     */
    private WalFormat.RootRecord closeRecordAtEnd(Segment s) {
        long at = s.written - WalFormat.ROOT_RECORD_SIZE;
        if (at < WalFormat.HEADER_SIZE) {
            return null;
        }
        WalFormat.RootRecord record = rootRecordAt(s, at, WalFormat.KIND_CLOSE);
        return record != null && record.durableLength() == at ? record : null;
    }

    /** The valid root record of {@code kind} at offset {@code at} of {@code s}, or {@code null}. */
    private WalFormat.RootRecord rootRecordAt(Segment s, long at, byte kind) {
        try {
            ByteBuffer b = ByteBuffer.allocate(WalFormat.ROOT_RECORD_SIZE);
            readFully(s.channel, b, at, s);
            byte[] bytes = b.array();
            if (b.getInt(0) != WalFormat.COMMIT_PAYLOAD || b.get(4) != kind
                    || b.getInt(5 + WalFormat.COMMIT_PAYLOAD) != WalFormat.crc(bytes, 0, 5 + WalFormat.COMMIT_PAYLOAD)
                    || !Arrays.equals(bytes, 5, 13, WalFormat.COMMIT_MAGIC, 0, 8)) {
                return null;
            }
            return WalFormat.RootRecord.fromPayload(Arrays.copyOfRange(bytes, 5, 5 + WalFormat.COMMIT_PAYLOAD));
        } catch (IOException e) {
            throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Opens segment {@code id} and checks its header; notes in {@code sealedLengths} the segment its
     * checkpoint says was sealed before it, with that segment's length and this id.
     */
    private void openExisting(long id, boolean last, Map<Long, SealedLength> sealedLengths) {
        FileChannel channel;
        String name = WalFormat.fileName(id);
        try {
            channel = provider.openSegment(id, false);
        } catch (IOException e) {
            throw new StorageException("Cannot open " + name + " in " + provider.directory() + ": " + e.getMessage(), e);
        }
        Segment s = new Segment(id, channel, name, 0);
        segments.put(id, s);
        try {
            long size = channel.size();
            s.written = size;
            s.synced = size;
            s.allocated = size;
            if (size < WalFormat.HEADER_SIZE) {
                if (!last) {
                    throw corrupt(s, 0, "a sealed segment only " + size + " bytes long, shorter than its header"
                            + RESTORE);
                }
                // maybe a creation interrupted before its header was written; see isCreationResidue
                s.written = -1;
                return;
            }
            ByteBuffer h = ByteBuffer.allocate(WalFormat.HEADER_SIZE);
            readFully(channel, h, 0, s);
            try {
                checkHeader(s, h, id);
            } catch (CorruptionException e) {
                if (isNewerFormat(h)) {
                    throw e;
                }
                if (!last) {
                    throw new CorruptionException(e.getMessage() + RESTORE, e);
                }
                // maybe a creation interrupted while its header was written; see isCreationResidue
                s.written = -1;
                lastHeaderDamage = e;
                return;
            }
            WalFormat.RootRecord checkpoint = size < WalFormat.HEADER_SIZE + WalFormat.ROOT_RECORD_SIZE ? null
                    : rootRecordAt(s, WalFormat.HEADER_SIZE, WalFormat.KIND_CHECKPOINT);
            if (checkpoint == null && !last) {
                throw corrupt(s, WalFormat.HEADER_SIZE, "the checkpoint record of a sealed segment is damaged"
                        + RESTORE);
            }
            // -1: written by a version that did not record it
            if (checkpoint != null && checkpoint.previousSegment() >= 0) {
                sealedLengths.put(checkpoint.previousSegment(), new SealedLength(checkpoint.previousOffset(), id));
            }
        } catch (IOException e) {
            throw new StorageException("Cannot read " + name + " in " + provider.directory() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the last segment {@code s}, which holds no valid checkpoint, is provably the residue
     * of its own creation interrupted by a crash, and so holds nothing that was ever committed
     * (commits are appended only after the checkpoint is durable). Creating a segment writes zeros
     * from offset 0 to {@link #PREALLOCATION} bytes past the header, then the header, then the
     * checkpoint, and fsyncs them together; a build that did not preallocate extended the file write
     * by write. So a crash leaves a file no longer than the header plus the preallocation holding:
     * only zeros; or the header this storage writes for that id (only its creation time cannot be
     * predicted), whole and valid, followed by zeros; or a file ending inside that header or inside
     * the checkpoint after it, holding exactly their beginning (the checkpoint's length, kind and
     * marker; its other fields cannot be predicted). Anything else is not this storage's to delete.
     */
    private boolean isCreationResidue(Segment s) {
        try {
            long size = s.channel.size();
            if (size > WalFormat.HEADER_SIZE + PREALLOCATION) {
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            readFully(s.channel, b, 0, s);
            byte[] bytes = b.array();
            if (isZero(bytes, 0, bytes.length)) {
                return true;
            }
            int header = (int) Math.min(size, WalFormat.HEADER_SIZE);
            // once the creation time (bytes 24..31) is complete the whole header, checksum included, follows
            long created = header >= 32 ? ByteBuffer.wrap(bytes).getLong(24) : 0;
            byte[] expected = WalFormat.header(s.id, created).array();
            for (int i = 0; i < header; i++) {
                if (bytes[i] != expected[i] && (i < 24 || i >= 32)) {
                    return false;
                }
            }
            if (size <= WalFormat.HEADER_SIZE + WalFormat.ROOT_RECORD_SIZE - 1 && size > WalFormat.HEADER_SIZE) {
                byte[] checkpoint = ByteBuffer.allocate(5 + WalFormat.COMMIT_MAGIC.length)
                        .putInt(WalFormat.COMMIT_PAYLOAD).put(WalFormat.KIND_CHECKPOINT).put(WalFormat.COMMIT_MAGIC)
                        .array();
                int known = (int) Math.min(size - WalFormat.HEADER_SIZE, checkpoint.length);
                return Arrays.equals(bytes, WalFormat.HEADER_SIZE, WalFormat.HEADER_SIZE + known, checkpoint, 0, known);
            }
            return isZero(bytes, header, bytes.length);
        } catch (IOException e) {
            throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Why the last segment {@code s}, without a valid checkpoint, is not deleted and fails the open. */
    private CorruptionException notCreationResidue(Segment s, String why) {
        String what = lastHeaderDamage != null ? lastHeaderDamage.getMessage()
                : s.written < 0 ? "Corrupt " + s.name + " in " + provider.directory() + " at offset 0: shorter than a "
                        + "segment header"
                : "Corrupt " + s.name + " in " + provider.directory() + " at offset " + WalFormat.HEADER_SIZE
                        + ": no valid checkpoint record";
        return new CorruptionException(what + ", and " + why + RESTORE);
    }

    private void checkHeader(Segment s, ByteBuffer h, long id) {
        byte[] magic = Arrays.copyOf(h.array(), 8);
        if (!Arrays.equals(magic, WalFormat.MAGIC)) {
            throw corrupt(s, 0, "not a ProtoBase WAL segment (bad magic)");
        }
        int version = h.getShort(8) & 0xFFFF;
        if (isNewerFormat(h)) {
            throw new CorruptionException(s.name + " in " + provider.directory() + " was written by a newer ProtoBase "
                    + "(WAL format " + version + ", this build reads " + WalFormat.VERSION
                    + "); upgrade ProtoBase to open this directory");
        }
        if (h.getInt(32) != WalFormat.crc(h.array(), 0, 32)) {
            // checked before believing the version, so a flipped bit there is not taken for a newer format
            throw corrupt(s, 0, "segment header checksum mismatch"
                    + (version == WalFormat.VERSION ? "" : " (it claims WAL format " + version + ")"));
        }
        if (h.getLong(16) != id) {
            throw corrupt(s, 16, "header names segment " + h.getLong(16) + " but the file name says " + id);
        }
    }

    /** A well-formed header (magic and checksum valid) of a format version later than this build's. */
    private static boolean isNewerFormat(ByteBuffer h) {
        return Arrays.equals(Arrays.copyOf(h.array(), 8), WalFormat.MAGIC)
                && (h.getShort(8) & 0xFFFF) > WalFormat.VERSION
                && h.getInt(32) == WalFormat.crc(h.array(), 0, 32);
    }

    /** Deletes the residue of an interrupted segment creation (see {@link #isCreationResidue}). */
    private void dropSegment(Segment s) {
        LOG.warn("Recovering {}: removing {}, whose creation was interrupted before it held any data",
                provider.directory(), s.name);
        segments.remove(s.id);
        try {
            s.channel.close();
            java.nio.file.Files.deleteIfExists(provider.segmentPath(s.id));
            provider.syncDirectory();
        } catch (IOException e) {
            throw new StorageException("Cannot remove the torn segment " + s.name + ": " + e.getMessage(), e);
        }
    }

    private record Scan(WalFormat.RootRecord record, long end) {
    }

    /**
     * Finds the last valid commit or checkpoint record of a segment with a valid header, or
     * {@code null} when it holds none (its creation may have been interrupted before its checkpoint
     * was written).
     */
    private Scan scan(Segment s) {
        try {
            long size = s.channel.size();
            WalFormat.RootRecord last = null;
            long lastEnd = -1;
            long pos = WalFormat.HEADER_SIZE;
            long bad = -1;
            String why = null;
            while (pos < size) {
                Parsed p = parse(s, pos, size);
                if (p.error != null) {
                    bad = pos;
                    why = p.error;
                    break;
                }
                if (WalFormat.carriesRoot(p.kind)) {
                    last = p.root;
                    lastEnd = p.end;
                }
                pos = p.end;
            }
            if (bad >= 0) {
                // Bytes that were not yet fsynced may be lost or torn by a power loss in any order, so
                // a valid commit record after the damage proves nothing by itself; one that was
                // written after the damaged bytes had been fsynced does.
                Parsed proof = findCommitAfter(s, bad, size, bad + 1);
                if (proof != null) {
                    throw corrupt(s, bad, why + ", yet the valid commit record at offset " + proof.start()
                            + " was written after this segment was fsynced through offset "
                            + proof.root().durableLength() + ": committed data is damaged; restore this directory "
                            + "from a backup");
                }
            }
            if (last == null) {
                return null;
            }
            return new Scan(last, lastEnd);
        } catch (IOException e) {
            throw new StorageException("Cannot scan " + s.name + " in " + provider.directory() + ": " + e.getMessage(), e);
        }
    }

    private record Parsed(byte kind, long start, long end, WalFormat.RootRecord root, String error) {
    }

    private Parsed parse(Segment s, long pos, long size) throws IOException {
        if (pos + WalFormat.RECORD_OVERHEAD > size) {
            return new Parsed((byte) 0, pos, 0, null, "truncated record header");
        }
        ByteBuffer head = window(s).read(pos, 5, size);
        int length = head.getInt(0);
        byte kind = head.get(4);
        if (kind < WalFormat.KIND_ATOM || kind > WalFormat.KIND_CLOSE) {
            return new Parsed(kind, pos, 0, null, "unknown record kind " + kind);
        }
        if (length < 0 || length > WalFormat.MAX_RECORD_PAYLOAD || pos + WalFormat.RECORD_OVERHEAD + length > size) {
            return new Parsed(kind, pos, 0, null, "record length " + length + " runs past the end of the file");
        }
        if (kind != WalFormat.KIND_ATOM && length != WalFormat.COMMIT_PAYLOAD) {
            return new Parsed(kind, pos, 0, null, "commit record of length " + length);
        }
        ByteBuffer body = window(s).read(pos + 5, length + 4, size);
        byte[] payload = new byte[length];
        body.get(0, payload);
        byte[] headBytes = new byte[5];
        head.get(0, headBytes);
        if (body.getInt(length) != crc(headBytes, payload)) {
            return new Parsed(kind, pos, 0, null, "checksum mismatch");
        }
        WalFormat.RootRecord root = null;
        if (kind != WalFormat.KIND_ATOM) {
            if (!Arrays.equals(Arrays.copyOf(payload, 8), WalFormat.COMMIT_MAGIC)) {
                return new Parsed(kind, pos, 0, null, "commit record without its marker");
            }
            root = WalFormat.RootRecord.fromPayload(payload);
        }
        return new Parsed(kind, pos, pos + WalFormat.RECORD_OVERHEAD + length, root, null);
    }

    /**
     * Looks for a valid commit record after a damaged one at {@code from}, written when at least
     * {@code durable} bytes of the segment had been fsynced; returns it or {@code null}.
     */
    private Parsed findCommitAfter(Segment s, long from, long size, long durable) throws IOException {
        byte[] marker = WalFormat.COMMIT_MAGIC;
        int chunk = 1 << 20;
        long pos = from + 1;
        while (pos < size) {
            int n = (int) Math.min(chunk + marker.length, size - pos);
            ByteBuffer b = ByteBuffer.allocate(n);
            readFully(s.channel, b, pos, s);
            byte[] a = b.array();
            for (int i = 0; i + marker.length <= n; i++) {
                if (a[i] == marker[0] && Arrays.equals(a, i, i + marker.length, marker, 0, marker.length)) {
                    long recordStart = pos + i - 5;
                    if (recordStart > from) {
                        Parsed p = parse(s, recordStart, size);
                        if (p.error == null && p.kind == WalFormat.KIND_COMMIT
                                && p.root.durableLength() >= durable) {
                            return p;
                        }
                    }
                }
            }
            pos += chunk;
        }
        return null;
    }

    // ------------------------------------------------------------------ helpers

    private static int crc(byte[] head, byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(head, 0, 5);
        c.update(payload, 0, payload.length);
        return (int) c.getValue();
    }

    /** Why the header of the last segment is invalid, while recovery decides whether it is creation residue. */
    private CorruptionException lastHeaderDamage;

    /** The read-ahead window of the segment being scanned (recovery reads segments sequentially). */
    private ScanWindow scanWindow;

    private ScanWindow window(Segment s) {
        if (scanWindow == null || scanWindow.segment != s) {
            scanWindow = new ScanWindow(s);
        }
        return scanWindow;
    }

    /** Serves small sequential reads of a segment from 1 MiB chunks instead of two syscalls per record. */
    private final class ScanWindow {
        final Segment segment;
        byte[] bytes = new byte[0];
        long start;

        ScanWindow(Segment segment) {
            this.segment = segment;
        }

        ByteBuffer read(long pos, int length, long size) throws IOException {
            if (pos < start || pos + length > start + bytes.length) {
                int n = (int) Math.min(Math.max(1 << 20, length), size - pos);
                ByteBuffer b = ByteBuffer.allocate(n);
                readFully(segment.channel, b, pos, segment);
                bytes = b.array();
                start = pos;
            }
            return ByteBuffer.wrap(bytes, (int) (pos - start), length).slice();
        }
    }

    private void readFully(FileChannel channel, ByteBuffer into, long position, Segment s) throws IOException {
        long pos = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, pos);
            if (n < 0) {
                throw corrupt(s, position, "unexpected end of file");
            }
            pos += n;
        }
        into.flip();
    }

    private CorruptionException corrupt(Segment s, long offset, String what) {
        return new CorruptionException("Corrupt " + s.name + " in " + provider.directory() + " at offset " + offset
                + ": " + what);
    }

    private void ensureUsable(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": the file storage at " + provider.directory()
                    + " is closed");
        }
        Throwable p = poisoned;
        if (p != null) {
            throw new StorageException("Cannot " + what + ": the file storage at " + provider.directory()
                    + " failed earlier (" + p + ") and must be reopened; recovery keeps every durable commit", p);
        }
    }

    private void closeChannels() {
        channelsClosed = true;
        if (manifest != null) {
            manifest.close();
        }
        for (Segment s : segments.values()) {
            try {
                synchronized (s) {
                    s.channel.close();
                }
            } catch (IOException e) {
                LOG.warn("Closing {} failed: {}", s.name, e.toString());
            }
        }
        segments.clear();
    }
}
