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
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster fault harness: three {@link ClusterNodeMain} nodes in child JVMs on 127.0.0.1, a
 * client per node committing bank transfers through it, and per round one fault chosen with a logged
 * seed: SIGKILL of the leader, SIGKILL of a follower (each restarted on its directory afterwards),
 * or SIGSTOP of the leader until another node leads, then SIGCONT. After every round the harness
 * stops the clients and checks the history the clients recorded against what every node reads:
 * every acknowledged transfer is in the transfer log, no failed one is, no transfer is there twice
 * or was never invoked, replaying the log from the opening balances gives the balances (so the total
 * is conserved), and every node has the same root, balances and log.
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

    private enum Fault { KILL_LEADER, KILL_FOLLOWER, PAUSE_LEADER }

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
                            .toString(), group, peers, Integer.toString(controlPort));
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
    }

    @Test
    void acknowledgedTransfersSurviveKilledAndPausedNodesAndEveryNodeConvergesToOneHistory() throws Exception {
        LOG.info("cluster fault harness: seed {}, {} rounds", seed, ROUNDS);
        Random rnd = new Random(seed);
        for (int id = 1; id <= 3; id++) {
            nodes[id] = new Node(new ClusterPeer(id, "127.0.0.1", TestCluster.freePort()));
        }
        String peers = Arrays.stream(nodes, 1, 4).map(n -> n.peer.nodeId() + "@127.0.0.1:" + n.peer.port())
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
            } else {
                pauseAndResume(round, leader);
            }
            checkHistory(round);
        }

        gate.quiesce();
        Map<Outcome, Long> outcomes = history.values().stream()
                .collect(Collectors.groupingBy(Transfer::outcome, Collectors.counting()));
        LOG.info("seed {}: faults {}, outcomes {}", seed, faults, outcomes);
        assertThat(outcomes.getOrDefault(Outcome.ACKNOWLEDGED, 0L)).as("seed %d: acknowledged transfers", seed)
                .isGreaterThanOrEqualTo(2L * PROGRESS * ROUNDS);
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
