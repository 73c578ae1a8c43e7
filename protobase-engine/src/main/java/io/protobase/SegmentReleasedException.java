package io.protobase;

/**
 * An atom was read from a segment that compaction released ({@link ObjectSpace#compact()}): the
 * version referencing it had left the history retention and nothing pinned it. A reader inside a
 * transaction, a history view or a backup never sees this (what they read stays retained); the
 * engine meets it where a history link leads past the retention, and treats that history as gone.
 * Anywhere else it means a pointer was kept outside the transaction it came from, or the data is
 * damaged. The message names the atom and its segment.
 */
public class SegmentReleasedException extends CorruptionException {

    private static final long serialVersionUID = 1L;

    private final long segmentId;

    /**
     * @param message what was read and why it is gone
     * @param segmentId the released segment
     */
    public SegmentReleasedException(String message, long segmentId) {
        super(message);
        this.segmentId = segmentId;
    }

    /**
     * The released segment.
     *
     * @return its id
     */
    public long segmentId() {
        return segmentId;
    }
}
