package io.protobase.benchmarks;

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

import java.util.concurrent.TimeUnit;

/**
 * (c) {@value #BATCH} transactions, each replacing the record of one existing key, on a prebuilt map of
 * {@code size} entries: ProtoBase {@code db.write} setting one key of the root {@code Dictionary}; MVStore
 * {@code map.put} followed by {@code store.commit()}. One invocation runs the {@value #BATCH} updates
 * (single shot); the score is the average time of one update transaction ({@code @OperationsPerInvocation}).
 *
 * <p>Keys follow a fixed random permutation of all keys; each invocation continues where the previous one
 * stopped, and every new record carries a price that differs from the stored one, so no update is a no-op.
 * Single shots rather than a timed loop because ProtoBase's {@code MemoryStorage} keeps every atom ever
 * written (a few KB per update here): an unbounded time-based loop would fill the heap.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class UpdateBenchmark {

    /** Update transactions per invocation. */
    public static final int BATCH = 10_000;

    /** The update order, shared by both engines. */
    @State(Scope.Benchmark)
    public static class Plan {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        int[] ids;
        String[] keys;

        @Setup(Level.Trial)
        public void setUp() {
            ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
            keys = Dataset.keys(ids);
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Dataset.ProtoBaseMap data;
        int next;
        int round;
        int lastId;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            data = Dataset.ProtoBaseMap.load(p.size);
        }

        @TearDown(Level.Iteration)
        public void verify() {
            DbObject r = (DbObject) data.db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class)
                    .getAt(Dataset.key(lastId)));
            double expected = Dataset.price(lastId) + round;
            if (r == null || (Double) r.getAt("price") != expected) {
                throw new IllegalStateException("key " + lastId + " holds " + r + ", expected price " + expected);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        Dataset.MVStoreMap data;
        int next;
        int round;
        int lastId;

        @Setup(Level.Trial)
        public void setUp(Plan p) {
            data = Dataset.MVStoreMap.load(p.size);
        }

        @TearDown(Level.Iteration)
        public void verify() {
            Object[] r = data.map.get(Dataset.key(lastId));
            double expected = Dataset.price(lastId) + round;
            if (r == null || (Double) r[2] != expected) {
                throw new IllegalStateException("key " + lastId + " holds a wrong record, expected price " + expected);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            data.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void protobaseUpdate(Plan p, ProtoBaseState s) {
        int round = ++s.round;
        for (int i = 0; i < BATCH; i++) {
            int j = s.next;
            s.next = j + 1 == p.ids.length ? 0 : j + 1;
            int id = p.ids[j];
            String key = p.keys[j];
            DbObject record = DbObject.of("id", id, "name", Dataset.name(id), "price", Dataset.price(id) + round);
            s.data.db.write(tx -> {
                Dictionary items = tx.getRootObject(Dataset.NAME, Dictionary.class);
                tx.setRootObject(Dataset.NAME, items.setAt(key, record));
                return null;
            });
            s.lastId = id;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void mvstoreUpdate(Plan p, MVStoreState s) {
        int round = ++s.round;
        for (int i = 0; i < BATCH; i++) {
            int j = s.next;
            s.next = j + 1 == p.ids.length ? 0 : j + 1;
            int id = p.ids[j];
            Object[] record = {id, Dataset.name(id), Dataset.price(id) + round};
            s.data.map.put(p.keys[j], record);
            s.data.store.commit();
            s.lastId = id;
        }
    }
}
