package io.protobase.storage.file;

import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.file.StandaloneFileStorage.LogPosition;
import io.protobase.storage.file.StandaloneFileStorage.Options;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Appends records to the log: atoms, commit records, the checkpoint that starts each segment and
 * the close record that ends a cleanly closed log. It rotates segments by size, keeps zeros
 * preallocated ahead of the end of the segment being appended to, fsyncs segments on request and
 * writes the {@link LogManifest} at rotation and clean close.
 *
 * <p>Records collect in a 1 MiB buffer that is written to the channel of the current
 * segment when it fills, at each commit record and on {@link #flush()}; a record larger than the
 * buffer is written directly. Until then {@link #readUnflushed} serves reads of it. Everything
 * here is guarded by the writer's own monitor. {@link #force} needs no lock: {@link GroupSync} and
 * {@link #forceUnsynced} fsync without holding the monitor, so that commits go on appending while
 * one fsync is in progress; rotation and the close record fsync under it.
 *
 * <p>Durability: bytes written to a channel are in the OS; they are durable once {@link #force}
 * has returned for their segment, which then counts them in {@link Segment#synced}. Every commit
 * record carries how far its segment had been fsynced when it was written, which recovery needs
 * to tell a torn tail from damage. A segment is sealed (its preallocated zeros cut off and
 * fsynced) before the next one is started, and the next one's checkpoint, which repeats the
 * current root and records the sealed segment's final length, is fsynced together with the
 * directory entry before anything is appended after it. A failed write or fsync poisons the
 * storage ({@link LogHealth}).
 */
final class LogWriter {

    /**
     * Zero-filled bytes kept allocated ahead of the end of the segment being appended to. A commit's
     * fdatasync then only writes data blocks: appending to the end of the file would also make it
     * journal the new file size, which doubles its cost on ext4. The zeros are written (and reach the
     * disk with the next fsync) once per this many bytes of log; sealing and closing cut them off.
     */
    static final int PREALLOCATION = 1 << 20;
    /** The engine's limit on the atom bytes of a segment ({@link #limitSegmentSize}). */
    private volatile long segmentLimit = Long.MAX_VALUE;
    private static final int BUFFER_SIZE = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();

    /**
     * The newest root appended to the log, maybe not yet durable.
     *
     * @param sequence its sequence number
     * @param root the root, or {@code null}
     * @param end where its commit record ends; {@code null} when no commit was appended since open
     */
    record Appended(long sequence, AtomPointer root, LogPosition end) {
    }

    /**
     * What one fsync of a group commit covers: the segments with bytes not yet fsynced, taken at
     * the same instant as the newest root appended, which is durable once they are.
     */
    record SyncBatch(Appended appended, List<Segment> segments) {
    }

    private final FileBlockProvider provider;
    private final Options options;
    private final Segments segments;
    private final LogHealth health;
    /** What recovery must find in this directory; written at open, rotation, clean close and after a release. */
    private final LogManifest manifest;
    private final LongAdder fsyncs = new LongAdder();
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    /** Segments with bytes written to their channel but not yet fsynced. */
    private final Set<Segment> unsynced = new LinkedHashSet<>();
    private Segment current;
    /** Offset in {@link #current} of the first byte of {@link #buffer}. */
    private long bufferStart;
    /** Position just past the last commit record appended. */
    private LogPosition commitEnd;
    /** The root of the last commit record appended (maybe not yet durable). */
    private AtomPointer writtenRoot;
    private long writtenSequence;
    /** Whether anything was appended since the log last ended in a close record. */
    private boolean appendedSinceClean = true;

    LogWriter(FileBlockProvider provider, Options options, Segments segments, LogHealth health, LogManifest manifest) {
        this.provider = provider;
        this.options = options;
        this.segments = segments;
        this.health = health;
        this.manifest = manifest;
    }

    // ------------------------------------------------------------------ positioning (recovery)

    /**
     * Continues the recovered log after the {@link Segment#written} bytes of {@code last}, whose
     * newest root record names {@code root} at {@code sequence}; {@code endsInCloseRecord}: that
     * record is the close record ending the file, so a clean close needs to write none.
     */
    synchronized void resume(Segment last, AtomPointer root, long sequence, boolean endsInCloseRecord) {
        current = last;
        bufferStart = last.written;
        writtenRoot = root;
        writtenSequence = sequence;
        appendedSinceClean = !endsInCloseRecord;
    }

    /**
     * Starts the log of an empty directory: segment {@code id} with a checkpoint of {@code root} at
     * {@code sequence}, then the manifest naming it.
     *
     * @return where the checkpoint ends
     */
    synchronized LogPosition startAt(long id, AtomPointer root, long sequence) {
        writtenRoot = root;
        writtenSequence = sequence;
        startSegment(id, -1, -1);
        LogPosition start = new LogPosition(current.id, current.written, sequence, root);
        writeManifest(LogManifest.State.OPEN, id, -1, sequence);
        return start;
    }

    // ------------------------------------------------------------------ appending

    /** Appends an atom record, starting a new segment first when this one is full. */
    synchronized AtomPointer appendAtom(byte[] atom) {
        health.ensureUsable("push an atom");
        long recordSize = (long) atom.length + WalFormat.RECORD_OVERHEAD;
        long engineLimit = segmentLimit;
        long limit = engineLimit >= options.segmentSize() - WalFormat.HEADER_SIZE ? options.segmentSize()
                : WalFormat.HEADER_SIZE + engineLimit;
        if (end() + recordSize > limit && end() > firstRecordEnd()) {
            rotate();
        }
        long offset = end();
        append(WalFormat.KIND_ATOM, atom);
        return new AtomPointer(current.id, offset);
    }

    /** Seals segments once they hold about {@code bytes}, before the configured segment size. */
    void limitSegmentSize(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("segment size limit must be positive, got " + bytes);
        }
        segmentLimit = bytes;
    }

    /**
     * Appends a commit record naming {@code newRoot} and writes the log to the OS, when
     * {@code expected} is the newest root appended; it is not durable yet.
     *
     * @return where the commit record ends, or {@code null} when another root was appended since
     */
    synchronized LogPosition appendCommit(AtomPointer expected, AtomPointer newRoot) {
        health.ensureUsable("publish a root");
        if (!Objects.equals(writtenRoot, expected)) {
            return null;
        }
        long next = writtenSequence + 1;
        WalFormat.RootRecord record = new WalFormat.RootRecord(next, newRoot.segmentId(), newRoot.offset(),
                expected == null ? -1 : expected.segmentId(), expected == null ? -1 : expected.offset(),
                System.currentTimeMillis(), current.synced);
        append(WalFormat.KIND_COMMIT, record.toPayload());
        writtenRoot = newRoot;
        writtenSequence = next;
        flushBuffer();
        commitEnd = new LogPosition(current.id, end(), next, newRoot);
        return commitEnd;
    }

    /**
     * The payload of the atom at {@code offset} of {@code s} when it is still in the buffer, or
     * {@code null} when it is not (it is then in the file, or the pointer is wrong).
     */
    synchronized byte[] readUnflushed(Segment s, long offset) {
        if (s != current || offset < bufferStart) {
            return null;
        }
        if (offset - bufferStart + 5 > buffer.position()) {
            throw segments.corrupt(s, offset, "a pointer past the end of the log");
        }
        int at = (int) (offset - bufferStart);
        int length = buffer.getInt(at);
        byte kind = buffer.get(at + 5 - 1);
        if (kind != WalFormat.KIND_ATOM || length < 0
                || at + WalFormat.RECORD_OVERHEAD + (long) length > buffer.position()) {
            throw segments.corrupt(s, offset, "not an atom record");
        }
        byte[] payload = new byte[length];
        buffer.get(at + 5, payload);
        return payload;
    }

    /** Writes the buffered records to the OS. */
    synchronized void flush() {
        flushBuffer();
    }

    synchronized Appended appended() {
        return new Appended(writtenSequence, writtenRoot, commitEnd);
    }

    synchronized long currentSegmentId() {
        return current.id;
    }

    /**
     * Takes the sealed segment {@code id} out of the registry and out of the segments awaiting an
     * fsync, so that nothing appends to or fsyncs it any more; the caller deletes it. Refused (null)
     * for the segment being appended to, or once the storage is closed.
     */
    synchronized Segment detachSealed(long id) {
        if (health.isClosed() || current == null || id >= current.id) {
            return null;
        }
        Segment s = segments.remove(id);
        unsynced.remove(s);
        return s;
    }

    /**
     * Marks the storage closed, under this writer's monitor so that no append is half done; false
     * when it already was.
     */
    synchronized boolean shut() {
        if (health.isClosed()) {
            return false;
        }
        health.markClosed();
        return true;
    }

    /**
     * Ends the log with a close record once everything before it is on disk, so the next open can
     * take the root from the last {@value WalFormat#ROOT_RECORD_SIZE} bytes instead of scanning the
     * segment. Skipped when the log already ends in one.
     */
    synchronized void writeCloseRecord() {
        if (!appendedSinceClean) {
            writeManifest(LogManifest.State.CLOSED, current.id, current.written, writtenSequence);
            return;
        }
        AtomPointer r = writtenRoot;
        append(WalFormat.KIND_CLOSE, new WalFormat.RootRecord(writtenSequence,
                r == null ? -1 : r.segmentId(), r == null ? -1 : r.offset(), -1, -1,
                System.currentTimeMillis(), current.synced).toPayload());
        flushBuffer();
        // the close record must end the file (see LogRecovery#closeRecordAtEnd)
        cutPreallocation(current);
        unsynced.remove(current);
        force(current);
        appendedSinceClean = false;
        // only now that the close record is durable: the next open expects the log to end with it
        writeManifest(LogManifest.State.CLOSED, current.id, current.written, writtenSequence);
    }

    private long end() {
        return bufferStart + buffer.position();
    }

    private long firstRecordEnd() {
        return WalFormat.HEADER_SIZE + WalFormat.RECORD_OVERHEAD + WalFormat.COMMIT_PAYLOAD;
    }

    private void append(byte kind, byte[] payload) {
        appendedSinceClean = true;
        int size = payload.length + WalFormat.RECORD_OVERHEAD;
        byte[] head = new byte[5];
        ByteBuffer.wrap(head).putInt(payload.length).put(kind);
        int crc = WalFormat.recordCrc(head, payload);
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

    /** Writes the buffer to the current segment's channel. */
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
            segments.io(s, c -> {
                data.position(start);
                long pos = position;
                while (data.hasRemaining()) {
                    pos += c.write(data, pos);
                }
                return null;
            });
        } catch (IOException e) {
            health.poison(e);
            throw new StorageException("Cannot write to " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
    }

    /**
     * Before the bytes up to {@code needed} are written to the segment being appended to: when they
     * reach past its allocated length, writes zeros from there to {@link #PREALLOCATION} bytes past
     * {@code needed} (not beyond the segment size, unless one record is larger).
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
            segments.io(s, c -> {
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
            health.poison(e);
            throw new StorageException("Cannot extend " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
        s.allocated = target;
    }

    /**
     * Cuts the zeros written ahead off the end of {@code s}, so the file ends with its last record (a
     * sealed segment, or a cleanly closed log); the next fsync makes the new length durable.
     */
    private void cutPreallocation(Segment s) {
        if (s.allocated <= s.written) {
            return;
        }
        try {
            segments.io(s, c -> c.truncate(s.written));
            s.allocated = s.written;
        } catch (IOException e) {
            health.poison(e);
            throw new StorageException("Cannot truncate " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage() + "; the storage must be reopened", e);
        }
    }

    /** Seals the current segment and starts the next with a checkpoint of the current root. */
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
            Segment s = new Segment(id, channel);
            preallocate(s, WalFormat.HEADER_SIZE);
            write(s, WalFormat.header(id, System.currentTimeMillis()), 0);
            s.written = WalFormat.HEADER_SIZE;
            segments.add(s);
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
            health.poison(e);
            throw new StorageException("Cannot create segment " + WalFormat.fileName(id) + " in "
                    + provider.directory() + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ fsync

    /**
     * Takes the segments awaiting an fsync together with the newest root appended: once they are
     * fsynced, that root is durable.
     */
    synchronized SyncBatch takeSyncBatch() {
        Appended appended = new Appended(writtenSequence, writtenRoot, commitEnd);
        List<Segment> toSync = new ArrayList<>(unsynced);
        unsynced.clear();
        return new SyncBatch(appended, toSync);
    }

    /** Fsyncs every segment with bytes written to the OS but not yet fsynced. */
    void forceUnsynced() {
        List<Segment> toSync;
        synchronized (this) {
            toSync = new ArrayList<>(unsynced);
            unsynced.clear();
        }
        for (Segment s : toSync) {
            force(s);
        }
    }

    /**
     * Fsyncs {@code s}: everything written to it before the call is then durable. Needs no lock:
     * {@link Segment#synced} only grows, under the segment's monitor. A segment compaction released
     * since the fsync was planned is skipped: no root reaches it any more, and its file may be gone.
     */
    void force(Segment s) {
        if (!s.pin()) {
            return;
        }
        try {
            forcePinned(s);
        } finally {
            segments.unpin(s);
        }
    }

    private void forcePinned(Segment s) {
        long upTo = s.written;
        try {
            segments.io(s, c -> {
                c.force(false);
                return null;
            });
            fsyncs.increment();
            synchronized (s) {
                s.synced = Math.max(s.synced, upTo);
            }
        } catch (IOException e) {
            health.poison(e);
            throw new StorageException("fsync of " + s.name + " in " + provider.directory() + " failed: "
                    + e.getMessage() + "; the storage must be reopened (recovery keeps every durable commit)", e);
        }
    }

    /** The number of fsyncs of segment files since the storage was opened. */
    long fsyncCount() {
        return fsyncs.sum();
    }

    // ------------------------------------------------------------------ manifest

    /** Writes the manifest; a failure poisons the storage like a failed fsync of the log. */
    synchronized void writeManifest(LogManifest.State state, long lastSegment, long lastLength, long seq) {
        try {
            manifest.write(state, lastSegment, lastLength, seq);
        } catch (IOException e) {
            health.poison(e);
            throw new StorageException("Cannot write " + LogManifest.FILE + " in " + provider.directory() + ": "
                    + e + "; the storage must be reopened (recovery keeps every durable commit)", e);
        }
    }

    /**
     * Writes the manifest again with the same content and the release log's new length, after a
     * release; a failure poisons the storage like a failed fsync of the log.
     */
    synchronized void refreshManifest() {
        try {
            manifest.rewrite();
        } catch (IOException e) {
            health.poison(e);
            throw new StorageException("Cannot write " + LogManifest.FILE + " in " + provider.directory() + ": "
                    + e + "; the storage must be reopened (recovery keeps every durable commit)", e);
        }
    }

    void closeManifest() {
        manifest.close();
    }
}
