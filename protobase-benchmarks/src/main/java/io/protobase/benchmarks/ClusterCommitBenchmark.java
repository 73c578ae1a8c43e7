package io.protobase.benchmarks;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Cluster (issue 15): the durable one-key commit of {@link FileCommitBenchmark} on three {@code ClusterFileStorage}
 * nodes (Apache Ratis) on 127.0.0.1 in this JVM, side by side with the same commit on a single-node
 * {@code StandaloneFileStorage} in the same run ({@code storage=file,cluster}). The data set, the update order and
 * the commit are {@link FileCommitBenchmark}'s ({@link FileCommitBenchmark.Plan}, {@link FileCommitBenchmark.Writer},
 * {@link Dataset#replace}): {@code size} records (100,000 by default), each thread its own slice of the keys, so no
 * two threads write the same key. A cluster commit returns once a majority of the nodes fsynced the Raft entry and
 * the calling node applied it; every node fsyncs its log for every entry (the file store fsyncs every commit, its
 * default {@code fsync=commit}). All nodes share this machine's cores and disk.
 *
 * <p>Each method runs from 1 thread and from 8 ({@code …1Thread}, {@code …8Threads}); in the cluster, thread
 * {@code i} (in the order JMH sets the threads up) commits through node {@code i % 3 + 1}, so the 8 threads are
 * spread over the three nodes round-robin (3, 3 and 2) and one thread commits through node 1, the leader or a
 * follower as the election went (the trial setup prints which). {@code commits…} measure throughput (commits per
 * second, all threads together); {@code latency…} sample the time of every commit (JMH's {@code SampleTime}: p50,
 * p99 and the maximum in milliseconds).
 *
 * <p>One operation is one {@code db.write}, which runs the transaction again when it lost the compare-and-set of
 * the root to another commit (in the cluster, a commit through another node): those retries are part of the
 * operation. A commit that still fails with a {@link ConflictException} (it lost more often than the engine
 * retries) counts as an operation, and the teardown of every iteration prints how many failed (in the cluster
 * also the Raft log entries per commit, from node 1's commit index); any other exception ends the run. The
 * trial teardown checks that every thread's last acknowledged update is there: on the reopened file store, and
 * through every cluster node.
 *
 * <pre>
 * java -jar protobase-benchmarks/target/benchmarks.jar ClusterCommitBenchmark
 * </pre>
 * Eight runs (two storages, four methods) of 24 s of iterations plus the setup (the load of the data set, the
 * start of the nodes): about five minutes. On a loaded machine the rate still rose over the first iterations with
 * a shorter warm-up, so the warm-up is as long as the measurement.
 */
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ClusterCommitBenchmark {

    /** The election timeout of the nodes: the engine's default. */
    static final Duration ELECTION = Duration.ofSeconds(1);

    /** The store of a trial: a single-node file store or three cluster nodes. */
    @State(Scope.Benchmark)
    public static class Nodes {
        /**
         * {@code file}: one {@code StandaloneFileStorage}; {@code cluster}: three {@code ClusterFileStorage};
         * {@code raft}: three bare Ratis servers ({@link RaftCeiling}), the replicated commit's ceiling here.
         */
        @Param({"file", "cluster", "raft"})
        public String storage;
        /**
         * {@code storage=raft}: the bytes of each entry. A cluster one-key commit on the 100,000-record data set is
         * an entry of about this size: the nodes' Raft logs grew by 6.1 KB per commit over 2,000 commits.
         */
        @Param("6144")
        public int payload;
        /**
         * {@code spread}: thread {@code i} commits through node {@code i % 3 + 1}; {@code leader}: every thread
         * commits through the node that leads when the trial starts (cluster and raft only).
         */
        @Param("spread")
        public String threadsOn;
        /** The node every thread commits through with {@code threadsOn=leader}. */
        int leaderNode;
        Path dir;
        FileStores.ProtoBaseFile file;
        ClusterNodes cluster;
        RaftCeiling raft;
        /** Node 1's commit index once the data set was loaded. */
        long startIndex;
        final AtomicInteger threadIndex = new AtomicInteger();
        /** Commits that failed with a {@link ConflictException}, per node (index 0 for the file store). */
        final AtomicLongArray failed = new AtomicLongArray(ClusterNodes.COUNT + 1);
        final Map<String, String> firstFailures = new TreeMap<>();

        @Setup(Level.Trial)
        public void setUp(FileCommitBenchmark.Plan p) {
            switch (storage) {
                case "file" -> {
                    dir = FileStores.newDir("protobase-commit-");
                    FileStores.ProtoBaseFile.load(dir, p.size).close();
                    file = FileStores.ProtoBaseFile.open(dir);
                }
                case "cluster" -> {
                    dir = FileStores.newDir("protobase-cluster-");
                    cluster = new ClusterNodes(dir, ELECTION);
                    cluster.load(p.size);
                    startIndex = cluster.storage(1).status().commitIndex();
                    FileStores.log("Cluster: %,d records loaded through node 1 (commit index %,d); node %d is the"
                            + " leader", p.size, startIndex, cluster.awaitLeader());
                }
                case "raft" -> {
                    dir = FileStores.newDir("protobase-raft-");
                    raft = new RaftCeiling(dir, ELECTION, payload);
                    startIndex = raft.commitIndex();
                    FileStores.log("Raft: three bare Ratis servers, entries of %,d bytes; node %d is the leader",
                            payload, raft.leader());
                }
                default -> throw new IllegalArgumentException("storage must be file, cluster or raft, not " + storage);
            }
        }

        /** The node thread {@code index} commits through: {@code index % 3 + 1}, or 0 for the file store. */
        synchronized int nodeOf(int index) {
            if (cluster == null && raft == null) {
                return 0;
            }
            if (threadsOn.equals("leader")) {
                if (leaderNode == 0) {
                    leaderNode = raft != null ? raft.leader() : cluster.awaitLeader();
                }
                return leaderNode;
            }
            return index % ClusterNodes.COUNT + 1;
        }

        Database db(int node) {
            return node == 0 ? file.db : cluster.db(node);
        }

        void failed(int node, ConflictException e) {
            failed.incrementAndGet(node);
            synchronized (firstFailures) {
                firstFailures.putIfAbsent(e.getClass().getSimpleName(), e.getMessage());
            }
        }

        long failures() {
            long sum = 0;
            for (int i = 0; i < failed.length(); i++) {
                sum += failed.get(i);
            }
            return sum;
        }

        @TearDown(Level.Iteration)
        public void report(FileCommitBenchmark.Plan p) {
            if (raft != null) {
                long entries = raft.commitIndex() - startIndex;
                FileStores.log("Raft: %,d commits so far, %,d log entries (%.2f per commit); node %d leads",
                        p.commits(), entries, entries / (double) Math.max(1, p.commits()), raft.leader());
            } else if (file != null) {
                ObjectSpace.Statistics st = file.space.statistics();
                FileStores.log("File: %,d commits so far, %,d failed; %,d root publications, %,d conflicts retried",
                        p.commits(), failures(), st.batches(), st.conflicts());
            } else {
                List<String> perNode = new ArrayList<>();
                for (int node = 1; node <= ClusterNodes.COUNT; node++) {
                    perNode.add("node " + node + ": " + failed.get(node) + " failed, "
                            + cluster.storage(node).status().role() + ", " + cluster.db(node).space().statistics()
                            .conflicts() + " conflicts retried");
                }
                long entries = cluster.storage(1).status().commitIndex() - startIndex;
                FileStores.log("Cluster: %,d commits so far, %,d failed, %,d log entries (%.2f per commit) (%s)",
                        p.commits(), failures(), entries, entries / (double) Math.max(1, p.commits()),
                        String.join("; ", perNode));
            }
            synchronized (firstFailures) {
                firstFailures.forEach((kind, message) -> FileStores.log("first %s: %s", kind, message));
            }
        }

        @TearDown(Level.Trial)
        public void verifyAndDelete(FileCommitBenchmark.Plan p) {
            try {
                if (raft != null) {
                    return; // a counter only: nothing to check
                }
                if (file != null) {
                    file.close();
                    try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                        checkLastUpdates(p, reopened.db);
                    }
                } else {
                    for (int node = 1; node <= ClusterNodes.COUNT; node++) {
                        checkLastUpdates(p, cluster.db(node));
                    }
                }
            } finally {
                if (file != null) {
                    file.close();
                    FileStores.delete(dir);
                }
                if (cluster != null) {
                    cluster.close();
                }
                if (raft != null) {
                    raft.close();
                    FileStores.delete(dir);
                }
            }
        }

        private static void checkLastUpdates(FileCommitBenchmark.Plan p, Database db) {
            for (FileCommitBenchmark.Writer w : p.writers) {
                if (w.lastId > 0) {
                    Dataset.checkPrice(db, w.lastId, w.lastPrice);
                }
            }
        }
    }

    /** One benchmark thread's node: {@link Nodes#nodeOf} its index. */
    @State(Scope.Thread)
    public static class Client {
        int node;
        Database db;

        @Setup(Level.Trial)
        public void setUp(Nodes n) {
            node = n.nodeOf(n.threadIndex.getAndIncrement());
            db = n.raft != null ? null : n.db(node);
        }
    }

    private static void commit(FileCommitBenchmark.Plan p, FileCommitBenchmark.Writer w, Nodes n, Client c) {
        if (n.raft != null) {
            n.raft.commit(c.node);
            w.commits++;
            return;
        }
        try {
            FileCommitBenchmark.commitProtoBase(p, w, c.db);
        } catch (ConflictException e) {
            n.failed(c.node, e);
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
