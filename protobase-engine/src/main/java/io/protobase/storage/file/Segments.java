package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of a log's open segment files, the reads of records from them, and the
 * interrupt-safe channel I/O every other piece of the storage goes through.
 *
 * <p>The registry is a concurrent map: readers look segments up without a lock. Segments are added
 * by recovery and by the {@link LogWriter} when it starts one. A sealed segment is removed when
 * compaction releases it, or when its bytes are kept elsewhere (the cloud storage's
 * {@code releaseSegment}). A read pins its segment ({@link #require}, {@link #readRaw}) while it
 * is registered, so that a removed segment's file is deleted only once no read uses it
 * ({@link #retire}, {@link #unpin}); the package documentation describes the protocol. The ids
 * compaction released are remembered ({@link #markReleased}), so that a read into one of them
 * fails with a {@link SegmentReleasedException} rather than reporting a missing file.
 *
 * <p>A thread interrupted during channel I/O closes the channel for every thread
 * ({@link java.nio.channels.ClosedByInterruptException}). {@link #io} reopens it and retries the
 * (positional, hence repeatable) operation instead, until {@link #closeAll()} has run.
 */
final class Segments {

    /** Logs under the façade's name: users configure, and tests expect, one logger for the file storage. */
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFileStorage.class);
    private static final int READ_AHEAD = 8 * 1024;

    /** One I/O call on a segment's channel. */
    interface ChannelIo<T> {
        T run(FileChannel channel) throws IOException;
    }

    private final FileBlockProvider provider;
    private final Map<Long, Segment> open = new ConcurrentHashMap<>();
    /** Ids of the segments compaction released, those of earlier runs included (from the {@link ReleaseLog}). */
    private final Set<Long> released = ConcurrentHashMap.newKeySet();
    /** Set once {@link #closeAll()} runs: from then on a closed channel is not reopened. */
    private volatile boolean channelsClosed;

    Segments(FileBlockProvider provider) {
        this.provider = provider;
    }

    void add(Segment s) {
        open.put(s.id, s);
    }

    /** The open segment {@code id}, or {@code null}. */
    Segment get(long id) {
        return open.get(id);
    }

    /** Takes segment {@code id} out of the registry (its channel stays open); returns it or {@code null}. */
    Segment remove(long id) {
        return open.remove(id);
    }

    boolean contains(long id) {
        return open.containsKey(id);
    }

    /** Remembers that compaction released the segments {@code ids}; reads into them fail as released from now on. */
    void markReleased(Collection<Long> ids) {
        released.addAll(ids);
    }

    boolean isReleased(long id) {
        return released.contains(id);
    }

    /** Ids of the open segments, ascending. */
    List<Long> ids() {
        List<Long> ids = new ArrayList<>(open.keySet());
        Collections.sort(ids);
        return ids;
    }

    /**
     * Runs {@code op} on the segment's channel. A thread interrupted during channel I/O closes the
     * channel for everyone ({@link java.nio.channels.ClosedByInterruptException}); instead of letting
     * one interrupted committer break the storage for all threads, the channel is reopened and the
     * operation (positional, hence repeatable) retried, and the interrupt status is restored.
     */
    <T> T io(Segment s, ChannelIo<T> op) throws IOException {
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel c = s.channel;
                try {
                    return op.run(c);
                } catch (ClosedChannelException e) {
                    // not the storage's `closed`: close() itself flushes, fsyncs and writes the close
                    // record after setting it, and must survive an interrupt of the closing thread
                    if (channelsClosed || attempt >= 3) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    reopen(s, c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reopens the file of {@code s} if {@code broken} is still its channel and was closed under us. */
    private void reopen(Segment s, FileChannel broken) throws IOException {
        synchronized (s) {
            if (channelsClosed) {
                throw new ClosedChannelException();
            }
            if (s.channel == broken && !broken.isOpen()) {
                s.channel = provider.openSegment(s.id, false);
            }
        }
    }

    void readAt(Segment s, ByteBuffer into, long position) throws IOException {
        io(s, c -> {
            into.clear();
            readFully(c, into, position, s);
            return null;
        });
    }

    /** Fills {@code into} from {@code position} of {@code channel} (a channel of {@code s}) and flips it. */
    void readFully(FileChannel channel, ByteBuffer into, long position, Segment s) throws IOException {
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

    /**
     * The segment {@code pointer} leads into, pinned: the caller reads and then {@link #unpin}s it.
     * Fails with a {@link SegmentReleasedException} when compaction released the segment, and with a
     * {@link CorruptionException} when it is not open otherwise or the pointer names its header.
     */
    Segment require(AtomPointer pointer) {
        if (released.contains(pointer.segmentId())) {
            // released, its file perhaps not yet retired: the release is being recorded (see markReleased)
            throw released(pointer);
        }
        Segment s = open.get(pointer.segmentId());
        if (s == null || !s.pin()) {
            // not pinnable (retired), or gone from the map because it was released and retired after the
            // check above: both are a release, not a missing file
            if (s != null || released.contains(pointer.segmentId())) {
                throw released(pointer);
            }
            throw new CorruptionException("No segment file " + WalFormat.fileName(pointer.segmentId()) + " in "
                    + provider.directory() + " for " + pointer + "; the file is missing or the reference is damaged");
        }
        if (pointer.offset() < WalFormat.HEADER_SIZE) {
            unpin(s);
            throw corrupt(s, pointer.offset(), "a pointer into the segment header");
        }
        return s;
    }

    private SegmentReleasedException released(AtomPointer pointer) {
        return new SegmentReleasedException("No atom at " + pointer + " in " + provider.directory() + ": its segment "
                + WalFormat.fileName(pointer.segmentId()) + " was released by compaction, so no retained version "
                + "references it; the reference comes from a version that is no longer retained (a pointer kept "
                + "outside the transaction it came from), or the data referencing it is corrupt", pointer.segmentId());
    }

    /** Ends a read of {@code s} pinned by {@link #require}; the last read of a released segment deletes its file. */
    void unpin(Segment s) {
        if (s.unpin()) {
            delete(s);
        }
    }

    /**
     * Retires {@code s}, already taken out of the registry: its file is closed and deleted now when
     * no read is in flight, otherwise by the last read to end.
     */
    void retire(Segment s) {
        if (s.retire()) {
            delete(s);
        }
    }

    /**
     * Reads and verifies the atom record {@code pointer} leads to in {@code s}, from bytes already
     * written to the file.
     */
    byte[] readAtom(Segment s, AtomPointer pointer) {
        long offset = pointer.offset();
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
            if (stored != WalFormat.recordCrc(Arrays.copyOf(record, 5), payload)) {
                throw corrupt(s, offset, "checksum mismatch");
            }
            return payload;
        } catch (IOException e) {
            throw new StorageException("Cannot read " + pointer + " from " + s.name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads raw log bytes (header, records, checksums as they are on disk) of segment {@code id}
     * from {@code offset}; the range must lie below the segment's written length.
     */
    byte[] readRaw(long id, long offset, int length) {
        Segment found = open.get(id);
        Segment s = found != null && found.pin() ? found : null;
        try {
            if (s == null || offset < 0 || offset + length > s.written) {
                throw new StorageException("Cannot read " + length + " bytes at " + offset + " of "
                        + WalFormat.fileName(id) + " in " + provider.directory() + ": " + (s == null
                        ? "the segment is not open" : "past its end (" + s.written + " bytes)"));
            }
            ByteBuffer b = ByteBuffer.allocate(length);
            try {
                readAt(s, b, offset);
            } catch (IOException e) {
                throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": "
                        + e.getMessage(), e);
            }
            return b.array();
        } finally {
            if (s != null) {
                unpin(s);
            }
        }
    }

    /**
     * Closes and deletes the file of {@code s}, already taken out of the registry; a failure is
     * logged, not thrown, as the segment is no longer part of the log (a file compaction released
     * and left behind is deleted by the next open).
     */
    private void delete(Segment s) {
        try {
            s.channel.close();
            Files.deleteIfExists(provider.segmentPath(s.id));
        } catch (IOException e) {
            LOG.warn("Releasing {} in {} failed: {}", s.name, provider.directory(), e.toString());
        }
    }

    /** Closes every channel for good and empties the registry. */
    void closeAll() {
        channelsClosed = true;
        for (Segment s : open.values()) {
            try {
                synchronized (s) {
                    s.channel.close();
                }
            } catch (IOException e) {
                LOG.warn("Closing {} failed: {}", s.name, e.toString());
            }
        }
        open.clear();
    }

    CorruptionException corrupt(Segment s, long offset, String what) {
        return new CorruptionException("Corrupt " + s.name + " in " + provider.directory() + " at offset " + offset
                + ": " + what);
    }
}
