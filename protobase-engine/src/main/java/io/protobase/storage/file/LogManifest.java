package io.protobase.storage.file;

import io.protobase.CorruptionException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The manifest of a log directory ({@value #FILE}): what recovery must find in the segments, so
 * that bytes missing from a log cannot pass for the torn tail of a crash. It says whether the log
 * was closed cleanly (then the last segment must be exactly as long as it was at close), which
 * segment was being appended to and the sequence number known durable (then recovery must reach
 * them).
 *
 * <p>It is written at open (state {@link State#OPEN}), at each segment rotation, at a clean
 * close ({@link State#CLOSED}) and after a compaction release, never by a commit, so it adds no fsync to the commit
 * path. Like
 * LMDB's two meta pages it has two slots written alternately, each with a generation number and a
 * CRC32C: the valid slot with the higher generation wins, and a write torn by a crash damages only
 * the slot being written, leaving the previous state in the other. The byte layout is specified in
 * {@code docs/file-format.md}. Not thread-safe: the storage writes it under its write lock.
 *
 * <p>Once compaction has released segments it also records how long the {@link ReleaseLog} was
 * (durably) when the slot was written, so that a release log deleted or cut short is found instead
 * of its segments being taken for missing ones. Such a slot is written in format version 2, and
 * only then: a directory that never compacted stays readable by builds that know version 1, and
 * those refuse one that did, as written by a newer ProtoBase. The version-1 checksum keeps its place
 * and its bytes in version 2, which adds the length and a checksum over everything.
 */
final class LogManifest {

    static final String FILE = "protobase.manifest";
    static final byte[] MAGIC = {'P', 'B', 'M', 'A', 'N', '\r', '\n', 0};
    /** The newest format version, written once the directory has a release log. */
    static final int VERSION = 2;
    /** The format version written while the directory has no release log. */
    static final int VERSION_WITHOUT_RELEASES = 1;
    /** One disk sector per slot: a slot write never shares a sector with the other slot. */
    static final int SLOT_SIZE = 512;
    static final int CONTENT_SIZE = 64;
    /** Content length of a version-2 slot: version 1's, plus the release log length and a second checksum. */
    static final int CONTENT_SIZE_V2 = 72;
    private static final int CRC_AT = 56;
    private static final int RELEASE_LOG_LENGTH_AT = 60;
    private static final int CRC_V2_AT = 68;

    /** Whether the log may end in a torn tail. */
    enum State {
        /** A storage had it open: after a crash the last segment may end in a torn tail. */
        OPEN(1),
        /** Closed cleanly: the last segment ends with its close record, at a known length. */
        CLOSED(2);

        final int code;

        State(int code) {
            this.code = code;
        }

        static State of(int code) {
            for (State s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * One slot's content.
     *
     * @param state open or cleanly closed
     * @param generation incremented by each write
     * @param lastSegment the segment being appended to (open), or ending in the close record (closed)
     * @param lastLength the length of {@code lastSegment} at a clean close; -1 while open
     * @param sequence a sequence number recovery must reach: durable when the slot was written
     * @param releaseLogLength bytes of the release log durable when the slot was written (0: none)
     */
    record Entry(State state, long generation, long lastSegment, long lastLength, long sequence,
            long releaseLogLength) {

        byte[] toSlot() {
            boolean releases = releaseLogLength > 0;
            ByteBuffer b = ByteBuffer.allocate(SLOT_SIZE);
            b.put(MAGIC);
            b.putShort((short) (releases ? VERSION : VERSION_WITHOUT_RELEASES));
            b.putShort((short) (releases ? CONTENT_SIZE_V2 : CONTENT_SIZE));
            b.putInt(state.code);
            b.putLong(generation);
            b.putLong(lastSegment);
            b.putLong(lastLength);
            b.putLong(sequence);
            b.putLong(System.currentTimeMillis());
            b.putInt(WalFormat.crc(b.array(), 0, CRC_AT));
            if (releases) {
                b.putLong(RELEASE_LOG_LENGTH_AT, releaseLogLength);
                b.putInt(CRC_V2_AT, WalFormat.crc(b.array(), 0, CRC_V2_AT));
            }
            return b.array();
        }
    }

    private final FileBlockProvider provider;
    private FileChannel channel;
    private Entry current;
    /** The durable length of the release log, recorded by each write (0 until it is set). */
    private LongSupplier releaseLogLength = () -> 0;

    private LogManifest(FileBlockProvider provider, FileChannel channel, Entry current) {
        this.provider = provider;
        this.channel = channel;
        this.current = current;
    }

    /**
     * Reads the manifest of {@code provider}'s directory. A directory without one (written by an
     * earlier version, or whose manifest was never completely created) gives a manifest without an
     * entry; the first {@link #write} creates the file.
     *
     * @throws CorruptionException when the file holds data but neither slot is valid, or was
     *         written by a newer format version
     */
    static LogManifest read(FileBlockProvider provider) throws IOException {
        FileChannel channel = provider.openManifest(false);
        if (channel == null) {
            return new LogManifest(provider, null, null);
        }
        try {
            long size = channel.size();
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, 2 * SLOT_SIZE));
            while (b.hasRemaining() && channel.read(b, b.position()) >= 0) {
                // positional reads until the buffer is full
            }
            byte[] bytes = Arrays.copyOf(b.array(), b.position());
            Entry best = null;
            for (int slot = 0; slot < 2; slot++) {
                Entry e = parse(provider, bytes, slot);
                if (e != null && (best == null || e.generation() > best.generation())) {
                    best = e;
                }
            }
            if (best == null && !allZero(bytes)) {
                throw new CorruptionException("The manifest " + provider.directory().resolve(FILE) + " is damaged in "
                        + "both of its slots. The segments may still be intact: restore the directory from a backup, "
                        + "or delete the manifest to open the log as after a crash (its truncation checks resume "
                        + "after the next clean close)");
            }
            return new LogManifest(provider, channel, best);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static Entry parse(FileBlockProvider provider, byte[] bytes, int slot) {
        int at = slot * SLOT_SIZE;
        if (bytes.length < at + CONTENT_SIZE_V2) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, at, CONTENT_SIZE_V2).slice();
        if (!Arrays.equals(bytes, at, at + MAGIC.length, MAGIC, 0, MAGIC.length)
                || b.getInt(CRC_AT) != WalFormat.crc(bytes, at, CRC_AT)) {
            return null;
        }
        int version = b.getShort(8) & 0xFFFF;
        if (version > VERSION) {
            throw new CorruptionException("The manifest " + provider.directory().resolve(FILE) + " was written by a "
                    + "newer ProtoBase (manifest format " + version + ", this build reads " + VERSION
                    + "); upgrade ProtoBase to open this directory");
        }
        State state = State.of(b.getInt(12));
        if (state == null) {
            return null;
        }
        long releaseLog = 0;
        if (version >= VERSION) {
            if (b.getInt(CRC_V2_AT) != WalFormat.crc(bytes, at, CRC_V2_AT)) {
                return null;
            }
            releaseLog = b.getLong(RELEASE_LOG_LENGTH_AT);
        }
        return new Entry(state, b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40), releaseLog);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte x : bytes) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Records, from the next write on, the durable length of the release log {@code length} returns. */
    void recordReleaseLog(LongSupplier length) {
        releaseLogLength = length;
    }

    /** Writes the current entry again, with the release log's current length; nothing when there is no entry. */
    void rewrite() throws IOException {
        if (current != null) {
            write(current.state(), current.lastSegment(), current.lastLength(), current.sequence());
        }
    }

    /** The newest valid entry, or {@code null} for a directory without a manifest. */
    Entry current() {
        return current;
    }

    /**
     * Writes the next generation into the slot not holding the current one and fsyncs it; creates
     * the file (and makes its directory entry durable) the first time.
     */
    void write(State state, long lastSegment, long lastLength, long sequence) throws IOException {
        long generation = current == null ? 1 : current.generation() + 1;
        Entry next = new Entry(state, generation, lastSegment, lastLength, sequence, releaseLogLength.getAsLong());
        // a file left without a valid slot may be one whose creation a crash interrupted: its
        // directory entry is made durable again with the first slot written into it
        boolean created = current == null;
        byte[] bytes = next.toSlot();
        long offset = (generation % 2) * SLOT_SIZE;
        channel = DurableWrite.writeAndForce(channel, () -> provider.openManifest(true), ByteBuffer.wrap(bytes),
                offset);
        if (created) {
            provider.syncDirectory();
        }
        current = next;
    }

    void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was pending: every write was forced
            }
        }
    }
}
