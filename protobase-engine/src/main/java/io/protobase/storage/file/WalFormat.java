package io.protobase.storage.file;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Constants and helpers of the write-ahead log format, specified byte by byte in
 * {@code docs/file-format.md}. All integers are big-endian.
 */
final class WalFormat {

    static final byte[] MAGIC = {'P', 'B', 'W', 'A', 'L', '\r', '\n', 0};
    static final int VERSION = 1;
    static final int HEADER_SIZE = 40;

    static final int RECORD_OVERHEAD = 4 + 1 + 4;
    static final int MAX_RECORD_PAYLOAD = 1 << 30;

    static final byte KIND_ATOM = 1;
    static final byte KIND_COMMIT = 2;
    static final byte KIND_CHECKPOINT = 3;
    /** A checkpoint written by a clean close as the segment's last record, after fsyncing all before it. */
    static final byte KIND_CLOSE = 4;

    static final byte[] COMMIT_MAGIC = "PBCOMMIT".getBytes(StandardCharsets.US_ASCII);
    static final int COMMIT_PAYLOAD = 8 + 8 + 16 + 16 + 8 + 8;
    static final int ROOT_RECORD_SIZE = RECORD_OVERHEAD + COMMIT_PAYLOAD;

    private WalFormat() {
    }

    static String fileName(long segmentId) {
        return String.format("wal-%016x.pbl", segmentId);
    }

    /** Parses a segment id from a file name, or returns -1 if it is not a segment file. */
    static long segmentId(String fileName) {
        if (!fileName.startsWith("wal-") || !fileName.endsWith(".pbl") || fileName.length() != 4 + 16 + 4) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(4, 20), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static ByteBuffer header(long segmentId, long createdMillis) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.put(MAGIC);
        b.putShort((short) VERSION);
        b.putShort((short) HEADER_SIZE);
        b.putInt(0);
        b.putLong(segmentId);
        b.putLong(createdMillis);
        b.putInt(crc(b.array(), 0, 32));
        b.putInt(0);
        b.flip();
        return b;
    }

    /** Whether {@code kind} is a record carrying a root (commit, checkpoint or close). */
    static boolean carriesRoot(byte kind) {
        return kind == KIND_COMMIT || kind == KIND_CHECKPOINT || kind == KIND_CLOSE;
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, offset, length);
        return (int) c.getValue();
    }

    /** The checksum of a record: over its 5-byte head (length and kind) and its payload. */
    static int recordCrc(byte[] head, byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(head, 0, 5);
        c.update(payload, 0, payload.length);
        return (int) c.getValue();
    }

    /**
     * The root state carried by commit and checkpoint records. {@code durableLength} is how many
     * bytes of the record's own segment had been fsynced when the record was written: damage below
     * it cannot be a write lost or torn by a crash. In a checkpoint, which has no previous root,
     * {@code previousSegment} and {@code previousOffset} hold the segment sealed just before this one
     * and its final length ({@code -1, -1}: none, or not recorded by the version that wrote it).
     */
    record RootRecord(long sequence, long rootSegment, long rootOffset, long previousSegment, long previousOffset,
            long timeMillis, long durableLength) {

        byte[] toPayload() {
            ByteBuffer b = ByteBuffer.allocate(COMMIT_PAYLOAD);
            b.put(COMMIT_MAGIC);
            b.putLong(sequence);
            b.putLong(rootSegment);
            b.putLong(rootOffset);
            b.putLong(previousSegment);
            b.putLong(previousOffset);
            b.putLong(timeMillis);
            b.putLong(durableLength);
            return b.array();
        }

        static RootRecord fromPayload(byte[] p) {
            ByteBuffer b = ByteBuffer.wrap(p);
            b.position(8);
            return new RootRecord(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                    b.getLong());
        }
    }
}
