package io.protobase.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ceiling of group commit on this disk, without a database: each operation appends one
 * commit's worth of bytes (4,300, what a ProtoBase one-key commit writes) to one shared file and
 * returns once an fdatasync covered them. One fsync runs at a time and covers everything written
 * before it started; a thread finding one running waits for it and then, unless it was covered,
 * runs the next: the group commit of {@link FileConcurrentCommitBenchmark} reduced to its I/O.
 * {@code eightThreads / oneThread} is the most any engine's group commit can gain here over
 * one committer.
 *
 * <p>{@code file=append} grows the file with every write (as a log segment does); {@code preallocated}
 * overwrites a zero-filled, fsynced file (no size change for the fdatasync to journal).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class FsyncCeilingBenchmark {

    private static final int COMMIT_BYTES = 4_300;
    private static final long PREALLOCATED = 512L * 1024 * 1024;

    @State(Scope.Benchmark)
    public static class Log {
        @Param({"append", "preallocated"})
        public String file;

        Path dir;
        FileChannel channel;
        final Object writeLock = new Object();
        final Object syncMonitor = new Object();
        long written;
        long durable;
        boolean syncing;
        final LongAdder commits = new LongAdder();
        final LongAdder fsyncs = new LongAdder();

        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = FileStores.newDir("fsync-ceiling-");
            channel = FileChannel.open(dir.resolve("log"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            if (file.equals("preallocated")) {
                ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
                for (long pos = 0; pos < PREALLOCATED; pos += zeros.capacity()) {
                    zeros.clear();
                    channel.write(zeros, pos);
                }
                channel.force(true);
            }
            written = 0;
            durable = 0;
            commits.reset();
            fsyncs.reset();
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            FileStores.log("fsync ceiling (%s): %.2f commits per fsync", file,
                    commits.sum() / (double) Math.max(1, fsyncs.sum()));
            channel.close();
            FileStores.delete(dir);
        }

        void commit(ByteBuffer bytes) {
            try {
                long mine;
                synchronized (writeLock) {
                    bytes.clear();
                    long pos = written % PREALLOCATED; // stays inside the preallocated file
                    while (bytes.hasRemaining()) {
                        pos += channel.write(bytes, pos);
                    }
                    written += COMMIT_BYTES;
                    mine = written;
                }
                awaitDurable(mine);
                commits.increment();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void awaitDurable(long mine) throws IOException {
            while (true) {
                synchronized (syncMonitor) {
                    while (durable < mine && syncing) {
                        try {
                            syncMonitor.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException(e);
                        }
                    }
                    if (durable >= mine) {
                        return;
                    }
                    syncing = true;
                }
                long target;
                synchronized (writeLock) {
                    target = written;
                }
                try {
                    channel.force(false);
                    fsyncs.increment();
                } finally {
                    synchronized (syncMonitor) {
                        syncing = false;
                        durable = Math.max(durable, target);
                        syncMonitor.notifyAll();
                    }
                }
            }
        }
    }

    @State(Scope.Thread)
    public static class Payload {
        final ByteBuffer bytes = ByteBuffer.allocate(COMMIT_BYTES);
    }

    @Benchmark
    @Threads(1)
    public void oneThread(Log log, Payload p) {
        log.commit(p.bytes);
    }

    @Benchmark
    @Threads(8)
    public void eightThreads(Log log, Payload p) {
        log.commit(p.bytes);
    }
}
