package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.cloud.CloudFileStorage;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cloud (b): cold open and random reads. A trial loads {@code size} entries (100,000) into the bucket
 * (S3Proxy on loopback). Each operation opens a new node with an <b>empty</b> cache directory, reads
 * {@code reads} random keys (1,000) and closes it: the time includes the epoch claim, LISTs and the
 * ranged GETs. After each iteration it prints the GET requests and blocks fetched per open, and checks
 * that a second pass over the same keys fetched nothing again (no block fetched twice while cached).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CloudColdReadBenchmark {

    @State(Scope.Benchmark)
    public static class Bucket {
        @Param({"100000"})
        public int size;
        @Param({"1000"})
        public int reads;

        CloudS3 s3;
        Path dir;
        final AtomicInteger opens = new AtomicInteger();
        long gets;
        long fetches;
        long refetches;
        long opened;

        @Setup(Level.Trial)
        public void setUp() {
            s3 = new CloudS3();
            dir = FileStores.newDir("protobase-cloud-read-");
            try (CloudFileStorage writer = s3.open("read/", dir.resolve("writer"), CloudFileStorage.Options.defaults());
                    ObjectSpace space = CloudS3.space(writer)) {
                CloudS3.load(space.getDatabase(Dataset.NAME), size);
            }
        }

        @TearDown(Level.Iteration)
        public void report() {
            FileStores.log("Cloud cold read: %,d opens; per open %.1f GET requests, %.1f blocks fetched; "
                            + "blocks fetched again on a second pass: %,d", opened, gets / (double) Math.max(1, opened),
                    fetches / (double) Math.max(1, opened), refetches);
            if (refetches != 0) {
                throw new IllegalStateException("a cached block was fetched again");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            s3.close();
            FileStores.delete(dir);
        }
    }

    @Benchmark
    public long coldOpenAndRandomReads(Bucket b) {
        Path cache = b.dir.resolve("node-" + b.opens.incrementAndGet());
        Random rnd = new Random(Dataset.READ_SEED + b.opens.get());
        int[] ids = new int[b.reads];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + rnd.nextInt(b.size);
        }
        long sum = 0;
        try (CloudFileStorage storage = b.s3.open("read/", cache, CloudFileStorage.Options.defaults());
                ObjectSpace space = CloudS3.space(storage)) {
            Database db = space.getDatabase(Dataset.NAME);
            sum += db.read(tx -> {
                Dictionary d = tx.getRootObject(Dataset.NAME, Dictionary.class);
                long s = 0;
                for (int id : ids) {
                    s += ((Number) ((DbObject) d.getAt(Dataset.key(id))).getAt("id")).longValue();
                }
                return s;
            });
            long fetched = storage.provider().blockFetches();
            b.gets += storage.getRequests();
            b.fetches += fetched;
            b.opened++;
            // a second space (cold node cache) over the same storage: every block is in the disk cache
            // (not closed: closing a space closes its storage, which the outer space owns)
            ObjectSpace again = CloudS3.space(storage);
            again.getDatabase(Dataset.NAME).read(tx -> {
                Dictionary d = tx.getRootObject(Dataset.NAME, Dictionary.class);
                for (int id : ids) {
                    d.getAt(Dataset.key(id));
                }
                return null;
            });
            b.refetches += storage.provider().blockFetches() - fetched;
        }
        FileStores.delete(cache);
        return sum;
    }
}
