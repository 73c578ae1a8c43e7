package io.protobase.benchmarks;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
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

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cloud cluster (issue 16): the durable one-key commit of {@link ClusterCommitBenchmark} on three
 * {@code CloudClusterFileStorage} nodes on 127.0.0.1 in this JVM, uploading to S3Proxy in this JVM over HTTP
 * ({@link CloudS3}), side by side with the same commit on three {@code ClusterFileStorage} nodes in the same run
 * ({@code storage=cluster,cloud-async,cloud-sync}). The data set, the update order, the commit and the spread of the
 * threads over the nodes are {@link ClusterCommitBenchmark}'s. With {@code durability=async} (the default) a commit
 * returns once a majority has it, as in the cluster storage, and the leader uploads every {@code upload-interval}
 * (5 s, the default) or once an object's worth is pending; with {@code sync} a commit returns once the bucket's root
 * object names it as well.
 *
 * <p>The teardown of every iteration prints, for the cloud cluster, the PUT requests per 1,000 commits and the bytes
 * uploaded per commit since the data set was loaded (the block providers' own counters, summed over the nodes: only
 * the leader uploads), and the upload backlog. The trial teardown checks every thread's last update through every
 * node.
 *
 * <pre>
 * java -jar protobase-benchmarks/target/benchmarks.jar CloudClusterCommitBenchmark
 * </pre>
 */
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CloudClusterCommitBenchmark {

    private static final int COUNT = ClusterNodes.COUNT;

    /** Three nodes of the cluster storage, or of the cloud cluster with one durability. */
    @State(Scope.Benchmark)
    public static class Nodes {
        /** {@code cluster}: three cluster nodes; {@code cloud-async}, {@code cloud-sync}: three cloud-cluster nodes. */
        @Param({"cluster", "cloud-async", "cloud-sync"})
        public String storage;
        Path dir;
        ClusterNodes cluster;
        CloudS3 s3;
        final List<CloudClusterFileStorage> cloud = new ArrayList<>();
        final List<ObjectSpace> spaces = new ArrayList<>();
        final AtomicInteger threadIndex = new AtomicInteger();
        final AtomicLong failed = new AtomicLong();
        long putsBefore;
        long bytesBefore;
        long commitsBefore;
        long iterationCommits;
        long iterationCpu;

        @Setup(Level.Trial)
        public void setUp(FileCommitBenchmark.Plan p) {
            dir = FileStores.newDir("protobase-cloud-cluster-commit-");
            if (storage.equals("cluster")) {
                cluster = new ClusterNodes(dir, ClusterCommitBenchmark.ELECTION);
                cluster.load(p.size);
                FileStores.log("Cluster: %,d records loaded through node 1; node %d is the leader", p.size,
                        cluster.awaitLeader());
                commitsBefore = p.commits();
                return;
            }
            CloudFileStorage.Durability durability = switch (storage) {
                case "cloud-async" -> CloudFileStorage.Durability.ASYNC;
                case "cloud-sync" -> CloudFileStorage.Durability.SYNC;
                default -> throw new IllegalArgumentException("storage must be cluster, cloud-async or cloud-sync, not "
                        + storage);
            };
            s3 = new CloudS3();
            List<ClusterPeer> peers = new ArrayList<>();
            for (int id = 1; id <= COUNT; id++) {
                peers.add(new ClusterPeer(id, "127.0.0.1", ClusterNodes.freePort()));
            }
            CloudFileStorage.Options options = CloudFileStorage.Options.defaults().withDurability(durability);
            for (int id = 1; id <= COUNT; id++) {
                CloudBlockProvider provider = new CloudBlockProvider(new S3ObjectStore(s3.client, CloudS3.BUCKET),
                        "commit/", dir.resolve("node-" + id));
                cloud.add(new CloudClusterFileStorage(provider, ClusterNodes.options(id, peers,
                        ClusterCommitBenchmark.ELECTION).withGroupName("commit"), options));
            }
            for (CloudClusterFileStorage node : cloud) {
                spaces.add(openSpace(node));
            }
            Dataset.load(spaces.get(0).getDatabase(Dataset.NAME), p.size);
            cloud.get(0).uploadNow();
            putsBefore = puts();
            bytesBefore = putBytes();
            commitsBefore = p.commits();
            FileStores.log("Cloud cluster (%s): %,d records loaded through node 1 and uploaded (%,d PUTs, %,.1f MB)",
                    storage, p.size, putsBefore, bytesBefore / 1e6);
        }

        private static ObjectSpace openSpace(CloudClusterFileStorage node) {
            for (int attempt = 1; ; attempt++) {
                try {
                    node.readRoot();
                    return new ObjectSpace(node);
                } catch (ProtoBaseException notYet) {
                    if (attempt == 5) {
                        throw notYet;
                    }
                }
            }
        }

        /**
         * CPU time of this JVM: the three nodes, the benchmark's threads and, unless it runs in a process of its
         * own ({@link CloudS3#WHERE}), the S3 server.
         */
        static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
        }

        long puts() {
            return cloud.stream().mapToLong(n -> n.provider().putRequests()).sum();
        }

        long putBytes() {
            return cloud.stream().mapToLong(n -> n.provider().putBytes()).sum();
        }

        int nodeOf(int index) {
            return index % COUNT + 1;
        }

        Database db(int node) {
            return cluster != null ? cluster.db(node) : spaces.get(node - 1).getDatabase(Dataset.NAME);
        }

        @Setup(Level.Iteration)
        public void markIteration(FileCommitBenchmark.Plan p) {
            iterationCommits = p.commits();
            iterationCpu = processCpuNanos();
        }

        @TearDown(Level.Iteration)
        public void report(FileCommitBenchmark.Plan p) {
            long commits = p.commits() - commitsBefore;
            // this iteration's: the time before it (loading, compiling) would blur the comparison
            double cpuPerCommit = (processCpuNanos() - iterationCpu) / 1e3
                    / Math.max(1, p.commits() - iterationCommits);
            if (cluster != null) {
                FileStores.log("Cluster: %,d commits so far, %,d failed; CPU of this JVM %,.0f us per commit "
                        + "this iteration", commits, failed.get(), cpuPerCommit);
                return;
            }
            long puts = puts() - putsBefore;
            long bytes = putBytes() - bytesBefore;
            FileStores.log("Cloud cluster (%s): %,d commits so far, %,d failed; %,d PUTs (%.1f per 1,000 commits), "
                            + "%,.0f bytes uploaded per commit; backlog %,d bytes; CPU of this JVM %,.0f us per commit "
                            + "this iteration (S3 server %s)", storage, commits, failed.get(),
                    puts, puts * 1000.0 / Math.max(1, commits), bytes / (double) Math.max(1, commits),
                    cloud.get(0).uploadBacklogBytes(), cpuPerCommit,
                    "niced-process".equals(System.getProperty(CloudS3.WHERE)) ? "not counted" : "counted");
        }

        @TearDown(Level.Trial)
        public void verifyAndClose(FileCommitBenchmark.Plan p) {
            try {
                for (int node = 1; node <= COUNT; node++) {
                    for (FileCommitBenchmark.Writer w : p.writers) {
                        if (w.lastId > 0) {
                            Dataset.checkPrice(db(node), w.lastId, w.lastPrice);
                        }
                    }
                }
            } finally {
                if (cluster != null) {
                    cluster.close();
                } else {
                    spaces.parallelStream().forEach(ObjectSpace::close);
                    cloud.parallelStream().forEach(CloudClusterFileStorage::close);
                    s3.close();
                    FileStores.delete(dir);
                }
            }
        }
    }

    /** One benchmark thread's node: {@link Nodes#nodeOf} its index. */
    @State(Scope.Thread)
    public static class Client {
        Database db;

        @Setup(Level.Trial)
        public void setUp(Nodes n) {
            db = n.db(n.nodeOf(n.threadIndex.getAndIncrement()));
        }
    }

    private static void commit(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        try {
            FileCommitBenchmark.commitProtoBase(p, w, c.db);
        } catch (ConflictException e) {
            n.failed.incrementAndGet();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(1)
    public void commits1Thread(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        commit(p, w, n, c);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(8)
    public void commits8Threads(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        commit(p, w, n, c);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Threads(1)
    public void latency1Thread(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        commit(p, w, n, c);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Threads(8)
    public void latency8Threads(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        commit(p, w, n, c);
    }
}
