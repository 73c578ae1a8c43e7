package io.protobase.storage.file;

import java.util.List;

/**
 * The log underneath a {@link StandaloneFileStorage}, as a storage built on that log sees it: where
 * the last durable commit ends, which segment files exist and how long they are, their raw bytes, and
 * the release of a sealed segment whose bytes are kept elsewhere. The cloud storage ships the log to
 * S3 through it; the storage's own API stays the storage SPI.
 *
 * <p>Thread-safe.
 */
public final class LocalLog {

    private final Segments segments;
    private final LogWriter writer;
    private final GroupSync sync;
    private final LogHealth health;

    LocalLog(Segments segments, LogWriter writer, GroupSync sync, LogHealth health) {
        this.segments = segments;
        this.writer = writer;
        this.sync = sync;
        this.health = health;
    }

    /**
     * The end of the last durable commit: the log up to there is stable and may be shipped elsewhere.
     *
     * @return the position of the last durable commit
     */
    public StandaloneFileStorage.LogPosition committedPosition() {
        return sync.committed();
    }

    /**
     * The segment files open here.
     *
     * @return their ids, ascending
     */
    public List<Long> segmentIds() {
        return segments.ids();
    }

    /**
     * Whether a segment is open here (it may have been released, see {@link #releaseSegment}).
     *
     * @param id the segment id
     * @return whether its file is open here
     */
    public boolean hasSegment(long id) {
        return segments.contains(id);
    }

    /**
     * The segment being appended to.
     *
     * @return its id
     */
    public long currentSegmentId() {
        return writer.currentSegmentId();
    }

    /**
     * Bytes of a segment written to its file so far.
     *
     * @param id the segment id
     * @return its length, or -1 when it is not open here
     */
    public long segmentLength(long id) {
        Segment s = segments.get(id);
        return s == null ? -1 : s.written;
    }

    /**
     * Reads raw log bytes (header, records, checksums as they are on disk); the range must lie below
     * the segment's written length.
     *
     * @param id     the segment id
     * @param offset where to start in the file
     * @param length how many bytes
     * @return the bytes
     */
    public byte[] readRaw(long id, long offset, int length) {
        health.ensureUsable("read the log");
        return segments.readRaw(id, offset, length);
    }

    /**
     * Closes and deletes a sealed segment whose bytes are kept elsewhere (the cloud storage calls this
     * when its disk cache evicts an uploaded segment); a read already in progress finishes on the file,
     * which the last such read deletes. Later reads of its atoms fail here; the caller reads them from
     * its other copy. The segment being appended to is never released.
     *
     * @param id the segment id
     * @return whether the segment was released
     */
    public boolean releaseSegment(long id) {
        Segment s = writer.detachSealed(id);
        if (s == null) {
            return false;
        }
        segments.retire(s);
        return true;
    }
}
