package io.protobase.storage.cluster;

import io.protobase.testing.ChildJvm;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster fault harness: three {@link ClusterNodeMain} nodes in child JVMs, each reaching the
 * others through a {@link LinkProxy} per directed link, a client per node committing bank transfers
 * through it, and per round one fault chosen with a logged seed: SIGKILL of the leader, SIGKILL of a
 * follower (each restarted on its directory afterwards), SIGKILL of a follower whose directory is then
 * deleted (a node under a new id replaces it), SIGSTOP of the leader until another node leads, then
 * SIGCONT; or a network fault until the rest commit again, then healed: the leader isolated, a follower
 * isolated, the leader's links to the followers failing (one way) or theirs to it. After every round
 * the harness stops the clients and checks the history the clients recorded against what every node
 * reads: every acknowledged transfer is in the transfer log (so a leader
 * deposed behind a partition acknowledged nothing the majority did not log), no failed one is, no
 * transfer is there twice or was never invoked, replaying the log from the opening balances gives the
 * balances (so the total is conserved), and every node has the same root, balances and log, has
 * applied the same log index and holds the same segment bytes (a digest each node computes).
 * Throughout, a reader reads through random nodes and no read may miss a transfer acknowledged before
 * it began (linearizable reads); at the end, after one more commit, the nodes' segment files must be
 * identical byte for byte.
 *
 * <p>{@code -Dprotobase.cluster.soakRounds=N} runs N rounds instead of 30;
 * {@code -Dprotobase.cluster.seed=S} replays the fault choices and transfers of seed S (the timing
 * of the faults is not replayed); {@code -Dprotobase.cluster.faults=ISOLATE_LEADER,...} draws only
 * from the faults listed, to stress one.
 */
