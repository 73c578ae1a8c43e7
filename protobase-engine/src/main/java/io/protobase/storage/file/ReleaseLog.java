package io.protobase.storage.file;

import io.protobase.CorruptionException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The durable record of the segments compaction released ({@value #FILE}): an append-only file of
 * checksummed records, each listing the ids of one release. A release appends its record and
 * fsyncs it before any of its segment files is deleted, so recovery tells a segment dropped on
 * purpose from one that is missing, and deletes the files of a release a crash interrupted.
 *
 * <p>Compaction releases arbitrary sealed segments, not only the oldest, so the record is a set of
 * ids, not a low-water mark. Each append is fsynced before the next one starts, so only the last
 * record can be torn by a crash; none of its segments was deleted then, and recovery drops it
 * ({@link #cutTornTail}). The file is created, and its directory entry made durable, by the first
 * release; a directory without one has released nothing. The byte layout is specified in
 * {@code docs/file-format.md}. Not thread-safe: the storage appends under its release lock.
 */
final class ReleaseLog {

    static final String FILE = "protobase.released";
    static final byte[] MAGIC = {'P', 'B', 'R', 'E', 'L', '\r', '\n', 0};
    static final int VERSION = 1;
    static final int HEADER_SIZE = 16;
    /** Ids per record at most: a release of more is split into several records. */
    static final int MAX_IDS_PER_RECORD = 1 << 16;

    private final FileBlockProvider provider;
    private final NavigableSet<Long> ids;
    private FileChannel channel;
    /** End of the last valid record (0: no file); read by the manifest writer under another lock. */
    private volatile long end;
    /** Length of the file when read: larger than {@link #end} when the last append was torn. */
    private final long length;

    private ReleaseLog(FileBlockProvider provider, FileChannel channel, NavigableSet<Long> ids, long end, long length) {
        this.provider = provider;
        this.channel = channel;
        this.ids = ids;
        this.end = end;
        this.length = length;
    }

    /**
     * Reads the released ids of {@code provider}'s directory, changing nothing.
     *
     * @throws CorruptionException when the file is not a release log, or was written by a newer
     *         format version
     */
    static ReleaseLog read(FileBlockProvider provider) throws IOException {
        FileChannel channel = provider.openReleaseLog(false);
        if (channel == null) {
            return new ReleaseLog(provider, null, new TreeSet<>(), 0, 0);
        }
        try {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw damaged(provider, 0, "the file is " + size + " bytes long");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && channel.read(b, b.position()) >= 0) {
                // positional reads until the buffer is full
            }
            byte[] bytes = b.array();
            if (size < HEADER_SIZE) {
                // a creation interrupted before its header was durable: no release was recorded yet
                if (!isZeroOrPrefixOfHeader(bytes)) {
                    throw damaged(provider, 0, "not a ProtoBase release log (bad header)");
                }
                return new ReleaseLog(provider, channel, new TreeSet<>(), 0, size);
            }
            checkHeader(provider, b);
            NavigableSet<Long> ids = new TreeSet<>();
            int at = HEADER_SIZE;
            for (int next = recordEnd(b, at); next > 0; next = recordEnd(b, at)) {
                for (int i = 0; i < b.getInt(at); i++) {
                    ids.add(b.getLong(at + 4 + 8 * i));
                }
                at = next;
            }
            if (at < size) {
                // only the last append can be torn, and it wrote one record at most
                for (int later = at + 1; later < size; later++) {
                    if (recordEnd(b, later) > 0) {
                        throw damaged(provider, at, "an invalid record followed by the valid record at offset "
                                + later);
                    }
                }
                if (size - at > 8L + 8L * MAX_IDS_PER_RECORD) {
                    throw damaged(provider, at, "an invalid record followed by more bytes than one record holds");
                }
            }
            return new ReleaseLog(provider, channel, ids, at, size);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The end of the valid record at {@code at} of {@code b}, or -1 when there is none. */
    private static int recordEnd(ByteBuffer b, int at) {
        if (at + 16 > b.capacity()) {
            return -1;
        }
        int count = b.getInt(at);
        long end = at + 8 + 8L * count;
        if (count <= 0 || count > MAX_IDS_PER_RECORD || end > b.capacity()
                || b.getInt((int) end - 4) != WalFormat.crc(b.array(), at, (int) (end - 4 - at))) {
            return -1;
        }
        return (int) end;
    }

    private static void checkHeader(FileBlockProvider provider, ByteBuffer b) {
        byte[] bytes = b.array();
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || b.getInt(12) != WalFormat.crc(bytes, 0, 12)) {
            throw damaged(provider, 0, "not a ProtoBase release log (bad header)");
        }
        int version = b.getShort(8) & 0xFFFF;
        if (version > VERSION) {
            throw new CorruptionException("The release log " + provider.directory().resolve(FILE) + " was written by a "
                    + "newer ProtoBase (format " + version + ", this build reads " + VERSION + "); upgrade ProtoBase "
                    + "to open this directory");
        }
    }

    private static boolean isZeroOrPrefixOfHeader(byte[] bytes) {
        byte[] header = header();
        boolean zero = true;
        boolean prefix = true;
        for (int i = 0; i < bytes.length; i++) {
            zero &= bytes[i] == 0;
            prefix &= bytes[i] == header[i];
        }
        return zero || prefix;
    }

    private static byte[] header() {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
        h.put(MAGIC).putShort((short) VERSION).putShort((short) HEADER_SIZE);
        h.putInt(WalFormat.crc(h.array(), 0, 12));
        return h.array();
    }

    private static CorruptionException damaged(FileBlockProvider provider, long offset, String what) {
        return new CorruptionException("Corrupt release log " + provider.directory().resolve(FILE) + " at offset "
                + offset + ": " + what + "; it records which segments compaction deleted on purpose. Restore the "
                + "directory from a backup");
    }

    /** Bytes of the file up to the end of its last valid record, all durable (0 without a file). */
    long durableLength() {
        return end;
    }

    /** The ids of every segment released so far, ascending. */
    NavigableSet<Long> ids() {
        return Collections.unmodifiableNavigableSet(ids);
    }

    /**
     * Cuts off the torn last record a crash may leave (its segments were not deleted: that happens
     * only once a record is durable); recovery calls it once the log checked out.
     */
    void cutTornTail() throws IOException {
        if (channel != null && length > end) {
            channel.truncate(Math.max(end, 0));
            channel.force(false);
        }
    }

    /**
     * Appends a record of {@code released} and fsyncs it: once this returns, recovery knows the
     * segments were released on purpose and deletes whatever is left of their files. Creates the
     * file (and makes its directory entry durable) the first time.
     */
    void append(Collection<Long> released) throws IOException {
        List<Long> list = List.copyOf(released);
        for (int from = 0; from < list.size(); from += MAX_IDS_PER_RECORD) {
            appendRecord(list.subList(from, Math.min(list.size(), from + MAX_IDS_PER_RECORD)));
        }
    }

    private void appendRecord(List<Long> released) throws IOException {
        boolean create = end < HEADER_SIZE;
        ByteBuffer record = ByteBuffer.allocate((create ? HEADER_SIZE : 0) + 4 + 8 * released.size() + 4);
        if (create) {
            record.put(header());
        }
        int start = record.position();
        record.putInt(released.size());
        for (long id : released) {
            record.putLong(id);
        }
        record.putInt(WalFormat.crc(record.array(), start, record.position() - start));
        long position = create ? 0 : end;
        channel = DurableWrite.writeAndForce(channel, () -> provider.openReleaseLog(true), record.duplicate().flip(),
                position);
        if (create) {
            provider.syncDirectory();
        }
        end = position + record.capacity();
        ids.addAll(released);
    }

    void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was pending: every append was forced
            }
        }
    }
}
