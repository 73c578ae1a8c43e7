package io.protobase.benchmarks;

import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import org.h2.mvstore.MVMap;
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

import java.util.concurrent.TimeUnit;

/**
 * (a) Builds a map of {@code size} (default 1,000,000) entries in one transaction, keys in random order
 * (fixed seed): ProtoBase fills a {@code Dictionary.builder()}, sets it as a root and commits; MVStore puts
 * into an {@code MVMap} and commits once. Keys and records are created before the measurement (the same
 * data for both), so the time is insertion plus commit. Every iteration starts from an empty store, in
 * memory or on a file ({@code storage}; on a file the commit is durable on both sides: ProtoBase's commit
 * fsyncs, MVStore's {@code commit()} is followed by {@code sync()}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class BuildBenchmark {

    /** Input shared by both engines: keys in insertion order. */
    @State(Scope.Benchmark)
    public static class Input {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code memory} or {@code file} (see {@link Dataset.Backing}). */
        @Param({"memory", "file"})
        public String storage;
        int[] ids;
        String[] keys;

        @Setup(Level.Trial)
        public void setUp() {
            ids = Dataset.shuffledIds(size, Dataset.INSERT_SEED);
            keys = Dataset.keys(ids);
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        DbObject[] records;
        Dataset.ProtoBaseMap target;

        @Setup(Level.Trial)
        public void records(Input in) {
            records = new DbObject[in.size];
            for (int i = 0; i < in.size; i++) {
                records[i] = Dataset.protobaseRecord(in.ids[i]);
            }
        }

        @Setup(Level.Iteration)
        public void open(Input in) {
            target = Dataset.ProtoBaseMap.empty(Dataset.Backing.of(in.storage));
        }

        @TearDown(Level.Iteration)
        public void verifyAndClose(Input in) {
            long count = target.db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
            target.close();
            target = null;
            if (count != in.size) {
                throw new IllegalStateException("built " + count + " entries, expected " + in.size);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Object[][] records;
        Dataset.MVStoreMap target;

        @Setup(Level.Trial)
        public void records(Input in) {
            records = new Object[in.size][];
            for (int i = 0; i < in.size; i++) {
                records[i] = Dataset.mvstoreRecord(in.ids[i]);
            }
        }

        @Setup(Level.Iteration)
        public void open(Input in) {
            target = Dataset.MVStoreMap.empty(Dataset.Backing.of(in.storage));
        }

        @TearDown(Level.Iteration)
        public void verifyAndClose(Input in) {
            long count = target.map.sizeAsLong();
            target.close();
            target = null;
            if (count != in.size) {
                throw new IllegalStateException("built " + count + " entries, expected " + in.size);
            }
        }
    }

    @Benchmark
    public Dictionary protobaseBuild(Input in, ProtoBaseState s) {
        try (Transaction tx = s.target.db.newTransaction()) {
            Dictionary.Builder b = Dictionary.builder();
            String[] keys = in.keys;
            DbObject[] records = s.records;
            for (int i = 0; i < keys.length; i++) {
                b.setAt(keys[i], records[i]);
            }
            Dictionary items = b.build();
            tx.setRootObject(Dataset.NAME, items);
            tx.commit();
            return items;
        }
    }

    @Benchmark
    public MVMap<String, Object[]> mvstoreBuild(Input in, MVStoreState s) {
        MVMap<String, Object[]> map = s.target.map;
        String[] keys = in.keys;
        Object[][] records = s.records;
        for (int i = 0; i < keys.length; i++) {
            map.put(keys[i], records[i]);
        }
        s.target.commit();
        return map;
    }
}
