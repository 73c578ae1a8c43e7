package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ReadConsistency;
import io.protobase.storage.file.FileBlockProvider;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Cluster storage, not a JMH benchmark: one-key commits on three {@code ClusterFileStorage} nodes (Apache Ratis)
 * on 127.0.0.1 in one JVM, beside the same commits on a {@code StandaloneFileStorage} in the same run, and the time a
 * failover takes. The data set is the {@link Dataset} dictionary of {@code size} (100,000) records of
 * {@link FileCommitBenchmark}; a commit replaces the record of one key (each writer its own slice of a fixed random
 * permutation of the keys, so no update is a no-op and writers never write the same key).
 *
 * <ul>
 *   <li><b>file</b>: one thread on the single-node file store ({@code fsync=commit}), the baseline;</li>
 *   <li><b>cluster, one node</b>: one thread committing through node 1 (the leader or a follower, as the election
 *       went; the line says which);</li>
 *   <li><b>cluster, three nodes</b>: one thread on each node at once, each with its own object space: the nodes'
 *       commits are ordered by the compare-and-set of the root in the Raft log, so they rebase on each other;</li>
 *   <li><b>failover</b>: {@code failovers} times, the leader is stopped ({@code stop=crash}: its Raft server closes
 *       without handing leadership over, as a killed process looks to the others; {@code stop=close}: the node
 *       closes, handing leadership to another first), and the time from the stop to the first commit acknowledged
 *       on another node (which commits in a loop from just before the stop) is recorded; the node is then opened
 *       again on its directory and catches up before the next round. The median and the extremes are printed.</li>
 * </ul>
 *
 * Every commit is timed with {@code System.nanoTime()}: after {@code warmup} seconds of commits that are not
 * recorded, every commit that starts within the next {@code seconds} is; throughput is the recorded commits over
 * that window, the percentiles are exact. A commit that fails (a node's commits lost the compare-and-set more
 * often than the engine rebases) is counted, not retried. Each node uses the cluster defaults (election timeout
 * 1 s, request timeout 10 s) unless {@code election} (ms) says otherwise. A Raft node fsyncs its log for every
 * commit, like the file store with {@code fsync=commit}; all nodes share this machine's disk and cores here.
 *
 * <p>Two more parts run on their own ({@code part=}, default {@code latency}, all of the above):
 * <ul>
 *   <li>{@code part=rolling}: one client commits without pause while each node in turn is closed and opened again
 *       on its directory, the leader last, each caught up before the next goes; the client commits through a node
 *       that stays up (as a load balancer would route it). Reported: the longest time between two acknowledged
 *       commits (the stall) and the failed commits, before the restarts ({@code warmup} seconds) and during each
 *       node's restart;</li>
 *   <li>{@code part=catchup}: the three nodes are loaded with {@code size} (here 1,000,000) entries, then a fourth
 *       node with an empty directory is opened as a learner and added by the leader
 *       ({@code ClusterFileStorage.reconfigure}). Reported: the seconds until it has applied the commit index the
 *       leader had when it joined and reads the latest root locally, and the megabytes of segments it received per
 *       second over that time.</li>
 * </ul>
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.ClusterCommitLatency \
 *     [part=latency|rolling|catchup] [size=100000] [warmup=5] [seconds=15] [failovers=10] [stop=crash|close] \
 *     [election=1000]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class ClusterCommitLatency {

    private static final int NODES = 3;

    private ClusterCommitLatency() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("part", "latency");
        // the catch-up copies a database of the size the issue names; the other parts commit into a smaller one
        defaults.put("size", Arrays.asList(args).contains("part=catchup") ? "1000000" : "100000");
        defaults.put("warmup", "5");
        defaults.put("seconds", "15");
        defaults.put("failovers", "10");
        defaults.put("stop", "crash");
        defaults.put("election", "1000");
        MainArgs a = new MainArgs("ClusterCommitLatency", args, defaults);
        String part = a.choice("part", Set.of("latency", "rolling", "catchup"));
        int size = a.count("size");
        String stop = a.choice("stop", Set.of("crash", "close"));
        Duration election = Duration.ofMillis(a.count("election"));
        if (part.equals("rolling")) {
            System.out.printf("Rolling restart of a three-node cluster on 127.0.0.1 while one client commits (%s;"
                    + " stores under %s; %d cores)%n", a.describe(), FileStores.baseDir(),
                    Runtime.getRuntime().availableProcessors());
            try (Cluster cluster = new Cluster(FileStores.newDir("protobase-cluster-"), election)) {
                cluster.load(size);
                rollingRestart(cluster, Dataset.shuffledIds(size, Dataset.UPDATE_SEED), a.count("warmup"));
            }
            return;
        }
        if (part.equals("catchup")) {
            System.out.printf("A fourth node joining a three-node cluster on 127.0.0.1 (%s; stores under %s; %d"
                    + " cores)%n", a.describe(), FileStores.baseDir(), Runtime.getRuntime().availableProcessors());
            try (Cluster cluster = new Cluster(FileStores.newDir("protobase-cluster-"), election)) {
                long loading = System.nanoTime();
                cluster.load(size);
                System.out.printf(Locale.ROOT, "  loaded %,d entries through node 1 in %,.1f s%n", size,
                        (System.nanoTime() - loading) / 1e9);
                catchUp(cluster, size);
            }
            return;
        }
        System.out.printf("One-key commits on a file store and on a three-node cluster on 127.0.0.1 (%s; stores under"
                + " %s; %d cores)%n", a.describe(), FileStores.baseDir(), Runtime.getRuntime().availableProcessors());
        int[] ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);

        Path fileDir = FileStores.newDir("protobase-cluster-baseline-");
        try {
            FileStores.ProtoBaseFile.load(fileDir, size).close();
            try (FileStores.ProtoBaseFile store = FileStores.ProtoBaseFile.open(fileDir)) {
                report("file store, 1 thread", measure(List.of(store.db), ids, a.count("warmup"), a.count("seconds")));
            }
        } finally {
            FileStores.delete(fileDir);
        }

        try (Cluster cluster = new Cluster(FileStores.newDir("protobase-cluster-"), election)) {
            cluster.load(size);
            report("cluster, 1 thread on node 1 (" + (cluster.storage(1).isLeader() ? "the leader" : "a follower")
                    + ")", measure(List.of(cluster.db(1)), ids, a.count("warmup"), a.count("seconds")));
            report("cluster, 1 thread on each of the 3 nodes", measure(List.of(cluster.db(1), cluster.db(2),
                    cluster.db(3)), ids, a.count("warmup"), a.count("seconds")));
            failovers(cluster, ids, a.count("failovers"), stop);
        }
    }

    private static void report(String what, Result r) {
        System.out.printf(Locale.ROOT, "  %s: %,.0f commits/s; latency p50 %,.0f µs, p99 %,.0f µs, max %,.0f µs "
                + "(%,d commits recorded, %,d failed)%n", what, r.perSecond, percentile(r.latencies, 0.50),
                percentile(r.latencies, 0.99), r.latencies.length == 0 ? Double.NaN
                        : r.latencies[r.latencies.length - 1] / 1e3, r.latencies.length, r.failed);
    }

    private record Result(double perSecond, long[] latencies, long failed) {
    }

    /** One writer per database, each on its slice of {@code ids}; see the class comment for the window. */
    private static Result measure(List<Database> dbs, int[] ids, int warmupSeconds, int seconds)
            throws InterruptedException, ExecutionException {
        int slice = ids.length / dbs.size();
        ExecutorService pool = Executors.newFixedThreadPool(dbs.size());
        try {
            List<Writer> writers = new ArrayList<>();
            List<Future<?>> futures = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            long[] window = new long[2];
            for (int i = 0; i < dbs.size(); i++) {
                Writer w = new Writer(dbs.get(i), ids, i * slice, slice);
                writers.add(w);
                futures.add(pool.submit(() -> {
                    go.await();
                    w.run(window[0], window[1]);
                    return null;
                }));
            }
            window[0] = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            window[1] = window[0] + seconds * 1_000_000_000L;
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
            long[] all = writers.stream().flatMapToLong(w -> Arrays.stream(w.latencies, 0, w.recorded)).sorted()
                    .toArray();
            return new Result(all.length / (double) seconds, all, writers.stream().mapToLong(w -> w.failed).sum());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Stops the leader {@code rounds} times and records the time to the first commit acknowledged on another node.
     */
    private static void failovers(Cluster cluster, int[] ids, int rounds, String stop) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            int leader = cluster.awaitLeader();
            int other = leader % NODES + 1;
            Writer w = new Writer(cluster.db(other), ids, (round % 10) * (ids.length / 10), ids.length / 10);
            w.commitOnce();
            long stopped = System.nanoTime();
            cluster.stop(leader, "crash".equals(stop));
            while (!w.commitOnce()) {
                // unknown outcome or no quorum yet: the next attempt is a new transaction
            }
            long acknowledged = System.nanoTime();
            times.add(acknowledged - stopped);
            cluster.open(leader);
            cluster.db(leader).read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
        }
        long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "  failover (stop=%s, %d rounds): first commit acknowledged on another node "
                + "after a median of %,.0f ms (min %,.0f ms, max %,.0f ms)%n", stop, sorted.length,
                percentile(sorted, 0.5) / 1e3, sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    /**
     * One client commits without pause while every node is closed and opened again in turn, the leader last; each
     * node is back and caught up before the next one goes. The client commits through another node than the one
     * restarting (as a load balancer would send it elsewhere) and reports the longest time between two acknowledged
     * commits, and the commits that failed, for the warm-up and for each node's restart.
     */
    private static void rollingRestart(Cluster cluster, int[] ids, int warmupSeconds) throws Exception {
        int leader = cluster.awaitLeader();
        List<Integer> order = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            if (id != leader) {
                order.add(id);
            }
        }
        order.add(leader);
        int first = order.get(0) % NODES + 1;
        RollingClient client = new RollingClient(cluster, new Writer(cluster.db(first), ids, 0, ids.length),
                order.size() + 1, first);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> committing = pool.submit(client::run);
            long warmupEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            while (System.nanoTime() < warmupEnd || client.acknowledged() == 0) {
                LockSupport.parkNanos(10_000_000L);
            }
            long[] restartNanos = new long[order.size()];
            for (int i = 0; i < order.size(); i++) {
                int node = order.get(i);
                long begin = System.nanoTime();
                client.moveTo(node % NODES + 1, i + 1);
                cluster.stop(node, false);
                cluster.open(node);
                cluster.db(node).read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
                restartNanos[i] = System.nanoTime() - begin;
            }
            long settled = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            while (System.nanoTime() < settled) {
                LockSupport.parkNanos(10_000_000L);
            }
            client.stop();
            committing.get();
            System.out.printf(Locale.ROOT, "  before the restarts (%d s): longest time between two acknowledged commits"
                    + " %,.0f ms, %,d commits failed%n", warmupSeconds, client.longestStall[0] / 1e6,
                    client.failures[0]);
            for (int i = 0; i < order.size(); i++) {
                System.out.printf(Locale.ROOT, "  restart of node %d (%s; closed, opened, caught up in %,.1f s;"
                        + " client on node %d): longest time between two acknowledged commits %,.0f ms, %,d commits"
                        + " failed%n",
                        order.get(i), order.get(i) == leader ? "the leader" : "a follower", restartNanos[i] / 1e9,
                        order.get(i) % NODES + 1, client.longestStall[i + 1] / 1e6, client.failures[i + 1]);
            }
            long longest = Arrays.stream(client.longestStall).max().orElse(0);
            long failed = Arrays.stream(client.failures).sum();
            System.out.printf(Locale.ROOT, "  rolling restart: longest commit stall %,.0f ms; %,d commits acknowledged,"
                    + " %,d failed %s%n", longest / 1e6, client.acknowledged(), failed, client.failureKinds);
            if (client.firstFailure != null) {
                System.out.printf("  the first failure: %s%n", client.firstFailure);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The client of {@link #rollingRestart}: commits in a loop through the node it is told, and records, per phase,
     * the longest time from one acknowledged commit to the next and the failed commits. A commit runs under a fair
     * lock that {@link #moveTo} takes too, so once {@code moveTo} returns no commit goes through the old node.
     */
    private static final class RollingClient {
        private final Cluster cluster;
        private final Writer writer;
        private final ReentrantLock turn = new ReentrantLock(true);
        private final long[] longestStall;
        private final long[] failures;
        private final Map<String, Long> failureKinds = new TreeMap<>();
        private ProtoBaseException firstFailure;
        private volatile int node;
        private volatile int phase;
        private volatile boolean stopped;
        private volatile long acknowledged;

        RollingClient(Cluster cluster, Writer writer, int phases, int node) {
            this.cluster = cluster;
            this.writer = writer;
            this.longestStall = new long[phases];
            this.failures = new long[phases];
            this.node = node;
        }

        void run() {
            long lastAck = System.nanoTime();
            while (!stopped) {
                boolean ok;
                turn.lock();
                try {
                    ok = writer.commitOnce(cluster.db(node));
                } finally {
                    turn.unlock();
                }
                long now = System.nanoTime();
                int p = phase;
                if (ok) {
                    longestStall[p] = Math.max(longestStall[p], now - lastAck);
                    lastAck = now;
                    acknowledged++;
                } else {
                    failures[p]++;
                    failureKinds.merge(writer.lastFailure.getClass().getSimpleName(), 1L, Long::sum);
                    if (firstFailure == null) {
                        firstFailure = writer.lastFailure;
                    }
                }
            }
        }

        /** Sends the next commits through {@code next}, counting them in {@code nextPhase}. */
        void moveTo(int next, int nextPhase) {
            turn.lock();
            try {
                node = next;
                phase = nextPhase;
            } finally {
                turn.unlock();
            }
        }

        long acknowledged() {
            return acknowledged;
        }

        void stop() {
            stopped = true;
        }
    }

    /**
     * A fourth node with an empty directory joins the loaded group: opened as a learner, then added by the leader
     * ({@link ClusterFileStorage#reconfigure}). Reports the time from opening it until it has applied the commit
     * index the leader had when it joined and reads the latest root locally, the bytes of segments it then holds
     * (all of them came from the others) and their rate, and when the change that makes it a voter returned.
     */
    private static void catchUp(Cluster cluster, int size) throws Exception {
        int leader = cluster.awaitLeader();
        ClusterFileStorage leaderNode = cluster.storage(leader);
        AtomPointer latest = leaderNode.readRoot();
        long commitIndex = leaderNode.status().commitIndex();
        List<ClusterPeer> peers = new ArrayList<>(cluster.peers);
        ClusterPeer fourth = new ClusterPeer(NODES + 1, "127.0.0.1", Cluster.freePort());
        peers.add(fourth);
        Path directory = cluster.dir.resolve("node-" + fourth.nodeId());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        long start = System.nanoTime();
        try (ClusterFileStorage joining = ClusterFileStorage.learner(new FileBlockProvider(directory),
                ClusterFileStorage.Options.of(fourth.nodeId(), peers).withElectionTimeout(cluster.election)
                        .withRequestTimeout(cluster.election.multipliedBy(10))
                        .withReadConsistency(ReadConsistency.LOCAL))) {
            Future<Long> added = pool.submit(() -> {
                for (int attempt = 1; ; attempt++) {
                    try {
                        leaderNode.reconfigure(peers);
                        return System.nanoTime();
                    } catch (StorageUnavailableException stillCatchingUp) {
                        if (attempt == 30) {
                            throw stillCatchingUp;
                        }
                    }
                }
            });
            while (joining.status().appliedIndex() < commitIndex || !latest.equals(joining.readRoot())) {
                LockSupport.parkNanos(5_000_000L);
            }
            long caughtUp = System.nanoTime() - start;
            long count;
            try (ObjectSpace space = new ObjectSpace(joining)) {
                count = space.getDatabase(Dataset.NAME).read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class)
                        .count());
            }
            if (count != size) {
                throw new IllegalStateException("the new node reads " + count + " entries, expected " + size);
            }
            long voter = added.get() - start;
            long segmentBytes = bytesOf(directory, ".seg");
            long allBytes = bytesOf(directory, "");
            System.out.printf(Locale.ROOT, "  catch-up of node %d (%,d entries, leader's commit index %,d): applied it"
                    + " and read the latest root locally after %,.1f s; %,.1f MB of segments received, %,.1f MB/s"
                    + " (%,.1f MB in its directory with the Raft log); a voter after %,.1f s%n", fourth.nodeId(), size,
                    commitIndex, caughtUp / 1e9, segmentBytes / 1e6, segmentBytes / 1e6 / (caughtUp / 1e9),
                    allBytes / 1e6, voter / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The bytes of the regular files under {@code directory} whose names end with {@code suffix}. */
    private static long bytesOf(Path directory, String suffix) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(suffix))
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException gone) {
                            return 0;
                        }
                    }).sum();
        }
    }

    /** The latency at quantile {@code q} of sorted nanosecond latencies, in µs (nearest rank). */
    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e3;
    }

    /** One committing thread: its slice of the keys, its recorded latencies and its failures. */
    private static final class Writer {
        private final Database db;
        private final int[] ids;
        private final int from;
        private final int length;
        long[] latencies = new long[1 << 14];
        int recorded;
        long commits;
        long failed;
        ProtoBaseException lastFailure;

        Writer(Database db, int[] ids, int from, int length) {
            this.db = db;
            this.ids = ids;
            this.from = from;
            this.length = length;
        }

        /** Commits until {@code end}, recording the latency of each commit started at or after {@code recordFrom}. */
        void run(long recordFrom, long end) {
            for (long now = System.nanoTime(); now < end; ) {
                boolean ok = commitOnce();
                long done = System.nanoTime();
                if (now >= recordFrom) {
                    if (!ok) {
                        failed++;
                    } else {
                        if (recorded == latencies.length) {
                            latencies = Arrays.copyOf(latencies, recorded * 2);
                        }
                        latencies[recorded++] = done - now;
                    }
                }
                now = done;
            }
        }

        /** Replaces the record of this writer's next key; whether the commit was acknowledged. */
        boolean commitOnce() {
            return commitOnce(db);
        }

        /** {@link #commitOnce()} through {@code target}. */
        boolean commitOnce(Database target) {
            int id = ids[from + (int) (commits % length)];
            double price = Dataset.price(id) + ++commits;
            String key = Dataset.key(id);
            DbObject record = Dataset.protobaseRecord(id, price);
            try {
                Dataset.replace(target, key, record);
                return true;
            } catch (ProtoBaseException e) {
                lastFailure = e;
                return false;
            }
        }
    }

    /** Three nodes on 127.0.0.1, each with its own directory, storage and object space. */
    private static final class Cluster implements AutoCloseable {
        private final Path dir;
        private final Duration election;
        private final List<ClusterPeer> peers = new ArrayList<>();
        // the rolling restart's client reads them while the restarts change them
        private final Map<Integer, ObjectSpace> spaces = new ConcurrentHashMap<>();
        private final Map<Integer, ClusterFileStorage> storages = new ConcurrentHashMap<>();

        Cluster(Path dir, Duration election) {
            this.dir = dir;
            this.election = election;
            for (int id = 1; id <= NODES; id++) {
                peers.add(new ClusterPeer(id, "127.0.0.1", freePort()));
            }
            for (int id = 1; id <= NODES; id++) {
                start(id);
            }
            for (int id = 1; id <= NODES; id++) {
                openSpace(id);
            }
        }

        /** Opens node {@code nodeId} again on its directory while the others run. */
        void open(int nodeId) {
            start(nodeId);
            openSpace(nodeId);
        }

        private void start(int nodeId) {
            ClusterFileStorage.Options options = ClusterFileStorage.Options.of(nodeId, peers)
                    .withElectionTimeout(election).withRequestTimeout(election.multipliedBy(10));
            storages.put(nodeId, new ClusterFileStorage(new FileBlockProvider(dir.resolve("node-" + nodeId)),
                    options));
        }

        /** The object space opens once the node's first linearizable read was answered (a leader exists). */
        private void openSpace(int nodeId) {
            ClusterFileStorage storage = storages.get(nodeId);
            for (int attempt = 1; ; attempt++) {
                try {
                    storage.readRoot();
                    break;
                } catch (ProtoBaseException noLeaderYet) {
                    if (attempt == 3) {
                        throw noLeaderYet;
                    }
                }
            }
            spaces.put(nodeId, new ObjectSpace(storage));
        }

        ClusterFileStorage storage(int nodeId) {
            return storages.get(nodeId);
        }

        Database db(int nodeId) {
            return spaces.get(nodeId).getDatabase(Dataset.NAME);
        }

        /** Loads the data set through node 1 in one transaction (its bytes travel in entries of a few MiB). */
        void load(int size) {
            db(1).write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                    b.setAt(Dataset.key(id), Dataset.protobaseRecord(id));
                }
                tx.setRootObject(Dataset.NAME, b.build());
                return null;
            });
            for (int id = 1; id <= NODES; id++) {
                long count = db(id).read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
                if (count != size) {
                    throw new IllegalStateException("node " + id + " holds " + count + " entries, expected " + size);
                }
            }
        }

        int awaitLeader() {
            while (true) {
                for (Map.Entry<Integer, ClusterFileStorage> e : storages.entrySet()) {
                    if (e.getValue().isLeader()) {
                        return e.getKey();
                    }
                }
                LockSupport.parkNanos(10_000_000L);
            }
        }

        /**
         * Stops a node: {@code crash} closes its Raft server first, without the leadership hand-over of
         * {@code close()} (no API crashes a node in-process, so the server is reached by reflection).
         */
        void stop(int nodeId, boolean crash) throws ReflectiveOperationException, IOException {
            ClusterFileStorage storage = storages.remove(nodeId);
            if (crash) {
                Field server = ClusterFileStorage.class.getDeclaredField("server");
                server.setAccessible(true);
                ((RaftServer) server.get(storage)).close();
            }
            spaces.remove(nodeId).close();
        }

        @Override
        public void close() {
            spaces.values().parallelStream().forEach(ObjectSpace::close);
            FileStores.delete(dir);
        }

        /**
         * A port free now, below Linux's ephemeral range: a node reopened on its port must find it free again,
         * which an outgoing connection given that port as its local one would prevent.
         */
        private static int freePort() {
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(20_000, 32_768);
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress("127.0.0.1", port));
                    return port;
                } catch (IOException taken) {
                    // another process holds it: try the next
                }
            }
            throw new IllegalStateException("no free port between 20000 and 32767 on 127.0.0.1");
        }
    }
}
