package io.protobase.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * File (c): the durable single-key commits of {@link FileCommitBenchmark} (b) from <b>8 threads</b> on one
 * shared store ({@code @State(Scope.Benchmark)}, default 100,000 entries, {@code -p size=…}). Each thread
 * updates its own slice of the keys, so ProtoBase transactions never conflict. Score: commits per second,
 * all threads together.
 *
 * <p>ProtoBase's pipelined group commit ({@code ObjectSpace} writes every queued transaction as one root
 * update, and one fsync, run after the commit lock is released, makes every update written so far durable)
 * should lift this far above (b); the per-iteration log line shows root publications and fsyncs. MVStore runs the same
 * {@code put}, {@code commit()}, {@code sync()} per operation from 8 threads. EclipseStore runs
 * {@code store(item)} from 8 threads into one storage manager, each change and store under the item's lock
 * (EclipseStore's rule: modify and store under the same lock; the items of different threads never overlap), with
 * and without the benchmarks' forcing writer ({@code eclipseFsync}, see {@link FileCommitBenchmark}). With it, the
 * storage channel (one, the default) writes and forces the stores one after the other, two fsyncs each: no group
 * commit is possible in that emulation, so its 8-thread figure measures the emulation, not EclipseStore.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Threads(8)
public class FileConcurrentCommitBenchmark {

    @Benchmark
    public void protobaseCommit(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w,
            FileCommitBenchmark.ProtoBaseState s) {
        FileCommitBenchmark.commitProtoBase(p, w, s);
    }

    @Benchmark
    public void mvstoreCommit(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w,
            FileCommitBenchmark.MVStoreState s) {
        FileCommitBenchmark.commitMVStore(p, w, s);
    }

    @Benchmark
    public void eclipsestoreCommit(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w,
            FileCommitBenchmark.EclipseStoreState s) {
        FileCommitBenchmark.commitEclipseStore(p, w, s);
    }
}
