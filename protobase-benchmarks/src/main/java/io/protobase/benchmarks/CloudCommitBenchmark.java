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
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Cloud (a): sequential single-key commits on a {@link CloudFileStorage} against S3Proxy on loopback,
 * one thread, on a store of {@code size} entries (10,000 by default). {@code durability=async}: a commit
 * returns once fsynced locally (compare with {@link FileCommitBenchmark#protobaseCommit}, the same
 * operation on a {@code StandaloneFileStorage}); {@code durability=sync}: once the root object in S3 names
 * it (two PUTs). The trial teardown prints the PUT requests per 1,000 commits (S3 cost) and checks that a
 * node with an empty cache sees the last commit.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CloudCommitBenchmark {

    @State(Scope.Benchmark)
    public static class Cloud {
        @Param({"10000"})
        public int size;
        @Param({"async", "sync"})
        public String durability;
        @Param({"5s"})
        public String uploadInterval;

        CloudS3 s3;
        Path dir;
        CloudFileStorage storage;
        ObjectSpace space;
        Database db;
        long commits;
        long putsBefore;
        String lastKey;
        double lastPrice;

        @Setup(Level.Trial)
        public void setUp() {
            s3 = new CloudS3();
            dir = FileStores.newDir("protobase-cloud-commit-");
            CloudFileStorage.Options options = CloudFileStorage.Options.defaults()
                    .withDurability(CloudFileStorage.Durability.valueOf(durability.toUpperCase()))
                    .withUploadInterval(Duration.parse("PT" + uploadInterval.toUpperCase()));
            storage = s3.open("commit/", dir.resolve("cache"), options);
            space = CloudS3.space(storage);
            db = space.getDatabase(Dataset.NAME);
            CloudS3.load(db, size);
            storage.uploadNow();
            putsBefore = storage.putRequests();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                long puts = storage.putRequests() - putsBefore;
                FileStores.log("Cloud %s: %,d commits, %,d PUT requests before close = %.1f PUTs per 1,000 commits",
                        durability, commits, puts, puts * 1000.0 / Math.max(1, commits));
                space.close();
                try (CloudFileStorage fresh = s3.open("commit/", dir.resolve("fresh"),
                        CloudFileStorage.Options.defaults()); ObjectSpace check = CloudS3.space(fresh)) {
                    DbObject r = (DbObject) check.getDatabase(Dataset.NAME)
                            .read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).getAt(lastKey));
                    if (lastKey != null && !Double.valueOf(lastPrice).equals(r.getAt("price"))) {
                        throw new IllegalStateException("the last commit is missing from the bucket: " + r);
                    }
                }
            } finally {
                s3.close();
                FileStores.delete(dir);
            }
        }
    }

    @Benchmark
    public void cloudCommit(Cloud c) {
        long n = ++c.commits;
        int id = (int) (n % c.size) + 1;
        String key = Dataset.key(id);
        double price = Dataset.price(id) + n;
        DbObject record = Dataset.protobaseRecord(id, price);
        Dataset.replace(c.db, key, record);
        c.lastKey = key;
        c.lastPrice = price;
    }
}
