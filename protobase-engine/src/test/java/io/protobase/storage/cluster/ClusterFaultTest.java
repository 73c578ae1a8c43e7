package io.protobase.storage.cluster;

import io.protobase.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
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
 * follower (each restarted on its directory afterwards), SIGSTOP of the leader until another node
 * leads, then SIGCONT; or a network fault until the rest commit again, then healed: the leader
 * isolated, a follower isolated, the leader's links to the followers dropping (one way) or theirs to
 * it. After every round the harness stops the clients and checks the history the clients recorded
 * against what every node reads: every acknowledged transfer is in the transfer log (so a leader
 * deposed behind a partition acknowledged nothing the majority did not log), no failed one is, no
 * transfer is there twice or was never invoked, replaying the log from the opening balances gives the
 * balances (so the total is conserved), and every node has the same root, balances and log.
 * Throughout, a reader reads through random nodes and no read may miss a transfer acknowledged before
 * it began (linearizable reads); at the end, after one more commit, the nodes' segment files must be
 * identical byte for byte.
 *
 * <p>{@code -Dprotobase.cluster.soakRounds=N} runs N rounds instead of 30;
 * {@code -Dprotobase.cluster.seed=S} replays the fault choices and transfers of seed S (the timing
 * of the faults is not replayed).
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

    private enum Fault {
        KILL_LEADER, KILL_FOLLOWER, PAUSE_LEADER,
        /** The leader's links to and from both followers drop every byte. */
        ISOLATE_LEADER,
        /**
         * A follower's links to and from the others are cut: connections reset and refused, as when
         * its host's network goes down, where the other faults leave the senders in silence.
         */
        ISOLATE_FOLLOWER,
        /** What the leader sends to the followers is dropped; what they send it arrives. */
        DROP_LEADER_OUT,
        /** What the followers send to the leader is dropped; what it sends them arrives. */
        DROP_LEADER_IN
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
    private final Gate gate = new Gate();
    private final List<Thread> clients = new ArrayList<>();
    /** {@code links[a][b]}: the proxy node {@code a} dials node {@code b} through. */
    private final LinkProxy[][] links = new LinkProxy[4][4];
    /** When each acknowledged transfer was acknowledged ({@link System#nanoTime}). */
    private final Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
    private final List<String> staleReads = new CopyOnWriteArrayList<>();
    private final AtomicInteger reads = new AtomicInteger();

    /** A node: its Raft peer, its control port and the JVM running it now (null while it is down). */
    private final class Node {
        final ClusterPeer peer;
        final int controlPort = TestCluster.freePort();
        ChildJvm jvm;
        int starts;

        Node(ClusterPeer peer) {
            this.peer = peer;
        }

        void start(String peers) throws IOException {
            String name = "node-" + peer.nodeId() + "-" + starts++;
            jvm = ChildJvm.start(work.resolve(name + ".out"), work.resolve(name + ".err"), "192m",
                    ClusterNodeMain.class, Integer.toString(peer.nodeId()), work.resolve("node-" + peer.nodeId())
                            .toString(), group, peers, Integer.toString(controlPort),
                    work.resolve("hosts-" + peer.nodeId()).toString());
        }

        void awaitReady() {
            jvm.awaitOrDeath(WAIT, Duration.ofMillis(20), () -> jvm.output().lines().anyMatch("ready"::equals));
            assertThat(jvm.isAlive()).as("seed %d: node %d started; stderr: %s", seed, peer.nodeId(), jvm.errors())
                    .isTrue();
        }
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
            nodes[id] = new Node(new ClusterPeer(id, "node" + id, TestCluster.freePort()));
        }
        connectThroughProxies();
        String peers = Arrays.stream(nodes, 1, 4).map(n -> n.peer.nodeId() + "@" + n.peer.host() + ":" + n.peer.port())
                .collect(Collectors.joining(","));
        for (int id = 1; id <= 3; id++) {
            nodes[id].start(peers);
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
        for (int round = 0; round < ROUNDS; round++) {
            Fault fault = Fault.values()[rnd.nextInt(Fault.values().length)];
            faults.merge(fault, 1, Integer::sum);
            awaitProgress(round, "before the fault");
            int leader = awaitLeader(round);
            LOG.info("seed {} round {}: {} (leader is node {})", seed, round, fault, leader);
            if (fault == Fault.KILL_LEADER) {
                killAndRestart(round, leader, peers);
            } else if (fault == Fault.KILL_FOLLOWER) {
                killAndRestart(round, (leader + rnd.nextInt(2)) % 3 + 1, peers);
            } else if (fault == Fault.PAUSE_LEADER) {
                pauseAndResume(round, leader);
            } else {
                partitionAndHeal(round, fault, leader, (leader + rnd.nextInt(2)) % 3 + 1);
            }
            checkHistory(round);
        }

        finalCommitLeavesIdenticalSegmentFiles();
        Map<Outcome, Long> outcomes = history.values().stream()
                .collect(Collectors.groupingBy(Transfer::outcome, Collectors.counting()));
        LOG.info("seed {}: faults {}, outcomes {}, {} linearizable reads", seed, faults, outcomes, reads.get());
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
    private void killAndRestart(int round, int victim, String peers) throws Exception {
        gate.setUp(victim, false);
        nodes[victim].jvm.kill();
        awaitProgress(round, "with node " + victim + " killed");
        nodes[victim].start(peers);
        nodes[victim].awaitReady();
        gate.setUp(victim, true);
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
        }
    }

    /**
     * Every node names its peers {@code node1..node3}; node {@code a}'s hosts file resolves
     * {@code node<b>} to the address of the proxy of link a->b, which forwards to node b's own address
     * (127.1.0.b, where b alone resolves its name). Ratis replicates the leader's view of the members
     * to every node, so the members must read the same on all nodes: the per-link addresses come from
     * name resolution, which each JVM does for itself.
     */
    private void connectThroughProxies() throws IOException {
        for (int a = 1; a <= 3; a++) {
            StringBuilder hosts = new StringBuilder();
            for (int b = 1; b <= 3; b++) {
                int port = nodes[b].peer.port();
                String own = "127.1.0." + b;
                if (a == b) {
                    hosts.append(own).append(' ').append(nodes[b].peer.host()).append('\n');
                } else {
                    String proxy = "127.1." + a + "." + b;
                    links[a][b] = new LinkProxy(a + "->" + b, new InetSocketAddress(proxy, port),
                            new InetSocketAddress(own, port));
                    hosts.append(proxy).append(' ').append(nodes[b].peer.host()).append('\n');
                }
            }
            Files.writeString(work.resolve("hosts-" + a), hosts);
        }
    }

    /**
     * Drops the links of the fault until the nodes that can still reach a majority elect a leader (when
     * the fault separates the leader) and commit, then heals them. A leader cut off from the majority
     * must not acknowledge anything while it believes it still leads: the history check finds any
     * transfer it acknowledged but the majority never logged.
     */
    private void partitionAndHeal(int round, Fault fault, int leader, int follower) {
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
        faulty.forEach(fault == Fault.ISOLATE_FOLLOWER ? LinkProxy::cut : LinkProxy::drop);
        try {
            if (fault == Fault.ISOLATE_LEADER || fault == Fault.DROP_LEADER_OUT) {
                await().atMost(WAIT).alias("seed " + seed + " round " + round + ": a leader other than " + leader)
                        .until(() -> awaitLeader(round) != leader);
            }
            awaitProgress(round, "with " + fault + (fault == Fault.ISOLATE_FOLLOWER ? " of node " + follower
                    : " of leader " + leader));
        } finally {
            faulty.forEach(LinkProxy::pass);
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
            await().atMost(WAIT).alias("seed " + seed + " round " + round + ": every node at the same root")
                    .until(() -> {
                        for (int id = 1; id <= 3; id++) {
                            states[id] = ask(id, "state", WAIT);
                        }
                        return states[1].startsWith("state ") && states[1].equals(states[2])
                                && states[2].equals(states[3]);
                    });
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
            LOG.info("{}: {} transfers in the log, states agree on {}", where, log.size(), fields[1]);
        } finally {
            gate.resume();
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
        try (Socket socket = connect(node, timeout)) {
            String answer = send(socket, request);
            if (answer == null) {
                throw new UncheckedIOException(new IOException("node " + node + " closed the connection"));
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Socket connect(int node, Duration timeout) {
        try {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), nodes[node].controlPort);
            socket.setSoTimeout((int) timeout.toMillis());
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String send(Socket socket, String line) throws IOException {
        PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.US_ASCII);
        out.println(line);
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII), 1)
                .readLine();
    }

    private static void close(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // it is gone either way
            }
        }
    }

    /**
     * Lets a client send through a node while the node is up and no check runs; a check waits until
     * no client is inside a request.
     */
    private static final class Gate {
        private final boolean[] up = new boolean[4];
        private boolean quiesced;
        private boolean stopped;
        private int busy;

        synchronized boolean enter(int node) {
            while (!stopped && (quiesced || !up[node])) {
                waitUninterruptibly();
            }
            if (!stopped) {
                busy++;
            }
            return !stopped;
        }

        synchronized void leave() {
            busy--;
            notifyAll();
        }

        synchronized void setUp(int node, boolean isUp) {
            up[node] = isUp;
            notifyAll();
        }

        synchronized void quiesce() {
            quiesced = true;
            while (busy > 0) {
                waitUninterruptibly();
            }
        }

        synchronized void resume() {
            quiesced = false;
            notifyAll();
        }

        synchronized void stop() {
            stopped = true;
            notifyAll();
        }

        private void waitUninterruptibly() {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting at the gate", e);
            }
        }
    }
}
