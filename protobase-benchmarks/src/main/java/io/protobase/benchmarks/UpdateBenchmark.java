package io.protobase.benchmarks;

import io.protobase.collection.DbObject;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * (c) One-key commits on a prebuilt map of {@code size} entries, each replacing the record of one existing
 * key: ProtoBase {@code db.write} setting one key of the root {@code Dictionary}; MVStore {@code map.put}
 * followed by {@code store.commit()} (and {@code store.sync()} on a file, so that both sides' commits are
 * durable there; ProtoBase's file storage fsyncs every commit by default).
 * <ul>
 *   <li>{@code protobaseUpdate} / {@code mvstoreUpdate}: one thread; one invocation runs {@value #BATCH}
 *       commits (single shot) and the score is the average time of one ({@code @OperationsPerInvocation}),
 *       so {@value #BATCH} commits take the score in milliseconds (20 such invocations warm the JIT up first:
 *       with 3, the commit path was still being compiled during the measured ones);</li>
 *   <li>{@code protobaseUpdate8Threads} / {@code mvstoreUpdate8Threads}: eight threads committing as fast as
 *       they can, each on its own slice of the keys (no conflicts), throughput in commits per second.</li>
 * </ul>
 *
 * <p>Keys follow a fixed random permutation of all keys; each thread continues where it stopped, and every
 * new record carries a price that differs from the stored one, so no commit is a no-op. Each iteration ends
 * by checking that the last key each thread wrote holds its last price.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 20)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class UpdateBenchmark {

    /** Commits per single-shot invocation of the one-thread benchmarks. */
    public static final int BATCH = 1_000;

    /** The update order, shared by both engines and every thread. */
    @State(Scope.Benchmark)
    public static class Plan {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code memory} or {@code file} (see {@link Dataset.Backing}). */
        @Param({"memory", "file"})
        public String storage;
        int[] ids;
        String[] keys;
        final AtomicInteger threadIndex = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() {
            ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
            keys = Dataset.keys(ids);
        }
    }

    /** One thread's slice of the update order, its position in it and its last commit. */
    @State(Scope.Thread)
    public static class Writer {
        int from;
        int length;
        int next;
        long commits;
        int lastId;
        double lastPrice;

        @Setup(Level.Trial)
        public void setUp(Plan p, BenchmarkParams params) {
            int threads = params.getThreads();
            length = p.size / threads;
            from = p.threadIndex.getAndIncrement() % threads * length;
        }

        /** Index into the plan of the next key to update. */
        int nextIndex() {
            int j = from + next;
            if (++next == length) {
                next = 0;
            }
            return j;
        }

        /** A price for entry {@code id} that differs from every price this writer gave it before. */
        double nextPrice(int id) {
            return Dataset.price(id) + ++commits;
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Dataset.ProtoBaseMap data;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            data = Dataset.ProtoBaseMap.load(p.size, Dataset.Backing.of(p.storage));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    /**
     * As {@link ProtoBaseState}, run as a service that reclaims space would run: no history kept past the latest
     * version and the background compactor every second, so the superseded versions do not fill the heap.
     * Without it {@code MemoryStorage} keeps every version (the default history is one minute and nothing
     * compacts), and at eight threads the heap fills within the measurement: the collector then takes most of
     * each iteration.
     */
    @State(Scope.Benchmark)
    public static class ReclaimingProtoBaseState {
        Dataset.ProtoBaseMap data;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            data = Dataset.ProtoBaseMap.load(p.size, Dataset.Backing.of(p.storage),
                    b -> b.historyRetention(Duration.ZERO).compactionInterval(Duration.ofSeconds(1)));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Dataset.MVStoreMap data;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            data = Dataset.MVStoreMap.load(p.size, Dataset.Backing.of(p.storage));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    /** Checks, after each iteration, what each thread wrote last (a state of its own so both engines use it). */
    @State(Scope.Thread)
    public static class ProtoBaseCheck {
        @TearDown(Level.Iteration)
        public void verify(Writer w, ProtoBaseState s) {
            if (w.commits > 0) {
                s.data.checkPrice(w.lastId, w.lastPrice);
            }
        }
    }

    /** As {@link ProtoBaseCheck}, for MVStore. */
    @State(Scope.Thread)
    public static class MVStoreCheck {
        @TearDown(Level.Iteration)
        public void verify(Writer w, MVStoreState s) {
            if (w.commits > 0) {
                s.data.checkPrice(w.lastId, w.lastPrice);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void protobaseUpdate(Plan p, Writer w, ProtoBaseState s, ProtoBaseCheck check) {
        for (int i = 0; i < BATCH; i++) {
            protobaseCommit(p, w, s.data);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void mvstoreUpdate(Plan p, Writer w, MVStoreState s, MVStoreCheck check) {
        for (int i = 0; i < BATCH; i++) {
            mvstoreCommit(p, w, s);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 4, time = 2)
    @Measurement(iterations = 3, time = 3)
    @Threads(8)
    public void protobaseUpdate8Threads(Plan p, Writer w, ProtoBaseState s, ProtoBaseCheck check) {
        protobaseCommit(p, w, s.data);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 4, time = 2)
    @Measurement(iterations = 3, time = 3)
    @Threads(8)
    public void protobaseUpdate8ThreadsReclaiming(Plan p, Writer w, ReclaimingProtoBaseState s) {
        protobaseCommit(p, w, s.data);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 4, time = 2)
    @Measurement(iterations = 3, time = 3)
    @Threads(8)
    public void mvstoreUpdate8Threads(Plan p, Writer w, MVStoreState s, MVStoreCheck check) {
        mvstoreCommit(p, w, s);
    }

    private static void protobaseCommit(Plan p, Writer w, Dataset.ProtoBaseMap data) {
        int j = w.nextIndex();
        int id = p.ids[j];
        String key = p.keys[j];
        double price = w.nextPrice(id);
        DbObject record = Dataset.protobaseRecord(id, price);
        Dataset.replace(data.db, key, record);
        w.lastId = id;
        w.lastPrice = price;
    }

    private static void mvstoreCommit(Plan p, Writer w, MVStoreState s) {
        int j = w.nextIndex();
        int id = p.ids[j];
        double price = w.nextPrice(id);
        s.data.map.put(p.keys[j], Dataset.mvstoreRecord(id, price));
        s.data.commit();
        w.lastId = id;
        w.lastPrice = price;
    }
}
