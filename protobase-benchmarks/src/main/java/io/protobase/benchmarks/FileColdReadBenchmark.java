package io.protobase.benchmarks;

import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * File (d): {@value #READS} random point reads of existing keys right after reopening a store of
 * {@code size} (default 1,000,000) entries, i.e. with a cold engine cache. One invocation (single shot) runs
 * the {@value #READS} reads; the score is the average time of one read ({@code @OperationsPerInvocation}).
 *
 * <p>The store is built once per trial and closed. Before every iteration (not timed) it is reopened:
 * ProtoBase a new {@code StandaloneFileStorage} and a new {@code ObjectSpace} (default cache bound) on it;
 * MVStore {@code new MVStore.Builder().fileName(..).open()} and {@code openMap}. The reads of one iteration
 * then go through one read-only transaction (ProtoBase) or {@code MVMap.get} (MVStore), each iteration on
 * the next window of a fixed random permutation of the keys. EclipseStore ({@link FileStores.EclipseStoreFile}) is
 * restarted before every iteration (a new storage manager: no shard loaded); each read loads the key's
 * {@code Lazy} shard map on first use (with its items) and looks the key up. "Cold" is the engine's cache only: the OS
 * page cache still holds the files (dropping it needs root), the same for both engines.
 *
 * <p>Each iteration's teardown checks the sum of the ids read and, for ProtoBase, prints the bytes read from
 * storage and the cache misses.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class FileColdReadBenchmark {

    /** Reads per invocation. */
    public static final int READS = 10_000;

    /** The read order, shared by both engines, and the window of the current iteration. */
    @State(Scope.Benchmark)
    public static class Keys {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        int[] ids;
        String[] keys;
        int from;
        int count;
        long expectedSum;
        long sum;

        @Setup(Level.Trial)
        public void setUp() {
            ids = Dataset.shuffledIds(size, Dataset.READ_SEED);
            keys = Dataset.keys(ids);
        }

        @Setup(Level.Iteration)
        public void window() {
            count = Math.min(READS, size);
            if (from + count > size) {
                from = 0;
            }
            expectedSum = 0;
            for (int i = from; i < from + count; i++) {
                expectedSum += ids[i];
            }
            sum = -1;
        }

        @TearDown(Level.Iteration)
        public void check() {
            if (sum != expectedSum) {
                throw new IllegalStateException("the reads found id sum " + sum + ", expected " + expectedSum);
            }
            from += count;
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Path dir;
        FileStores.ProtoBaseFile data;

        @Setup(Level.Trial)
        public void build(Keys k) {
            dir = FileStores.newDir("protobase-read-");
            FileStores.ProtoBaseFile.load(dir, k.size).close();
            FileStores.log("ProtoBase store of %,d entries: %,d bytes on disk", k.size, FileStores.bytesOnDisk(dir));
        }

        @Setup(Level.Iteration)
        public void open() {
            data = FileStores.ProtoBaseFile.open(dir);
        }

        @TearDown(Level.Iteration)
        public void close() {
            ObjectSpace.Statistics st = data.space.statistics();
            FileStores.log("ProtoBase: %,d bytes read from storage, %,d cache misses, %,d hits", st.bytesRead(),
                    st.cacheMisses(), st.cacheHits());
            data.close();
            data = null;
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Path dir;
        FileStores.MVStoreFile data;

        @Setup(Level.Trial)
        public void build(Keys k) {
            dir = FileStores.newDir("mvstore-read-");
            FileStores.MVStoreFile.load(dir, k.size).close();
            FileStores.log("MVStore store of %,d entries: %,d bytes on disk", k.size, FileStores.bytesOnDisk(dir));
        }

        @Setup(Level.Iteration)
        public void open() {
            data = FileStores.MVStoreFile.open(dir);
        }

        @TearDown(Level.Iteration)
        public void close() {
            data.close();
            data = null;
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class EclipseStoreState {
        Path dir;
        FileStores.EclipseStoreFile data;

        @Setup(Level.Trial)
        public void build(Keys k) {
            dir = FileStores.newDir("eclipsestore-read-");
            FileStores.EclipseStoreFile.load(dir, k.size).close();
            FileStores.log("EclipseStore storage of %,d entries: %,d bytes on disk", k.size,
                    FileStores.bytesOnDisk(dir));
        }

        @Setup(Level.Iteration)
        public void open() {
            data = FileStores.EclipseStoreFile.open(dir);
        }

        @TearDown(Level.Iteration)
        public void close() {
            data.close();
            data = null;
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public long protobaseColdRead(Keys k, ProtoBaseState s) {
        long sum = s.data.db.read(tx -> {
            Dictionary items = tx.getRootObject(Dataset.NAME, Dictionary.class);
            String[] keys = k.keys;
            long total = 0;
            for (int i = k.from, end = k.from + k.count; i < end; i++) {
                total += (Integer) ((DbObject) items.getAt(keys[i])).getAt("id");
            }
            return total;
        });
        k.sum = sum;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public long mvstoreColdRead(Keys k, MVStoreState s) {
        String[] keys = k.keys;
        long total = 0;
        for (int i = k.from, end = k.from + k.count; i < end; i++) {
            total += (Integer) s.data.map.get(keys[i])[0];
        }
        k.sum = total;
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public long eclipsestoreColdRead(Keys k, EclipseStoreState s) {
        String[] keys = k.keys;
        long total = 0;
        for (int i = k.from, end = k.from + k.count; i < end; i++) {
            total += s.data.get(keys[i]).id();
        }
        k.sum = total;
        return total;
    }
}
