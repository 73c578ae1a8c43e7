package io.protobase.benchmarks;

import io.protobase.collection.DbObject;
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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * File (e): the time to open a closed store of {@code size} (default 1,000,000) entries and read one entry.
 * ProtoBase: construct {@code StandaloneFileStorage} (directory lock, recovery scan of the last segment),
 * build the {@code ObjectSpace} (reads the space root), {@code getDatabase}, then in a read-only transaction
 * get the root {@code Dictionary} and look up one key. MVStore: {@code new MVStore.Builder().fileName(..).open()},
 * {@code openMap}, {@code get} of the same key. EclipseStore: {@code EmbeddedStorage.Foundation(dir)} (with the
 * forcing writer of {@link FileStores.EclipseStoreFile}), {@code createEmbeddedStorageManager().start()} (which
 * reads the whole storage's entity index and the root), then the key's {@code Lazy} shard and the item. Single
 * shot, one open per iteration; the store is built once per trial and closed after every iteration (not timed).
 * The OS page cache is warm for all.
 *
 * <p>The MVStore file is loaded with {@link FileStores.MVStoreSettings#TUNED} and, by default
 * ({@code -p mvCompact=true}), compacted offline before the trial, as a user would keep a bulk-loaded file:
 * straight after a load in random order most of the file is superseded chunks. {@code -p mvCompact=false}
 * opens the file as the load left it.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class FileOpenBenchmark {

    /** The entry read after opening: the middle id. */
    @State(Scope.Benchmark)
    public static class Input {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        int id;

        @Setup(Level.Trial)
        public void setUp() {
            id = Math.max(1, size / 2);
        }
    }

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        Path dir;
        FileStores.ProtoBaseFile opened;

        @Setup(Level.Trial)
        public void build(Input in) {
            dir = FileStores.newDir("protobase-open-");
            FileStores.ProtoBaseFile.load(dir, in.size).close();
            FileStores.log("ProtoBase store of %,d entries: %,d bytes on disk (%s)", in.size,
                    FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
        }

        @TearDown(Level.Iteration)
        public void close() {
            if (opened != null) {
                opened.close();
                opened = null;
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class MVStoreState {
        /** Whether the loaded file is compacted ({@link FileStores.MVStoreFile#compact}) before it is opened. */
        @Param({"true"})
        public boolean mvCompact;
        Path dir;
        FileStores.MVStoreFile opened;

        @Setup(Level.Trial)
        public void build(Input in) {
            dir = FileStores.newDir("mvstore-open-");
            FileStores.MVStoreFile.load(dir, in.size).close();
            if (mvCompact) {
                FileStores.MVStoreFile.compact(dir);
            }
            FileStores.log("MVStore store of %,d entries: %,d bytes on disk (%s)", in.size,
                    FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
        }

        @TearDown(Level.Iteration)
        public void close() {
            if (opened != null) {
                opened.close();
                opened = null;
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class EclipseStoreState {
        Path dir;
        FileStores.EclipseStoreFile opened;

        @Setup(Level.Trial)
        public void build(Input in) {
            dir = FileStores.newDir("eclipsestore-open-");
            FileStores.EclipseStoreFile.load(dir, in.size).close();
            FileStores.log("EclipseStore storage of %,d entries: %,d bytes on disk (%s)", in.size,
                    FileStores.bytesOnDisk(dir), FileStores.listFiles(dir));
        }

        @TearDown(Level.Iteration)
        public void close() {
            if (opened != null) {
                opened.close();
                opened = null;
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            FileStores.delete(dir);
        }
    }

    @Benchmark
    public Object protobaseOpen(Input in, ProtoBaseState s) {
        s.opened = FileStores.ProtoBaseFile.open(s.dir);
        String key = Dataset.key(in.id);
        DbObject r = (DbObject) s.opened.db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).getAt(key));
        if (r == null || (Integer) r.getAt("id") != in.id) {
            throw new IllegalStateException("ProtoBase: key " + key + " holds " + r);
        }
        return r;
    }

    @Benchmark
    public Object mvstoreOpen(Input in, MVStoreState s) {
        s.opened = FileStores.MVStoreFile.open(s.dir);
        String key = Dataset.key(in.id);
        Object[] r = s.opened.map.get(key);
        if (r == null || (Integer) r[0] != in.id) {
            throw new IllegalStateException("MVStore: key " + key + " holds a wrong record");
        }
        return r;
    }

    @Benchmark
    public Object eclipsestoreOpen(Input in, EclipseStoreState s) {
        s.opened = FileStores.EclipseStoreFile.open(s.dir);
        String key = Dataset.key(in.id);
        FileStores.EclipseStoreFile.Item r = s.opened.get(key);
        if (r == null || r.id() != in.id) {
            throw new IllegalStateException("EclipseStore: key " + key + " holds a wrong record");
        }
        return r;
    }
}
