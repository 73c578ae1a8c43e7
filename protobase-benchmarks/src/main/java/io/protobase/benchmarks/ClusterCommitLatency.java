package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ReadConsistency;
import io.protobase.storage.file.FileBlockProvider;

import java.io.IOException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Cluster storage, not a JMH benchmark: what a client of three {@code ClusterFileStorage} nodes (Apache Ratis) on
 * 127.0.0.1 sees while nodes fail, restart and join, one run per {@code part}. The commits are the one-key commits
 * of {@link ClusterCommitBenchmark} (which measures their throughput and latency beside the file store) on the
 * {@link Dataset} dictionary of {@code size} (100,000) records: each replaces the record of the next key of a
 * fixed random permutation with a price no earlier commit wrote. Each node uses an election timeout of
 * {@code election} ms (the default, 1,000, is the engine's) and a request timeout of ten of them, and fsyncs its
 * Raft log for every entry; all nodes share this machine's disk and cores.
 *
 * <ul>
 *   <li>{@code part=failover} (the default): the three nodes run in JVMs of their own ({@link ClusterNodeJvm}).
 *       {@code failovers} times, the leader is stopped ({@code stop=kill}: its JVM is killed with SIGKILL;
 *       {@code stop=close}: the node closes as an application would, handing leadership to another first) while
 *       another node commits in a loop, and the time from the stop to the first commit acknowledged on that node is
 *       recorded; the node is then started again on its directory and catches up before the next round. The
 *       median and the extremes are printed, in milliseconds and in election timeouts;</li>
 *   <li>{@code part=rolling}: in one JVM ({@link ClusterNodes}), one client commits without pause while each node in
 *       turn is closed and opened again on its directory, the leader last, each caught up before the next goes; the
 *       client commits through a node that stays up (as a load balancer would route it). Reported: the longest time
 *       between two acknowledged commits (the stall) and the failed commits, before the restarts ({@code warmup}
 *       seconds) and during each node's restart;</li>
 *   <li>{@code part=catchup}: in one JVM, the three nodes are loaded with {@code size} (here 1,000,000) entries,
 *       then a fourth node with an empty directory is opened as a learner and added by the leader
 *       ({@code ClusterFileStorage.reconfigure}). Reported: the seconds until it has applied the commit index the
 *       leader had when it joined and reads the latest root locally, and the megabytes of segments it received per
 *       second over that time.</li>
 * </ul>
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.ClusterCommitLatency \
 *     [part=failover|rolling|catchup] [size=100000] [warmup=5] [failovers=10] [stop=kill|close] [election=1000]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class ClusterCommitLatency {

    private static final int NODES = ClusterNodes.COUNT;
    /** After this many election timeouts without an acknowledged commit, a failover round fails the run. */
    private static final int GIVE_UP_ELECTIONS = 60;

    private ClusterCommitLatency() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("part", "failover");
        // the catch-up copies a database of the size the issue names; the other parts commit into a smaller one
        defaults.put("size", Arrays.asList(args).contains("part=catchup") ? "1000000" : "100000");
        defaults.put("warmup", "5");
        defaults.put("failovers", "10");
        defaults.put("stop", "kill");
        defaults.put("election", "1000");
        MainArgs a = new MainArgs("ClusterCommitLatency", args, defaults);
        String part = a.choice("part", Set.of("failover", "rolling", "catchup"));
        int size = a.count("size");
        String stop = a.choice("stop", Set.of("kill", "close"));
        Duration election = Duration.ofMillis(a.count("election"));
        if (part.equals("failover")) {
            System.out.printf("Failover of a three-node cluster on 127.0.0.1, each node in its own JVM (%s; stores"
                    + " under %s; %d cores)%n", a.describe(), FileStores.baseDir(),
                    Runtime.getRuntime().availableProcessors());
            failovers(FileStores.newDir("protobase-cluster-"), size, a.count("failovers"), stop, election);
        } else if (part.equals("rolling")) {
            System.out.printf("Rolling restart of a three-node cluster on 127.0.0.1 while one client commits (%s;"
                    + " stores under %s; %d cores)%n", a.describe(), FileStores.baseDir(),
                    Runtime.getRuntime().availableProcessors());
            try (ClusterNodes cluster = new ClusterNodes(FileStores.newDir("protobase-cluster-"), election)) {
                cluster.load(size);
                rollingRestart(cluster, Dataset.shuffledIds(size, Dataset.UPDATE_SEED), a.count("warmup"));
            }
        } else {
            System.out.printf("A fourth node joining a three-node cluster on 127.0.0.1 (%s; stores under %s; %d"
                    + " cores)%n", a.describe(), FileStores.baseDir(), Runtime.getRuntime().availableProcessors());
            try (ClusterNodes cluster = new ClusterNodes(FileStores.newDir("protobase-cluster-"), election)) {
                long loading = System.nanoTime();
                cluster.load(size);
                System.out.printf(Locale.ROOT, "  loaded %,d entries through node 1 in %,.1f s%n", size,
                        (System.nanoTime() - loading) / 1e9);
                catchUp(cluster, size);
            }
        }
    }

    /**
     * Three nodes in child JVMs in {@code dir}: {@code rounds} times, stops the leader ({@code kill}: SIGKILL of its
     * JVM; {@code close}: the node closes) and records the time from the stop to the first commit acknowledged on
     * another node, which commits in a loop from just before the stop; then starts the stopped node again and waits
     * until it has applied what the others committed. Deletes {@code dir} at the end.
     */
    private static void failovers(Path dir, int size, int rounds, String stop, Duration election) throws Exception {
        List<ClusterPeer> peers = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", ClusterNodes.freePort()));
        }
        ClusterNodeJvm[] nodes = new ClusterNodeJvm[NODES + 1];
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (int id = 1; id <= NODES; id++) {
                nodes[id] = ClusterNodeJvm.launch(id, dir.resolve("node-" + id), peers, election);
            }
            for (int id = 1; id <= NODES; id++) {
                nodes[id].awaitReady();
            }
            expect(nodes[1], "load " + size, "ok");
            Writer client = new Writer(Dataset.shuffledIds(size, Dataset.UPDATE_SEED));
            long[] times = new long[rounds];
            long[] elections = new long[rounds];
            for (int round = 0; round < rounds; round++) {
                int leader = awaitLeader(nodes);
                int otherId = leader % NODES + 1;
                ClusterNodeJvm other = nodes[otherId];
                ClusterNodeJvm third = nodes[otherId % NODES + 1];
                while (!client.commitOnce(other)) {
                    // a commit before the stop failed (outcome unknown): it is counted, the next one is new
                }
                long stopped = System.nanoTime();
                String how;
                if (stop.equals("kill")) {
                    how = "killed (SIGKILL, exit status " + nodes[leader].kill() + ")";
                } else {
                    nodes[leader].close();
                    how = "closed";
                }
                Future<Long> acknowledged = pool.submit(() -> {
                    while (!client.commitOnce(other)) {
                        // no leader yet, or the commit's outcome is unknown: the next attempt is a new transaction
                        if (System.nanoTime() - stopped > election.multipliedBy(GIVE_UP_ELECTIONS).toNanos()) {
                            throw new IllegalStateException("no commit was acknowledged on node " + otherId
                                    + " within " + GIVE_UP_ELECTIONS + " election timeouts after node " + leader
                                    + " was " + how + "; the last failure: " + client.lastFailure);
                        }
                    }
                    return System.nanoTime();
                });
                elections[round] = awaitNewLeader(third, leader) - stopped;
                times[round] = acknowledged.get() - stopped;
                long restart = System.nanoTime();
                nodes[leader] = ClusterNodeJvm.launch(leader, dir.resolve("node-" + leader), peers, election)
                        .awaitReady();
                awaitApplied(nodes[leader], committed(other));
                System.out.printf(Locale.ROOT, "  round %d: node %d, the leader, %s; node %d knew of a new leader"
                        + " after %,.0f ms; first commit acknowledged on node %d after %,.0f ms; node %d started again"
                        + " and caught up in %,.1f s%n", round + 1, leader, how, otherId % NODES + 1,
                        elections[round] / 1e6, otherId, times[round] / 1e6, leader,
                        (System.nanoTime() - restart) / 1e9);
            }
            if (rounds == 0) {
                return;
            }
            Arrays.sort(times);
            Arrays.sort(elections);
            double electionMs = election.toMillis();
            System.out.printf(Locale.ROOT, "  new leader known to the third node after a median of %,.0f ms (min %,.0f"
                    + " ms, max %,.0f ms)%n", percentile(elections, 0.5) / 1e3, elections[0] / 1e6,
                    elections[rounds - 1] / 1e6);
            System.out.printf(Locale.ROOT, "  failover (stop=%s, %d rounds): first commit acknowledged on another node "
                    + "after a median of %,.0f ms (min %,.0f ms, max %,.0f ms) = %.1f election timeouts (%.1f to %.1f);"
                    + " %,d commits failed %s%n", stop, rounds, percentile(times, 0.5) / 1e3, times[0] / 1e6,
                    times[rounds - 1] / 1e6, percentile(times, 0.5) / 1e3 / electionMs, times[0] / 1e6 / electionMs,
                    times[rounds - 1] / 1e6 / electionMs, client.failures, client.failureKinds);
        } finally {
            pool.shutdownNow();
            for (int id = 1; id <= NODES; id++) {
                if (nodes[id] != null) {
                    nodes[id].kill();
                }
            }
            FileStores.delete(dir);
        }
    }

    /** The id of the node in a child JVM whose Raft server is the leader, once one is. */
    private static int awaitLeader(ClusterNodeJvm[] nodes) throws IOException {
        while (true) {
            for (int id = 1; id <= NODES; id++) {
                if (nodes[id].ask("status").startsWith("status LEADER ")) {
                    return id;
                }
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    /** When (nanoTime) a node in a child JVM first names a leader other than {@code former}. */
    private static long awaitNewLeader(ClusterNodeJvm node, int former) throws IOException {
        while (true) {
            String[] status = node.ask("status").split(" ");
            if (status[0].equals("status") && !status[2].equals("-") && Integer.parseInt(status[2]) != former) {
                return System.nanoTime();
            }
            LockSupport.parkNanos(5_000_000L);
        }
    }

    /** The commit index of a node in a child JVM. */
    private static long committed(ClusterNodeJvm node) throws IOException {
        return Long.parseLong(node.ask("status").split(" ")[3]);
    }

    /** Waits until a node in a child JVM has applied {@code index}. */
    private static void awaitApplied(ClusterNodeJvm node, long index) throws IOException {
        while (true) {
            String[] status = node.ask("status").split(" ");
            if (status[0].equals("status") && Long.parseLong(status[4]) >= index) {
                return;
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    private static void expect(ClusterNodeJvm node, String request, String answer) throws IOException {
        String got = node.ask(request);
        if (!got.equals(answer)) {
            throw new IllegalStateException("'" + request + "' answered '" + got + "', expected '" + answer + "'");
        }
    }

    /**
     * One client commits without pause while every node is closed and opened again in turn, the leader last; each
     * node is back and caught up before the next one goes. The client commits through another node than the one
     * restarting (as a load balancer would send it elsewhere) and reports the longest time between two acknowledged
     * commits, and the commits that failed, for the warm-up and for each node's restart.
     */
    private static void rollingRestart(ClusterNodes cluster, int[] ids, int warmupSeconds) throws Exception {
        int leader = cluster.awaitLeader();
        List<Integer> order = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            if (id != leader) {
                order.add(id);
            }
        }
        order.add(leader);
        int first = order.get(0) % NODES + 1;
        RollingClient client = new RollingClient(cluster, new Writer(ids), order.size() + 1, first);
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
                cluster.close(node);
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
                    + " %,d failed %s%n", longest / 1e6, client.acknowledged(), failed, client.writer.failureKinds);
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
        private final ClusterNodes cluster;
        private final Writer writer;
        private final ReentrantLock turn = new ReentrantLock(true);
        private final long[] longestStall;
        private final long[] failures;
        private String firstFailure;
        private volatile int node;
        private volatile int phase;
        private volatile boolean stopped;
        private volatile long acknowledged;

        RollingClient(ClusterNodes cluster, Writer writer, int phases, int node) {
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
    private static void catchUp(ClusterNodes cluster, int size) throws Exception {
        int leader = cluster.awaitLeader();
        ClusterFileStorage leaderNode = cluster.storage(leader);
        AtomPointer latest = leaderNode.readRoot();
        long commitIndex = leaderNode.status().commitIndex();
        List<ClusterPeer> peers = new ArrayList<>(cluster.peers);
        ClusterPeer fourth = new ClusterPeer(NODES + 1, "127.0.0.1", ClusterNodes.freePort());
        peers.add(fourth);
        Path directory = cluster.dir.resolve("node-" + fourth.nodeId());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        long start = System.nanoTime();
        try (ClusterFileStorage joining = ClusterFileStorage.learner(new FileBlockProvider(directory),
                ClusterNodes.options(fourth.nodeId(), peers, cluster.election)
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

    /**
     * The commits of a client: the record of the next key of a fixed random permutation, each time with a price no
     * earlier commit wrote, through a node in this JVM or in a child JVM; remembers the last failure.
     */
    private static final class Writer {
        private final int[] ids;
        private long commits;
        /** The simple name of the last failure's exception, and the failure ({@code Kind: message}). */
        String lastFailureKind;
        String lastFailure;
        /** The failed commits, in all, and by the simple name of their exception. */
        long failures;
        final Map<String, Long> failureKinds = new TreeMap<>();

        Writer(int[] ids) {
            this.ids = ids;
        }

        private int nextId() {
            return ids[(int) (commits % ids.length)];
        }

        /** Commits through {@code db}; whether the commit was acknowledged. */
        boolean commitOnce(Database db) {
            int id = nextId();
            double price = Dataset.price(id) + ++commits;
            try {
                Dataset.replace(db, Dataset.key(id), Dataset.protobaseRecord(id, price));
                return true;
            } catch (ProtoBaseException e) {
                failed(e.getClass().getSimpleName(), e.getClass().getSimpleName() + ": " + e.getMessage());
                return false;
            }
        }

        /** Commits through the node of {@code node}; whether the commit was acknowledged. */
        boolean commitOnce(ClusterNodeJvm node) throws IOException {
            int id = nextId();
            double price = Dataset.price(id) + ++commits;
            String answer = node.ask("commit " + id + " " + price);
            if (answer.equals("ok")) {
                return true;
            }
            if (!answer.startsWith("failed ")) {
                throw new IllegalStateException("a commit answered '" + answer + "'");
            }
            String failure = answer.substring("failed ".length());
            failed(failure.substring(0, Math.max(0, failure.indexOf(':'))), failure);
            return false;
        }

        private void failed(String kind, String failure) {
            lastFailureKind = kind;
            lastFailure = failure;
            failures++;
            failureKinds.merge(kind, 1L, Long::sum);
        }
    }
}
