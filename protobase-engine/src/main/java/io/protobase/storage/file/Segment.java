package io.protobase.storage.file;

import java.nio.channels.FileChannel;

/**
 * One open segment file of the log: its channel and how far it is written, fsynced and allocated.
 *
 * <p>{@link #written} only grows, under the {@link LogWriter}'s lock, after the bytes are in the
 * channel; readers check pointers against it without a lock. {@link #synced} grows under this
 * object's monitor, since fsyncs of one segment by several threads may finish in any order.
 * {@link #allocated} belongs to the writer's lock. The channel is replaced under this object's
 * monitor when an interrupt closed it (see {@link Segments#io}). Recovery sets all of them before
 * the storage is shared.
 *
 * <p>A segment lives until it is closed with the storage or released; compaction will add a
 * count of the reads in flight and a retired mark here, so that the file is deleted by the last
 * reader (see the package documentation).
 */
final class Segment {

    final long id;
    final String name;
    /** Replaced when an interrupt closed it (see {@link Segments#io}). */
    volatile FileChannel channel;
    /** Bytes written to the channel (readable through it). */
    volatile long written;
    /** Bytes known to be on disk: written before the last successful fsync. */
    volatile long synced;
    /** Length of the file: {@link #written} plus zeros written ahead (see {@link LogWriter#PREALLOCATION}). */
    long allocated;

    Segment(long id, FileChannel channel) {
        this.id = id;
        this.name = WalFormat.fileName(id);
        this.channel = channel;
    }
}
