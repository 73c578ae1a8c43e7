package io.protobase.storage.file;

import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;

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
 * <p>A segment lives until it is closed with the storage or released. A released segment is
 * <em>retired</em>: it can no longer be {@link #pin pinned}, and whoever brings the count of reads
 * in flight of a retired segment to zero (the releasing thread when no read is in flight, else the
 * last reader) closes and deletes its file, exactly once (see the package documentation).
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

    /** Twice the number of reads in flight, plus one once retired. */
    private final AtomicInteger pins = new AtomicInteger();

    Segment(long id, FileChannel channel) {
        this.id = id;
        this.name = WalFormat.fileName(id);
        this.channel = channel;
    }

    /** Counts a read in flight; false once retired (the segment was released, the read must not start). */
    boolean pin() {
        for (;;) {
            int v = pins.get();
            if ((v & 1) != 0) {
                return false;
            }
            if (pins.compareAndSet(v, v + 2)) {
                return true;
            }
        }
    }

    /** Ends a read counted by {@link #pin}; true when it was the last read of a retired segment: delete it now. */
    boolean unpin() {
        return pins.addAndGet(-2) == 1;
    }

    /** Marks the segment retired; true when no read was in flight, so the caller deletes it now. */
    boolean retire() {
        return pins.getAndUpdate(v -> v | 1) == 0;
    }
}
