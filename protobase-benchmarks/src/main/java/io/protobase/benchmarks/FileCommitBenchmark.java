package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.storage.file.FsyncPolicy;
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
import org.openjdk.jmh.infra.BenchmarkParams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * File (b): sequential durable single-key commits on a prebuilt store on disk, one thread. One operation is
 * one transaction replacing the record of one existing key that returns once the commit is durable:
 * ProtoBase {@code db.write} setting one key of the root {@code Dictionary} on a {@code StandaloneFileStorage}
 * with {@code fsync=commit}; MVStore {@code map.put}, {@code store.commit()}, {@code store.sync()}; EclipseStore
 * setting the price of the entry's {@code Item} object and {@code storageManager.store(item)} (see
 * {@link FileStores.EclipseStoreFile}: model, durability, locking). EclipseStore 2.1.3 has no durable store, so it
 * runs twice: {@code eclipseFsync=true} with the benchmarks' emulation (a writer that forces every file it wrote:
 * two fsyncs per store), and {@code eclipseFsync=false} with its own writer, which returns without fsync; neither
 * is a like-for-like durable commit. Score: commits per second.
 *
 * <p>The store holds {@code size} entries, <b>100,000 by default</b> (not 1,000,000, to keep the setup
 * short; a commit touches one root-to-leaf path, so the tree size matters only through its depth):
 * {@code -p size=1000000} for the full data set. It is built in the trial setup, in a new directory that the
 * teardown deletes.
 *
 * <p>The states here are shared with {@link FileConcurrentCommitBenchmark} (c), which runs the same
 * operation from 8 threads. Each thread updates its own slice of a fixed random permutation of the keys, in
 * turn, and every new record carries a price that differs from all earlier ones, so no update is a no-op and
 * threads never write the same key. The trial teardown prints the commit count, the ProtoBase batch count
 * (root publications, i.e. fsyncs shared by a group of commits) and the bytes written per commit, closes the
 * store, reopens it and checks that each thread's last update is there.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Threads(1)
public class FileCommitBenchmark {

    /** Default store size of the commit benchmarks. */
    public static final String DEFAULT_SIZE = "100000";

    /** The update order, shared by both engines, and the writers of this trial. */
    @State(Scope.Benchmark)
    public static class Plan {
        @Param(DEFAULT_SIZE)
        public int size;
        int[] ids;
        String[] keys;
        final AtomicInteger threadIndex = new AtomicInteger();
        final List<Writer> writers = new CopyOnWriteArrayList<>();

        @Setup(Level.Trial)
        public void setUp() {
            ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
            keys = Dataset.keys(ids);
        }

        long commits() {
            return writers.stream().mapToLong(w -> w.commits).sum();
        }
    }

