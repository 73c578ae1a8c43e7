package io.protobase.storage.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

/**
 * A positional write followed by an fsync, for the small files written in place (the manifest, the
 * release log). An interrupt of the writing thread closes the channel (ClosedByInterruptException),
 * and a clean close or a compaction is often run by an interrupted thread (a shutdown hook, a
 * cancelled task): the write is positional, so it is retried on a reopened channel, a few times, and
 * the interrupt is restored afterwards.
 */
final class DurableWrite {

    /** Opens the file's channel again, creating the file if needed. */
    @FunctionalInterface
    interface Opener {
        FileChannel open() throws IOException;
    }

    private static final int ATTEMPTS = 4;

    private DurableWrite() {
    }

    /**
     * Writes {@code data} (from its position to its limit) at {@code position} and forces it to disk.
     *
     * @param channel the open channel, or {@code null} (or closed) to open one with {@code reopen}
     * @return the channel written through: {@code channel}, or the one opened in its place
     */
    static FileChannel writeAndForce(FileChannel channel, Opener reopen, ByteBuffer data, long position)
            throws IOException {
        boolean interrupted = false;
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    if (channel == null || !channel.isOpen()) {
                        channel = reopen.open();
                    }
                    ByteBuffer b = data.duplicate();
                    long at = position;
                    while (b.hasRemaining()) {
                        at += channel.write(b, at);
                    }
                    channel.force(false);
                    return channel;
                } catch (ClosedChannelException e) {
                    if (attempt >= ATTEMPTS) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
