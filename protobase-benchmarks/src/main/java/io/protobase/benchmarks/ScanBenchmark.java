package io.protobase.benchmarks;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import org.h2.mvstore.Cursor;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * (d) A full scan of a prebuilt map of {@code size} entries in key order, summing the {@code id} field of
 * every record (and sinking every key into the {@link Blackhole}): ProtoBase iterates the root
 * {@code Dictionary} of a read-only transaction; MVStore walks {@code map.cursor(null)}. Setup checks that
 * the sum equals {@code size * (size + 1) / 2} on both engines. {@code storage} puts both in memory or
 * on files (see {@link Dataset.Backing}); on files the scan reads what the load left in each engine's cache.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class ScanBenchmark {

    @State(Scope.Benchmark)
    public static class Size {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code memory} or {@code file} (see {@link Dataset.Backing}). */
        @Param({"memory", "file"})
        public String storage;
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Dataset.ProtoBaseMap data;

        @Setup(Level.Trial)
        public void setUp(Size size) {
            data = Dataset.ProtoBaseMap.load(size.size, Dataset.Backing.of(size.storage));
            check(scanProtoBase(data, null), size.size);
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
        public void setUp(Size size) {
            data = Dataset.MVStoreMap.load(size.size, Dataset.Backing.of(size.storage));
            check(scanMVStore(data, null), size.size);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    @Benchmark
    public void protobaseScan(ProtoBaseState s, Blackhole bh) {
        bh.consume(scanProtoBase(s.data, bh));
    }

    @Benchmark
    public void mvstoreScan(MVStoreState s, Blackhole bh) {
        bh.consume(scanMVStore(s.data, bh));
    }

    static long scanProtoBase(Dataset.ProtoBaseMap data, Blackhole bh) {
        return data.db.read(tx -> {
            long sum = 0;
            Object previous = null;
            for (Map.Entry<Object, Object> e : tx.getRootObject(Dataset.NAME, Dictionary.class)) {
                Object key = e.getKey();
                if (bh != null) {
                    bh.consume(key);
                } else {
                    checkOrder(previous, key);
                    previous = key;
                }
                sum += (Integer) ((DbObject) e.getValue()).getAt("id");
            }
            return sum;
        });
    }

    static long scanMVStore(Dataset.MVStoreMap data, Blackhole bh) {
        long sum = 0;
        Object previous = null;
        Cursor<String, Object[]> c = data.map.cursor(null);
        while (c.hasNext()) {
            String key = c.next();
            if (bh != null) {
                bh.consume(key);
            } else {
                checkOrder(previous, key);
                previous = key;
            }
            sum += (Integer) c.getValue()[0];
        }
        return sum;
    }

    private static void checkOrder(Object previous, Object key) {
        if (previous != null && ((String) previous).compareTo((String) key) >= 0) {
            throw new IllegalStateException("scan out of order: " + previous + " then " + key);
        }
    }

    private static void check(long sum, int size) {
        if (sum != Dataset.idSum(size)) {
            throw new IllegalStateException("scan summed " + sum + ", expected " + Dataset.idSum(size));
        }
    }
}
