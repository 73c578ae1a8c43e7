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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * File (a): loads {@code size} (default 1,000,000) entries into a new, empty store on disk in one commit
 * and returns once that commit is durable. ProtoBase fills a {@code Dictionary.builder()} in one transaction,
 * sets it as the root and commits ({@code StandaloneFileStorage}, {@code fsync=commit}); MVStore puts into an
 * {@code MVMap} of a file store, then {@code commit()} and {@code sync()}. Keys and records are created before
 * the measurement (the same data for both), so the time is insertion, encoding, writing and fsync. EclipseStore
 * ({@link FileStores.EclipseStoreFile}) puts the prebuilt {@code Item} objects into its {@code Lazy} shard maps
 * and stores them in one {@code store} of the root's shard array.
 *
 * <p>Every iteration starts from a new directory (setup, not timed: opening the storage, and for ProtoBase
 * creating the database) and deletes it afterwards, after checking the entry count and printing the bytes on
 * disk. Keys are inserted in random order (fixed seed), as in {@link BuildBenchmark}.
 *
 * <p>MVStore runs as a user loading a large data set would configure it ({@code -p mvstore=tuned}, the
 * default): a 64 MB auto-commit buffer instead of the 1 MB default, with which the background auto-commit writes
 * chunk after chunk during a load in random key order, each rewriting most of the tree.
 * {@code -p mvstore=tuned,default,noAutoCommit} adds MVStore's defaults and {@code autoCommitDisabled()}
 * (see {@link FileStores.MVStoreSettings}). EclipseStore's forced writes are the benchmarks' emulation of a
 * durable store (see {@link FileStores.EclipseStoreFile}); {@code -p eclipseFsync=false} runs its own writer.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class FileLoadBenchmark {

    /** Input shared by both engines: keys in insertion order. */
    @State(Scope.Benchmark)
    public static class Input {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
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
        Path dir;
        FileStores.ProtoBaseFile target;

        @Setup(Level.Trial)
        public void records(Input in) {
            records = new DbObject[in.size];
            for (int i = 0; i < in.size; i++) {
                records[i] = Dataset.protobaseRecord(in.ids[i]);
            }
        }

        @Setup(Level.Iteration)
        public void open() {
            dir = FileStores.newDir("protobase-load-");
            target = FileStores.ProtoBaseFile.open(dir);
        }

        @TearDown(Level.Iteration)
        public void verifyAndDelete(Input in) {
            try {
                target.checkCount(in.size);
                target.close();
                FileStores.log("ProtoBase load of %,d entries: %,d bytes on disk (%s)", in.size,
                        FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
                // the durable state, as a new process would see it
                try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                    reopened.checkCount(in.size);
                }
            } finally {
                target.close();
                target = null;
                FileStores.delete(dir);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        /** {@code tuned}, {@code default} or {@code noAutoCommit}: see {@link FileStores.MVStoreSettings}. */
        @Param({"tuned"})
        public String mvstore;
        Object[][] records;
        Path dir;
        FileStores.MVStoreFile target;

        @Setup(Level.Trial)
        public void records(Input in) {
            records = new Object[in.size][];
            for (int i = 0; i < in.size; i++) {
                records[i] = Dataset.mvstoreRecord(in.ids[i]);
            }
        }

        @Setup(Level.Iteration)
        public void open() {
            dir = FileStores.newDir("mvstore-load-");
            target = FileStores.MVStoreFile.open(dir, FileStores.MVStoreSettings.of(mvstore));
        }

        @TearDown(Level.Iteration)
        public void verifyAndDelete(Input in) {
            try {
                target.checkCount(in.size);
                FileStores.log("MVStore load of %,d entries: %,d bytes on disk after sync (%s)", in.size,
                        FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
                target.close();
                try (FileStores.MVStoreFile reopened = FileStores.MVStoreFile.open(dir)) {
                    reopened.checkCount(in.size);
                }
            } finally {
                target.close();
                target = null;
                FileStores.delete(dir);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class EclipseStoreState {
        /** Whether every write is forced (the benchmarks' emulation of a durable store) or EclipseStore's own. */
        @Param({"true"})
        public boolean eclipseFsync;
        FileStores.EclipseStoreFile.Item[] records;
        Path dir;
        FileStores.EclipseStoreFile target;

        @Setup(Level.Trial)
        public void records(Input in) {
            records = new FileStores.EclipseStoreFile.Item[in.size];
            for (int i = 0; i < in.size; i++) {
                records[i] = FileStores.EclipseStoreFile.record(in.ids[i]);
            }
        }

        @Setup(Level.Iteration)
        public void open() {
            dir = FileStores.newDir("eclipsestore-load-");
            target = FileStores.EclipseStoreFile.open(dir, eclipseFsync);
        }

        @TearDown(Level.Iteration)
        public void verifyAndDelete(Input in) {
            try {
                target.checkCount(in.size);
                target.close();
                FileStores.log("EclipseStore load of %,d entries: %,d bytes on disk after shutdown (%s)", in.size,
                        FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
                try (FileStores.EclipseStoreFile reopened = FileStores.EclipseStoreFile.open(dir)) {
                    reopened.checkCount(in.size);
                }
            } finally {
                target.close();
                target = null;
                FileStores.delete(dir);
            }
        }
    }

    @Benchmark
    public Dictionary protobaseLoad(Input in, ProtoBaseState s) {
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
    public MVMap<String, Object[]> mvstoreLoad(Input in, MVStoreState s) {
        MVMap<String, Object[]> map = s.target.map;
        String[] keys = in.keys;
        Object[][] records = s.records;
        for (int i = 0; i < keys.length; i++) {
            map.put(keys[i], records[i]);
        }
        s.target.store.commit();
        s.target.store.sync();
        return map;
    }

    @Benchmark
    public Object eclipsestoreLoad(Input in, EclipseStoreState s) {
        s.target.loadAll(in.keys, s.records);
        return s.target.root;
    }
}