@Tag("slow")
class ClusterFaultTest {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFaultTest.class);
    private static final int ROUNDS = Integer.getInteger("protobase.cluster.soakRounds", 30);
    private static final int ACCOUNTS = 10;
    private static final long INITIAL_BALANCE = 1_000;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Transfers acknowledged before a fault and again after it, so that each fault lands under load. */
    private static final int PROGRESS = 3;
    /** Only these faults ({@code -Dprotobase.cluster.faults=ISOLATE_LEADER,...}), to stress one; all when empty. */
    private static final String FAULTS = System.getProperty("protobase.cluster.faults", "");

    private enum Fault {
        KILL_LEADER, KILL_FOLLOWER, PAUSE_LEADER,
        /** The leader's links to and from both followers stall or drop every byte. */
        ISOLATE_LEADER,
        /**
         * A follower's links to and from the others are cut: connections reset and refused, as when
         * its host's network goes down, where the other faults leave the senders in silence.
         */
        ISOLATE_FOLLOWER,
        /** What the leader sends to the followers stalls or is dropped; what they send it arrives. */
        DROP_LEADER_OUT,
        /** What the followers send to the leader stalls or is dropped; what it sends them arrives. */
        DROP_LEADER_IN,
        /**
         * A follower is killed and its directory deleted; a node with an empty directory takes its place
         * under a new id, added by a configuration change, and copies everything from the others.
         */
        WIPE_FOLLOWER
    }

    private enum Outcome { INVOKED, ACKNOWLEDGED, FAILED, UNKNOWN }

    /** One transfer a client sent and what it learnt of it. */
    private record Transfer(int from, int to, long amount, Outcome outcome) {

        Transfer with(Outcome o) {
            return new Transfer(from, to, amount, o);
        }
    }

    @TempDir
    Path work;

    private final long seed = Long.getLong("protobase.cluster.seed", new Random().nextLong());
    private final String group = "fault-" + UUID.randomUUID();
    private final Node[] nodes = new Node[4];
    private final Map<String, Transfer> history = new ConcurrentHashMap<>();
    private final AtomicInteger acknowledged = new AtomicInteger();
    private final NodeControl.Gate gate = new NodeControl.Gate();
    private final List<Thread> clients = new ArrayList<>();
    /** {@code links[a][b]}: the proxy node {@code a} dials node {@code b} through. */
    private final LinkProxy[][] links = new LinkProxy[4][4];
    /** When each acknowledged transfer was acknowledged ({@link System#nanoTime}). */
    private final Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
    private final List<String> staleReads = new CopyOnWriteArrayList<>();
    private final AtomicInteger reads = new AtomicInteger();
    /** The highest node id used so far: a wiped node comes back under the next one. */
    private int highestId = 3;
    /** When the last fault ended ({@link System#nanoTime}): healed, resumed or restarted. */
    private volatile long faultEnded = System.nanoTime();
    private long slowestConvergence;

    /**
     * One of the three places of the group (a slot): the Raft peer in it now (its id changes when a wiped
     * node takes the slot over), its control port, directory and the JVM running it now (null while it
     * is down). The slot's host name {@code node<slot>} stays, so the hosts files never change.
     */
    private final class Node {
        final int slot;
        final int controlPort = TestCluster.freePort();
        ClusterPeer peer;
        ChildJvm jvm;
        int starts;

        Node(int slot, ClusterPeer peer) {
            this.slot = slot;
            this.peer = peer;
        }

        Path directory() {
            return work.resolve("node-" + slot);
        }

        void start() throws IOException {
            start(false);
        }

        /** Starts the node; a {@code learner} waits outside the group until a configuration change adds it. */
        void start(boolean learner) throws IOException {
            String name = "node-" + slot + "-n" + peer.nodeId() + "-" + starts++;
            jvm = ChildJvm.start(work.resolve(name + ".out"), work.resolve(name + ".err"), "192m",
                    ClusterNodeMain.class, Integer.toString(peer.nodeId()), directory().toString(), group, peers(),
                    Integer.toString(controlPort), work.resolve("hosts-" + slot).toString(),
                    learner ? "learner" : "member");
        }

        void awaitReady() {
            jvm.awaitReady(WAIT, "seed " + seed + ": node " + peer.nodeId(), Arrays.stream(nodes)
                    .filter(n -> n != null && n.jvm != null).map(n -> n.jvm).toList());
            assertThat(jvm.isAlive()).as("seed %d: node %d started; stderr: %s", seed, peer.nodeId(), jvm.errors())
                    .isTrue();
        }
    }

    /** The members as every node lists them: {@code id@node<slot>:port,...}. */
    private String peers() {
        return Arrays.stream(nodes, 1, 4).map(n -> n.peer.nodeId() + "@" + n.peer.host() + ":" + n.peer.port())
                .collect(Collectors.joining(","));
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        gate.stop();
        for (Thread client : clients) {
            client.join(WAIT.toMillis());
        }
        for (Node node : nodes) {
            if (node != null && node.jvm != null) {
                node.jvm.kill();
            }
        }
        for (LinkProxy[] from : links) {
            for (LinkProxy link : from) {
                if (link != null) {
                    link.close();
                }
            }
        }
    }

    @Test
    void acknowledgedTransfersSurviveKilledPausedAndPartitionedNodesAndEveryNodeConvergesToOneHistory()
            throws Exception {
        LOG.info("cluster fault harness: seed {}, {} rounds", seed, ROUNDS);
        Random rnd = new Random(seed);
        for (int id = 1; id <= 3; id++) {
            nodes[id] = new Node(id, new ClusterPeer(id, "node" + id, TestCluster.freePort()));
        }
        writeHostsFiles();
        for (int slot = 1; slot <= 3; slot++) {
            connectThroughProxies(slot);
        }
        for (int id = 1; id <= 3; id++) {
            nodes[id].start();
        }
        for (int id = 1; id <= 3; id++) {
            nodes[id].awaitReady();
            gate.setUp(id, true);
        }
        await().atMost(WAIT).alias("seed " + seed + ": the bank opened")
                .until(() -> ask(1, "init " + ACCOUNTS + " " + INITIAL_BALANCE, WAIT).equals("ok"));
        for (int id = 1; id <= 3; id++) {
            int node = id;
            long clientSeed = rnd.nextLong();
            Thread client = new Thread(() -> runClient(node, new Random(clientSeed)), "client-" + id);
            client.start();
            clients.add(client);
        }
        long readerSeed = rnd.nextLong();
        Thread reader = new Thread(() -> runReader(new Random(readerSeed)), "reader");
        reader.start();
        clients.add(reader);

        Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
        List<Fault> chosen = FAULTS.isBlank() ? List.of(Fault.values())
                : Arrays.stream(FAULTS.split(",")).map(String::trim).map(Fault::valueOf).toList();
        for (int round = 0; round < ROUNDS; round++) {
            Fault fault = chosen.get(rnd.nextInt(chosen.size()));
            faults.merge(fault, 1, Integer::sum);
            awaitProgress(round, "before the fault");
            int leader = awaitLeader(round);
            LOG.info("seed {} round {}: {} (leader is node {})", seed, round, fault, leader);
            if (fault == Fault.KILL_LEADER) {
                killAndRestart(round, leader);
            } else if (fault == Fault.KILL_FOLLOWER) {
                killAndRestart(round, (leader + rnd.nextInt(2)) % 3 + 1);
            } else if (fault == Fault.WIPE_FOLLOWER) {
                wipeAndReplace(round, (leader + rnd.nextInt(2)) % 3 + 1);
            } else if (fault == Fault.PAUSE_LEADER) {
                pauseAndResume(round, leader);
            } else {
                partitionAndHeal(round, fault, leader, (leader + rnd.nextInt(2)) % 3 + 1, rnd.nextBoolean());
            }
            checkHistory(round);
        }

        finalCommitLeavesIdenticalSegmentFiles();
        Map<Outcome, Long> outcomes = history.values().stream()
                .collect(Collectors.groupingBy(Transfer::outcome, Collectors.counting()));
        LOG.info("seed {}: faults {}, outcomes {}, {} linearizable reads, longest convergence after a fault {} ms",
                seed, faults, outcomes, reads.get(), slowestConvergence);
        assertThat(outcomes.getOrDefault(Outcome.ACKNOWLEDGED, 0L)).as("seed %d: acknowledged transfers", seed)
                .isGreaterThanOrEqualTo(2L * PROGRESS * ROUNDS);
        assertThat(staleReads).as("seed %d: reads that missed a transfer acknowledged before they began", seed)
                .isEmpty();
    }

    /**
     * Stops the clients, commits one more transfer and checks the history once more; then every node,
     * having applied the same log, must hold the same segment files byte for byte.
     */
    private void finalCommitLeavesIdenticalSegmentFiles() throws Exception {
        gate.stop();
        for (Thread client : clients) {
            client.join(WAIT.toMillis());
        }
        String id = "final";
        history.put(id, new Transfer(0, 1, 1, Outcome.INVOKED));
        assertThat(ask(awaitLeader(ROUNDS), "transfer " + id + " 0 1 1", WAIT))
                .as("seed %d: the final transfer, with every node up and every link healed", seed).isEqualTo("ok");
        history.put(id, history.get(id).with(Outcome.ACKNOWLEDGED));
        checkHistory(ROUNDS);
        Map<String, byte[]> first = segmentFiles(1);
        assertThat(first).as("seed %d: segment files of node 1", seed).isNotEmpty();
        for (int node = 2; node <= 3; node++) {
            Map<String, byte[]> other = segmentFiles(node);
            assertThat(other.keySet()).as("seed %d: segment files of node %d", seed, node)
                    .isEqualTo(first.keySet());
            for (Map.Entry<String, byte[]> file : first.entrySet()) {
                assertThat(other.get(file.getKey())).as("seed %d: segment %s of node %d, as on node 1", seed,
                        file.getKey(), node).isEqualTo(file.getValue());
            }
        }
    }

    /** The segment files of a node's replica, by file name. */
    private Map<String, byte[]> segmentFiles(int node) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(work.resolve("node-" + node))) {
            for (Path file : paths.filter(f -> Files.isRegularFile(f) && f.getParent().getFileName().toString()
                    .equals("segments")).toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    /** Kills {@code victim} with SIGKILL, waits until the others commit again, restarts it on its directory. */
    private void killAndRestart(int round, int victim) throws Exception {
        gate.setUp(victim, false);
        nodes[victim].jvm.kill();
        awaitProgress(round, "with node " + victim + " killed");
        nodes[victim].start();
        nodes[victim].awaitReady();
        faultEnded = System.nanoTime();
        gate.setUp(victim, true);
    }

    /**
     * Kills the node in slot {@code victim} with SIGKILL and deletes its directory, as when a machine's
     * disk is lost, waits until the others commit again, then replaces it as docs/cluster.md tells
     * users with a fixed member list: a node under a new id (one above every id used so far) with an
     * empty directory and a new port, opened as a learner listing the survivors and itself, and a
     * configuration change through a survivor that swaps the lost id for the new one. The new node
     * copies the log (and with it every segment) from the leader; the segment comparisons prove it got
     * the same bytes.
     */
    private void wipeAndReplace(int round, int victim) throws Exception {
        Node node = nodes[victim];
        gate.setUp(victim, false);
        node.jvm.kill();
        deleteRecursively(node.directory());
        awaitProgress(round, "with node " + node.peer.nodeId() + " wiped");
        int lost = node.peer.nodeId();
        node.peer = new ClusterPeer(++highestId, node.peer.host(), TestCluster.freePort());
        connectThroughProxies(victim);
        // as a learner, as Hazelcast discovery adds nodes: it stays out of elections until the change adds it
        node.start(true);
        // its Raft server starts before it can answer anything (it opens its object space only once it
        // is a member): add it once its Raft port accepts connections, so the leader can copy the log to it
        InetSocketAddress raftPort = new InetSocketAddress("127.1.0." + victim, node.peer.port());
        node.jvm.awaitOrDeath(WAIT, Duration.ofMillis(50), () -> accepts(raftPort));
        int survivor = victim % 3 + 1;
        String members = peers();
        await().atMost(WAIT).alias("seed " + seed + " round " + round + ": node " + node.peer.nodeId()
                + " replaces node " + lost).until(() -> {
                    try {
                        String answer = ask(survivor, "reconfigure " + members, WAIT);
                        if (!answer.equals("ok")) {
                            LOG.info("seed {} round {}: reconfigure through node {}: {}", seed, round, survivor,
                                    answer);
                        }
                        return answer.equals("ok");
                    } catch (UncheckedIOException e) {
                        return false;
                    }
                });
        node.awaitReady();
        faultEnded = System.nanoTime();
        gate.setUp(victim, true);
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Stops the leader with SIGSTOP (its client's transfer hangs in it), waits until another node leads
     * and commits, then lets it go on with SIGCONT: it must find it lost its leadership and must not
     * commit anything the new leader's log does not hold.
     */
    private void pauseAndResume(int round, int leader) throws Exception {
        signal(leader, "STOP");
        try {
            await().atMost(WAIT).until(() -> {
                for (int id = 1; id <= 3; id++) {
                    if (id != leader && status(id).startsWith("status LEADER")) {
                        return true;
                    }
                }
                return false;
            });
            awaitProgress(round, "with the old leader " + leader + " paused");
        } finally {
            signal(leader, "CONT");
            faultEnded = System.nanoTime();
        }
    }

    /**
     * Every node names its peers {@code node1..node3} (by slot); node {@code a}'s hosts file resolves
     * {@code node<b>} to the address of the proxy of link a->b (127.1.a.b), which forwards to node b's
     * own address (127.1.0.b, where b alone resolves its name). Ratis replicates the leader's view of the
     * members to every node, so the members must read the same on all nodes: the per-link addresses come
     * from name resolution, which each JVM does for itself.
     */
    private void writeHostsFiles() throws IOException {
        for (int a = 1; a <= 3; a++) {
            StringBuilder hosts = new StringBuilder();
            for (int b = 1; b <= 3; b++) {
                hosts.append(a == b ? "127.1.0." + b : "127.1." + a + "." + b).append(" node").append(b).append('\n');
            }
            Files.writeString(work.resolve("hosts-" + a), hosts);
        }
    }

    /** (Re)creates the proxies of the links into slot {@code b}, for the port of the node in it now. */
    private void connectThroughProxies(int b) {
        int port = nodes[b].peer.port();
        for (int a = 1; a <= 3; a++) {
            if (a != b) {
                if (links[a][b] != null) {
                    links[a][b].close();
                }
                links[a][b] = new LinkProxy(a + "->" + b, new InetSocketAddress("127.1." + a + "." + b, port),
                        new InetSocketAddress("127.1.0." + b, port));
            }
        }
    }

    /**
     * Fails the links of the fault until the nodes that can still reach a majority elect a leader (when
     * the fault separates the leader) and commit, then heals them. The links stall (TCP keeps what was
     * sent and delivers it on healing, as after a pulled cable) or drop (bytes are lost and the
     * connections that lost some are closed on healing); an isolated follower's links are cut. A leader
     * cut off from the majority must not acknowledge anything while it believes it still leads: the
     * history check finds any transfer it acknowledged but the majority never logged.
     */
    private void partitionAndHeal(int round, Fault fault, int leader, int follower, boolean stall) {
        List<LinkProxy> faulty = new ArrayList<>();
        for (int a = 1; a <= 3; a++) {
            for (int b = 1; b <= 3; b++) {
                boolean fails = a != b && switch (fault) {
                    case ISOLATE_LEADER -> a == leader || b == leader;
                    case ISOLATE_FOLLOWER -> a == follower || b == follower;
                    case DROP_LEADER_OUT -> a == leader;
                    case DROP_LEADER_IN -> b == leader;
                    default -> throw new IllegalArgumentException(fault.name());
                };
                if (fails) {
                    faulty.add(links[a][b]);
                }
            }
        }
        LOG.info("seed {} round {}: links {} {}", seed, round, fault == Fault.ISOLATE_FOLLOWER ? "cut"
                : stall ? "stall" : "drop", faulty.stream().map(LinkProxy::toString).toList());
        faulty.forEach(fault == Fault.ISOLATE_FOLLOWER ? LinkProxy::cut : stall ? LinkProxy::stall : LinkProxy::drop);
        try {
            if (fault == Fault.ISOLATE_LEADER || fault == Fault.DROP_LEADER_OUT) {
                await().atMost(WAIT).alias("seed " + seed + " round " + round + ": a leader other than " + leader)
                        .until(() -> awaitLeader(round) != leader);
            }
            awaitProgress(round, "with " + fault + (fault == Fault.ISOLATE_FOLLOWER ? " of node " + follower
                    : " of leader " + leader));
        } finally {
            faulty.forEach(LinkProxy::pass);
            faultEnded = System.nanoTime();
        }
    }

    /**
     * Reads the state through a random node, again and again, and checks each read against what was
     * acknowledged before it began: a linearizable read must see every transfer acknowledged before it
     * started, through whichever node it was acknowledged. A read that fails (no quorum reachable) is
     * no answer and is not checked.
     */
    private void runReader(Random rnd) {
        while (true) {
            int node = 1 + rnd.nextInt(3);
            if (!gate.enter(node)) {
                return;
            }
            try {
                long start = System.nanoTime();
                List<String> before = acknowledgedAt.entrySet().stream().filter(e -> e.getValue() - start < 0)
                        .map(Map.Entry::getKey).toList();
                String state;
                try {
                    state = ask(node, "state", Duration.ofSeconds(3 * ClusterNodeMain.REQUEST.toSeconds()));
                } catch (UncheckedIOException e) {
                    continue;
                }
                if (!state.startsWith("state ")) {
                    continue;
                }
                reads.incrementAndGet();
                String log = state.split(" ")[3];
                Set<String> seen = log.equals("-") ? Set.of() : Arrays.stream(log.split(","))
                        .map(entry -> entry.substring(0, entry.indexOf(':'))).collect(Collectors.toSet());
                before.stream().filter(id -> !seen.contains(id)).findFirst().ifPresent(missed -> {
                    staleReads.add("read through node " + node + " missed " + missed);
                    LOG.error("seed {}: a read through node {} missed transfer {}, acknowledged before it began",
                            seed, node, missed);
                });
            } finally {
                gate.leave();
            }
        }
    }

    private void signal(int node, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(nodes[node].jvm.pid())).start();
        assertThat(kill.waitFor()).as("kill -%s of node %d", signal, node).isZero();
    }

    private void awaitProgress(int round, String when) {
        int from = acknowledged.get();
        await().atMost(WAIT).alias("seed " + seed + " round " + round + ": transfers acknowledged " + when)
                .until(() -> acknowledged.get() >= from + PROGRESS);
    }

    /** The node that reports itself leader with the highest term. */
    private int awaitLeader(int round) {
        int[] leader = {0};
        await().atMost(WAIT).alias("seed " + seed + " round " + round + ": a leader").until(() -> {
            long best = -1;
            for (int id = 1; id <= 3; id++) {
                String[] status = status(id).split(" ");
                if (status[1].equals("LEADER") && Long.parseLong(status[2]) > best) {
                    best = Long.parseLong(status[2]);
                    leader[0] = id;
                }
            }
            return best >= 0;
        });
        return leader[0];
    }

    private String status(int node) {
        try {
            return ask(node, "status", Duration.ofSeconds(2));
        } catch (UncheckedIOException e) {
            return "status UNREACHABLE -1";
        }
    }

    /**
     * Stops the clients, reads the state of every node and checks it against the recorded history;
     * then lets the clients go on.
     */
    private void checkHistory(int round) {
        gate.quiesce();
        try {
            String[] states = new String[4];
            awaitOrExplain(round, "every node reads the same state", () -> {
                for (int id = 1; id <= 3; id++) {
                    states[id] = askOrNote(id, "state");
                }
                return states[1].startsWith("state ") && states[1].equals(states[2]) && states[2].equals(states[3]);
            }, states);
            long converged = (System.nanoTime() - faultEnded) / 1_000_000;
            slowestConvergence = Math.max(slowestConvergence, converged);
            String[] segments = new String[4];
            awaitOrExplain(round, "every node holds the same segment bytes", () -> {
                for (int id = 1; id <= 3; id++) {
                    segments[id] = askOrNote(id, "segments");
                }
                return segments[1].startsWith("segments ") && segments[1].equals(segments[2])
                        && segments[2].equals(segments[3]);
            }, segments);
            String[] fields = states[1].split(" ");
            long[] balances = Arrays.stream(fields[2].split(",")).mapToLong(Long::parseLong).toArray();
            List<String> log = fields[3].equals("-") ? List.of() : List.of(fields[3].split(","));
            String where = "seed " + seed + " round " + round;

            Set<String> applied = new HashSet<>();
            long[] replayed = new long[ACCOUNTS];
            Arrays.fill(replayed, INITIAL_BALANCE);
            for (String entry : log) {
                String[] e = entry.split(":");
                String id = e[0];
                int from = Integer.parseInt(e[1]);
                int to = Integer.parseInt(e[2]);
                long moved = Long.parseLong(e[3]);
                assertThat(applied.add(id)).as("%s: transfer %s applied once", where, id).isTrue();
                Transfer sent = history.get(id);
                assertThat(sent).as("%s: transfer %s in the log was invoked by a client", where, id).isNotNull();
                assertThat(sent.outcome()).as("%s: outcome of transfer %s, which is in the log", where, id)
                        .isNotEqualTo(Outcome.FAILED);
                assertThat(new long[] {from, to, moved}).as("%s: log entry of transfer %s", where, id)
                        .containsExactly(sent.from(), sent.to(), Math.min(sent.amount(), replayed[from]));
                replayed[from] -= moved;
                replayed[to] += moved;
            }
            history.forEach((id, t) -> {
                if (t.outcome() == Outcome.ACKNOWLEDGED) {
                    assertThat(applied).as("%s: acknowledged transfer %s is in the log", where, id).contains(id);
                }
            });
            assertThat(balances).as("%s: balances are the replayed log", where).containsExactly(replayed);
            assertThat(Arrays.stream(balances).sum()).as("%s: bank total", where)
                    .isEqualTo(ACCOUNTS * INITIAL_BALANCE);
            LOG.info("{}: {} transfers in the log, states agree on {} {} ms after the fault ended, segments on {}",
                    where, log.size(), fields[1], converged, segments[1]);
        } finally {
            gate.resume();
        }
    }

    /**
     * Waits until {@code condition} holds; if it does not within {@link #WAIT}, fails with what every node
     * reports of itself (role, term, leader, commit and applied index) and its last answer, so that a
     * failure in CI tells which node did not catch up and why.
     */
    private void awaitOrExplain(int round, String what, Callable<Boolean> condition, String[] answers) {
        try {
            await().atMost(WAIT).until(condition);
        } catch (ConditionTimeoutException e) {
            StringBuilder nodesNow = new StringBuilder();
            for (int slot = 1; slot <= 3; slot++) {
                String answer = answers[slot] == null ? "none" : answers[slot];
                nodesNow.append("\n  node ").append(nodes[slot].peer.nodeId()).append(": ").append(status(slot))
                        .append("; last answer: ").append(answer, 0, Math.min(answer.length(), 300));
                ChildJvm jvm = nodes[slot].jvm;
                if (jvm != null) {
                    List<String> errors = jvm.errors().lines().toList();
                    nodesNow.append("; alive ").append(jvm.isAlive()).append(", last lines of stderr: ")
                            .append(errors.subList(Math.max(0, errors.size() - 5), errors.size()));
                    if (jvm.isAlive()) {
                        LOG.error("seed {} round {}: not {} in time; threads of node {}:\n{}", seed, round, what,
                                nodes[slot].peer.nodeId(), jvm.threadDump());
                    }
                }
            }
            throw new AssertionError("seed " + seed + " round " + round + ": not " + what + " within " + WAIT
                    + " after the fault ended; the nodes now:" + nodesNow, e);
        }
    }

    /** What {@code node} answers, or {@code unreachable <why>} when it cannot be asked. */
    private String askOrNote(int node, String request) {
        try {
            return ask(node, request, Duration.ofSeconds(3 * ClusterNodeMain.REQUEST.toSeconds()));
        } catch (UncheckedIOException e) {
            return "unreachable " + e.getCause();
        }
    }

    /** Sends transfers through {@code node} while the gate lets it; records each one's outcome. */
    private void runClient(int node, Random rnd) {
        int sequence = 0;
        Socket socket = null;
        try {
            while (gate.enter(node)) {
                try {
                    if (socket == null) {
                        socket = connect(node, Duration.ofSeconds(3 * ClusterNodeMain.REQUEST.toSeconds()));
                    }
                    int from = rnd.nextInt(ACCOUNTS);
                    int to = (from + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                    Transfer transfer = new Transfer(from, to, 1 + rnd.nextInt(200), Outcome.INVOKED);
                    String id = "n" + node + "-" + sequence++;
                    history.put(id, transfer);
                    String answer;
                    try {
                        answer = send(socket, "transfer " + id + " " + from + " " + to + " " + transfer.amount());
                    } catch (IOException e) {
                        answer = null;
                    }
                    Outcome outcome = answer == null ? Outcome.UNKNOWN
                            : answer.equals("ok") ? Outcome.ACKNOWLEDGED
                            : answer.startsWith("failed") ? Outcome.FAILED : Outcome.UNKNOWN;
                    history.put(id, transfer.with(outcome));
                    if (outcome == Outcome.ACKNOWLEDGED) {
                        acknowledgedAt.put(id, System.nanoTime());
                        acknowledged.incrementAndGet();
                    } else {
                        LOG.info("transfer {} through node {}: {}", id, node,
                                answer == null ? "connection lost" : answer);
                    }
                    if (answer == null) {
                        close(socket);
                        socket = null;
                    }
                } catch (UncheckedIOException notListening) {
                    // the node is down: nothing was sent; the gate closes for it until it is back
                    socket = null;
                } finally {
                    gate.leave();
                }
            }
        } finally {
            close(socket);
        }
    }

    private String ask(int node, String request, Duration timeout) {
        return NodeControl.ask(nodes[node].controlPort, request, timeout);
    }

    private Socket connect(int node, Duration timeout) {
        return NodeControl.connect(nodes[node].controlPort, timeout);
    }

    private static String send(Socket socket, String line) throws IOException {
        return NodeControl.send(socket, line);
    }

    private static void close(Socket socket) {
        NodeControl.close(socket);
    }
}