    /** One benchmark thread: its slice of the update order and its last update. */
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
            int index = p.threadIndex.getAndIncrement();
            length = p.size / threads;
            if (length == 0) {
                throw new IllegalStateException("size " + p.size + " is smaller than the thread count " + threads);
            }
            from = index * length;
            p.writers.add(this);
        }

        /** Index into the plan of the next key to update. */
        int nextIndex() {
            int j = from + next;
            if (++next == length) {
                next = 0;
            }
            return j;
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        /**
         * ProtoBase's fsync policy during the measured commits (the store is loaded with the default,
         * {@code commit}). {@code -p fsync=commit,none} adds a run without fsync: the CPU cost of a commit.
         */
        @Param({"commit"})
        public String fsync;
        /**
         * ObjectSpace's group commit delay in microseconds (0, the default, never waits): how long a commit may
         * hold back its fsync while other writers are still running their transactions.
         */
        @Param({"0"})
        public long groupCommitDelayMicros;
        Path dir;
        FileStores.ProtoBaseFile data;
        long startBytes;
        long startBatches;
        long startFsyncs;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            dir = FileStores.newDir("protobase-commit-");
            FileStores.ProtoBaseFile.load(dir, p.size).close();
            data = FileStores.ProtoBaseFile.open(dir, FsyncPolicy.valueOf(fsync.toUpperCase(Locale.ROOT)),
                    Duration.ofNanos(groupCommitDelayMicros * 1000));
            startBytes = FileStores.bytesOnDisk(dir);
            startBatches = data.space.statistics().batches();
            startFsyncs = data.storage.fsyncCount();
        }

        @TearDown(Level.Iteration)
        public void report(Plan p) {
            ObjectSpace.Statistics st = data.space.statistics();
            long batches = st.batches() - startBatches;
            long fsyncs = data.storage.fsyncCount() - startFsyncs;
            FileStores.log("ProtoBase: %,d commits so far in %,d root publications and %,d fsyncs (%.2f commits per "
                    + "fsync), %,d conflicts", p.commits(), batches, fsyncs, p.commits() / (double) Math.max(1, fsyncs),
                    st.conflicts());
        }

        @TearDown(Level.Trial)
        public void verifyAndDelete(Plan p) {
            try {
                long commits = p.commits();
                data.close();
                long bytes = FileStores.bytesOnDisk(dir);
                FileStores.log("ProtoBase: %,d commits grew the store from %,d to %,d bytes (%,d bytes per commit)",
                        commits, startBytes, bytes, (bytes - startBytes) / Math.max(1, commits));
                try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                    for (Writer w : p.writers) {
                        if (w.commits > 0) {
                            reopened.checkPrice(w.lastId, w.lastPrice);
                        }
                    }
                }
            } finally {
                data.close();
                FileStores.delete(dir);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Path dir;
        FileStores.MVStoreFile data;
        long startBytes;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            dir = FileStores.newDir("mvstore-commit-");
            data = FileStores.MVStoreFile.load(dir, p.size);
            startBytes = FileStores.bytesOnDisk(dir);
        }

        @TearDown(Level.Trial)
        public void verifyAndDelete(Plan p) {
            try {
                long commits = p.commits();
                long bytes = FileStores.bytesOnDisk(dir);
                FileStores.log("MVStore: %,d commits grew the store from %,d to %,d bytes (%,d bytes per commit; "
                        + "before close)", commits, startBytes, bytes, (bytes - startBytes) / Math.max(1, commits));
                data.close();
                try (FileStores.MVStoreFile reopened = FileStores.MVStoreFile.open(dir)) {
                    for (Writer w : p.writers) {
                        if (w.commits > 0) {
                            reopened.checkPrice(w.lastId, w.lastPrice);
                        }
                    }
                }
            } finally {
                data.close();
                FileStores.delete(dir);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class EclipseStoreState {
        /**
         * Whether every EclipseStore write is forced by the benchmarks' emulation of a durable store
         * ({@code true}), or goes through EclipseStore's own writer, which does not fsync ({@code false}). Both run
         * by default, so the emulation's figure is always published beside the engine's own.
         */
        @Param({"true", "false"})
        public boolean eclipseFsync;
        Path dir;
        FileStores.EclipseStoreFile data;
        long startBytes;
        long startFsyncs;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            dir = FileStores.newDir("eclipsestore-commit-");
            FileStores.EclipseStoreFile.load(dir, p.size).close();
            data = FileStores.EclipseStoreFile.open(dir, eclipseFsync);
            startBytes = FileStores.bytesOnDisk(dir);
            startFsyncs = data.fsyncs.get();
        }

        @TearDown(Level.Iteration)
        public void report(Plan p) {
            long fsyncs = data.fsyncs.get() - startFsyncs;
            FileStores.log("EclipseStore: %,d commits so far, %,d fsyncs (%.2f per commit)", p.commits(), fsyncs,
                    fsyncs / (double) Math.max(1, p.commits()));
        }

        @TearDown(Level.Trial)
        public void verifyAndDelete(Plan p) {
            try {
                long commits = p.commits();
                data.close();
                long bytes = FileStores.bytesOnDisk(dir);
                FileStores.log("EclipseStore: %,d commits grew the store from %,d to %,d bytes (%,d bytes per commit; "
                        + "housekeeping may have compacted files meanwhile)", commits, startBytes, bytes,
                        (bytes - startBytes) / Math.max(1, commits));
                try (FileStores.EclipseStoreFile reopened = FileStores.EclipseStoreFile.open(dir)) {
                    for (Writer w : p.writers) {
                        if (w.commits > 0) {
                            reopened.checkPrice(w.lastId, w.lastPrice);
                        }
                    }
                }
            } finally {
                data.close();
                FileStores.delete(dir);
            }
        }
    }

    /** One durable ProtoBase transaction updating one key; shared with {@link FileConcurrentCommitBenchmark}. */
    static void commitProtoBase(Plan p, Writer w, ProtoBaseState s) {
        commitProtoBase(p, w, s.data.db);
    }

    /**
     * {@link #commitProtoBase(Plan, Writer, ProtoBaseState)} on {@code db}; shared with {@link ClusterCommitBenchmark}.
     * The writer's last update is recorded once the commit returned.
     */
    static void commitProtoBase(Plan p, Writer w, Database db) {
        int j = w.nextIndex();
        int id = p.ids[j];
        String key = p.keys[j];
        long n = ++w.commits;
        double price = Dataset.price(id) + n;
        DbObject record = Dataset.protobaseRecord(id, price);
        Dataset.replace(db, key, record);
        w.lastId = id;
        w.lastPrice = price;
    }

    /** One durable MVStore commit updating one key; shared with {@link FileConcurrentCommitBenchmark}. */
    static void commitMVStore(Plan p, Writer w, MVStoreState s) {
        int j = w.nextIndex();
        int id = p.ids[j];
        long n = ++w.commits;
        double price = Dataset.price(id) + n;
        s.data.map.put(p.keys[j], Dataset.mvstoreRecord(id, price));
        s.data.store.commit();
        s.data.store.sync();
        w.lastId = id;
        w.lastPrice = price;
    }

    /**
     * One durable EclipseStore store updating one key (the item's price, then {@code store(item)}, under the item's
     * lock); shared with {@link FileConcurrentCommitBenchmark}.
     */
    static void commitEclipseStore(Plan p, Writer w, EclipseStoreState s) {
        int j = w.nextIndex();
        int id = p.ids[j];
        long n = ++w.commits;
        double price = Dataset.price(id) + n;
        s.data.update(s.data.get(p.keys[j]), price);
        w.lastId = id;
        w.lastPrice = price;
    }

    @Benchmark
    public void protobaseCommit(Plan p, Writer w, ProtoBaseState s) {
        commitProtoBase(p, w, s);
    }

    @Benchmark
    public void mvstoreCommit(Plan p, Writer w, MVStoreState s) {
        commitMVStore(p, w, s);
    }

    @Benchmark
    public void eclipsestoreCommit(Plan p, Writer w, EclipseStoreState s) {
        commitEclipseStore(p, w, s);
    }
}
