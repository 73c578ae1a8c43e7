package io.protobase.storage.file;

/** When the file storage forces written bytes to the disk. */
public enum FsyncPolicy {
    /** Every commit returns after its commit record is on disk (concurrent commits share one fsync). */
    COMMIT,
    /**
     * Commits return once written to the operating system and are fsynced at most every interval: a
     * process crash loses nothing, a power loss may lose the last interval.
     */
    INTERVAL,
    /**
     * No fsync per commit: only when a segment is rotated and on close. Survives a process crash, not
     * a power loss.
     */
    NONE
}
