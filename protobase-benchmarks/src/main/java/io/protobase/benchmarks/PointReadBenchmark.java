package io.protobase.benchmarks;

import io.protobase.Transaction;
import io.protobase.collection.Dictionary;
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
 * (b) Random point reads of existing keys in a prebuilt map of {@code size} entries. The keys are a fixed
 * random permutation of all keys (new String instances, not the stored ones), read in turn.
 * <ul>
 *   <li>{@code protobaseGet}: {@code Dictionary.getAt} on the root of one read-only transaction opened at
 *       setup (the pure lookup path);</li>
 *   <li>{@code protobaseGetInNewReadTransaction}: {@code db.read(tx -> root.getAt(key))}, i.e. one read-only
 *       transaction per lookup (snapshot, root lookup and lookup);</li>
 *   <li>{@code mvstoreGet}: {@code MVMap.get}.</li>
 * </ul>
 * {@code storage} puts both in memory or on files (see {@link Dataset.Backing}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class PointReadBenchmark {

    /** The lookup keys, shared by both engines. */
    @State(Scope.Benchmark)
    public static class Keys {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code memory} or {@code file} (see {@link Dataset.Backing}). */
        @Param({"memory", "file"})
        public String storage;
        String[] keys;

        @Setup(Level.Trial)
        public void setUp() {
            keys = Dataset.keys(Dataset.shuffledIds(size, Dataset.READ_SEED));
        }
    }

    /** Position of the next key, per thread. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        String nextKey(Keys k) {
            String key = k.keys[next];
            if (++next == k.keys.length) {
                next = 0;
            }
            return key;
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Dataset.ProtoBaseMap data;
        Transaction tx;
        Dictionary items;

        @Setup(Level.Trial)
        public void setUp(Keys k) {
            data = Dataset.ProtoBaseMap.load(k.size, Dataset.Backing.of(k.storage));
            tx = data.db.newReadOnlyTransaction();
            items = tx.getRootObject(Dataset.NAME, Dictionary.class);
            for (String key : k.keys) {
                if (items.getAt(key) == null) {
                    throw new IllegalStateException("ProtoBase map lacks " + key);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            tx.close();
            data.close();
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Dataset.MVStoreMap data;

        @Setup(Level.Trial)
        public void setUp(Keys k) {
            data = Dataset.MVStoreMap.load(k.size, Dataset.Backing.of(k.storage));
            for (String key : k.keys) {
                if (data.map.get(key) == null) {
                    throw new IllegalStateException("MVStore map lacks " + key);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    @Benchmark
    public Object protobaseGet(Keys k, Cursor c, ProtoBaseState s) {
        return s.items.getAt(c.nextKey(k));
    }

    @Benchmark
    public Object protobaseGetInNewReadTransaction(Keys k, Cursor c, ProtoBaseState s) {
        String key = c.nextKey(k);
        return s.data.db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).getAt(key));
    }

    @Benchmark
    public Object mvstoreGet(Keys k, Cursor c, MVStoreState s) {
        return s.data.map.get(c.nextKey(k));
    }
}
