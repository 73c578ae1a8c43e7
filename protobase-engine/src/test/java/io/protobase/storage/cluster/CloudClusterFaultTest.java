package io.protobase.storage.cluster;

import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.testing.ChildJvm;
import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3FaultProxy;
import io.protobase.testing.S3ProxyBucket;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cloud-cluster fault harness: three {@link CloudClusterNodeMain} nodes in child JVMs on one bucket
 * prefix of the S3Proxy server in this JVM, which they reach over HTTP through an {@link S3FaultProxy};
 * each node reaches the others through a {@link LinkProxy} per directed link, as in {@link ClusterFaultTest}.
 * Node 1 commits with {@code durability=sync}, nodes 2 and 3 with {@code async}; a client per node commits
 * bank transfers through it. With {@code -Dprotobase.cloudcluster.snapshotInterval=40} the nodes snapshot every
 * few entries, so their logs are purged up to what the bucket holds, and restarted or new nodes start from the
 * bucket ({@link #SNAPSHOT_INTERVAL}).
 *
 * <p>Each round one fault, drawn from a shuffled deck of all of them (so every fault comes up in 30 rounds)
 * with a logged seed: the cluster faults of {@link ClusterFaultTest} (SIGKILL of the leader or a follower,
 * a follower wiped and replaced under a new id, SIGSTOP/SIGCONT of the leader, the leader or a follower
 * partitioned, the leader's links failing one way), <b>every node killed at once</b> with SIGKILL, then
 * restarted, and (when listed, see {@link Fault#WIPE_ALL}) every node killed and its disk wiped, the cluster
 * starting again from the bucket; a third
 * of them while S3 misbehaves as well (errors, slow replies, lost replies or an outage, after which the
 * bucket must catch up); and the S3 faults alone (an outage, error replies, slow replies, writes applied
 * whose reply is lost), each until the clients commit again, after which the bucket must catch up. After
 * every round the clients stop and the history they recorded is checked against what every node reads, as
 * in {@link ClusterFaultTest}: every acknowledged transfer is in the transfer log, no failed one is, none is
 * there twice or was never invoked, the balances are the replayed log, and all nodes converge to one root.
 * The root object's epoch never goes back.
 *
 * <p>When every node is killed at once, the bucket alone (copied, and opened by a fresh one-node cluster with
 * an empty disk) must hold every transfer acknowledged through the {@code sync} node, and its transfer log
 * must be the start of the one the restarted cluster holds (what was uploaded is a prefix of the history,
 * never a fork). When every disk was wiped as well, the transfers not in the bucket are lost: they must not
 * have been acknowledged through the {@code sync} node, and must never show up again. At the end, after one
 * more transfer and an upload, every node is killed and a fresh three-node cluster with empty disks starts
 * from the bucket itself: it must hold every acknowledged transfer, {@code sync} or {@code async}.
 *
 * <p>Garbage collection runs all along ({@link #COMPACTION_MILLIS}): the nodes compact every second with no
 * history and 64 KiB segments, and their leader deletes released segments' chunks after a {@code gc-grace} of
 * 2 s. So the bucket alone holding every acknowledged transfer also proves that no chunk a root needed was
 * deleted; every round checks that the bucket's chunks cover every segment the root object lists as live, and
 * the run fails unless segments were released and chunks deleted while it ran.
 *
 * <p>{@code -Dprotobase.cloudcluster.soakRounds=N} runs N rounds instead of 30;
 * {@code -Dprotobase.cloudcluster.seed=S} replays the fault choices and transfers of seed S (not the
 * timing); {@code -Dprotobase.cloudcluster.faults=KILL_ALL,S3_OUTAGE,...} draws only from the faults
 * listed.
 */
@Tag("slow")
@ExpectedWarnings(loggers = "org.jclouds", messages = "^An error occurred storing the new blob")
class CloudClusterFaultTest {

    private static final Logger LOG = LoggerFactory.getLogger(CloudClusterFaultTest.class);
    private static final int ROUNDS = Integer.getInteger("protobase.cloudcluster.soakRounds", 30);
    private static final String FAULTS = System.getProperty("protobase.cloudcluster.faults", "");
    private static final int ACCOUNTS = 10;
    private static final long INITIAL_BALANCE = 1_000;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Transfers acknowledged before a fault and again during it, so that each fault lands under load. */
    private static final int PROGRESS = 3;
    /**
     * The nodes' snapshot interval ({@code -Dprotobase.cloudcluster.snapshotInterval}): 40 makes the nodes purge
     * their logs up to the bucket's mark, so that nodes behind start from the bucket. The default (the engine's)
     * keeps the logs: with 40, a leader isolated and healed was seen not to catch up within 90 s (seed
     * 2463915056292716958, see the report of the harness), not investigated yet.
     */
    private static final int SNAPSHOT_INTERVAL = Integer.getInteger("protobase.cloudcluster.snapshotInterval", 10_000);
    /**
     * The nodes' background compaction interval in milliseconds ({@code -Dprotobase.cloudcluster.compactionMillis},
     * 0 for none): with it the nodes keep no history and write 64 KiB segments ({@link CloudClusterNodeMain}), so
     * that segments are condemned, go, are released by the root object and their chunks deleted while the faults
     * run.
     */
    private static final long COMPACTION_MILLIS = Long.getLong("protobase.cloudcluster.compactionMillis", 1_000);
    /**
     * The nodes' {@code gc-grace}: a released segment's chunks are deleted this long after its release (without
     * compaction, the default of an hour, as before).
     */
    private static final Duration GC_GRACE = COMPACTION_MILLIS > 0 ? Duration.ofSeconds(2) : Duration.ofHours(1);
    /** The slot whose node commits with {@code durability=sync}. */
    private static final int SYNC_SLOT = 1;

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    private enum Fault {
        KILL_LEADER, KILL_FOLLOWER, PAUSE_LEADER, ISOLATE_LEADER, ISOLATE_FOLLOWER, DROP_LEADER_OUT, DROP_LEADER_IN,
        WIPE_FOLLOWER,
        /** Every node killed with SIGKILL at the same moment, the bucket checked alone, then all restarted. */
        KILL_ALL,
        /**
         * Every node killed at once and every directory deleted: the cluster starts again from the bucket alone
         * (a new generation), losing the {@code async} transfers not uploaded yet. Drawn only when listed in
         * {@code -Dprotobase.cloudcluster.faults}: in a full build with it once per run (round 22 of 30), the
         * restored cluster acknowledged no transfer for 90 s in round 28 (seed 2597545668722718155), not
         * reproduced since (docs/cloud.md, "Limits").
         */
        WIPE_ALL,
        /** S3 refuses every connection. */
        S3_OUTAGE,
        /**
         * A quarter of the requests to S3 get 500 or 503 replies. (With half of them, uploads once stopped
         * catching up as the backlog grew: a round then shipped every pending mark's chunks one at a time before
         * it published, and started over when one request failed.)
         */
        S3_ERRORS,
        /** Every request to S3 waits 0.2 to 2 s. */
        S3_SLOW,
        /** A quarter of the writes to S3 are applied and their reply is lost. */
        S3_LOST_REPLIES
    }

    /**
     * What S3 does during a third of the rounds of the other faults: no outage while nodes start from it, nor
     * while the links into the {@code sync} node fail as it leads (no transfer can be acknowledged then).
     */
    private static final List<S3FaultProxy.Mode> BACKGROUND = List.of(S3FaultProxy.Mode.ERRORS,
            S3FaultProxy.Mode.SLOW, S3FaultProxy.Mode.LOST_REPLIES, S3FaultProxy.Mode.OUTAGE);

    /** {@code LOST}: acknowledged (or unknown) but not in the bucket when every disk was lost. */
    private enum Outcome { INVOKED, ACKNOWLEDGED, FAILED, UNKNOWN, LOST }

    /** One transfer a client sent through a node ({@code sync}: of the {@code sync} node) and what it learnt. */
    private record Transfer(int from, int to, long amount, boolean sync, Outcome outcome) {

        Transfer with(Outcome o) {
            return new Transfer(from, to, amount, sync, o);
        }
    }

    /** What a node or the bucket holds: the balances and the transfer log ({@code id:from:to:moved}). */
    private record Bank(long[] balances, List<String> log) {
    }

    @TempDir
    Path work;

    private final long seed = Long.getLong("protobase.cloudcluster.seed", new Random().nextLong());
    private final String group = "cloudfault-" + UUID.randomUUID();
    private final String prefix = group + "/";
    private final Node[] nodes = new Node[4];
    private final Map<String, Transfer> history = new ConcurrentHashMap<>();
    private final AtomicInteger acknowledged = new AtomicInteger();
    private final NodeControl.Gate gate = new NodeControl.Gate();
    private final List<Thread> clients = new ArrayList<>();
    private final LinkProxy[][] links = new LinkProxy[4][4];
    private S3FaultProxy s3;
    private int highestId = 3;
    private volatile long faultEnded = System.nanoTime();
    private long slowestConvergence;
    /** The transfer log the bucket held when every node was last killed, checked against the next state. */
    private List<String> bucketLogToCheck;
    private long highestEpoch;
    /** Every chunk key and released segment the bucket showed so far: what garbage collection deleted since. */
    private final Set<String> chunksSeen = new HashSet<>();
    private final Set<Long> releasedSeen = new HashSet<>();
    private int liveChunkChecks;
    private final List<String> gcStatus = new ArrayList<>();
    private int bucketChecks;
    /**
     * Whether every disk was wiped once: the nodes then hold only what was written after the restore and read the
     * rest from the bucket, so no outage is injected any more (commits need what only the bucket holds).
     */
    private boolean restored;

    /** One of the three slots of the group, as in {@link ClusterFaultTest}. */
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
            String name = "node-" + slot + "-n" + peer.nodeId() + "-" + starts++;
            jvm = ChildJvm.start(work.resolve(name + ".out"), work.resolve(name + ".err"), "256m",
                    CloudClusterNodeMain.class, Integer.toString(peer.nodeId()), directory().toString(), group,
                    peers(), Integer.toString(controlPort), work.resolve("hosts-" + slot).toString(), "member",
                    s3.endpoint().toString(), S3.bucket(), prefix, slot == SYNC_SLOT ? "sync" : "async",
                    Integer.toString(SNAPSHOT_INTERVAL), Long.toString(COMPACTION_MILLIS),
                    Long.toString(GC_GRACE.toMillis()));
        }

        void awaitReady() {
            jvm.awaitReady(WAIT, "seed " + seed + ": node " + peer.nodeId(), Arrays.stream(nodes)
                    .filter(n -> n != null && n.jvm != null).map(n -> n.jvm).toList());
            assertThat(jvm.isAlive()).as("seed %d: node %d started; stderr: %s", seed, peer.nodeId(), jvm.errors())
                    .isTrue();
        }
    }

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
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void acknowledgedTransfersSurviveClusterAndS3FaultsAndKillingEveryNodeAndTheBucketAloneHoldsThem()
            throws Exception {
        LOG.info("cloud cluster fault harness: seed {}, {} rounds", seed, ROUNDS);
        Random rnd = new Random(seed);
        s3 = new S3FaultProxy(S3.server().endpoint());
        for (int id = 1; id <= 3; id++) {
            nodes[id] = new Node(id, new ClusterPeer(id, "node" + id, TestCluster.freePort()));
        }
        writeHostsFiles();
        for (int slot = 1; slot <= 3; slot++) {
            connectThroughProxies(slot);
        }
        startAll();
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
        List<Fault> chosen = FAULTS.isBlank()
                ? Arrays.stream(Fault.values()).filter(f -> f != Fault.WIPE_ALL).toList()
                : Arrays.stream(FAULTS.split(",")).map(String::trim).map(Fault::valueOf).toList();
        List<Fault> deck = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            if (deck.isEmpty()) {
                deck.addAll(chosen);
                Collections.shuffle(deck, rnd);
            }
            Fault fault = deck.remove(deck.size() - 1);
            S3FaultProxy.Mode background = rnd.nextInt(3) == 0 ? BACKGROUND.get(rnd.nextInt(BACKGROUND.size()))
                    : S3FaultProxy.Mode.PASS;
            if (background == S3FaultProxy.Mode.OUTAGE && (fault == Fault.WIPE_FOLLOWER || fault == Fault.WIPE_ALL
                    || restored)) {
                // a node that starts from the bucket cannot read what only the bucket holds: it waits for S3
                background = S3FaultProxy.Mode.ERRORS;
            }
            if (fault == Fault.S3_OUTAGE && restored) {
                // once every node started from the bucket, commits need S3 for what only it holds (docs/cloud.md)
                fault = Fault.S3_ERRORS;
            }
            faults.merge(fault, 1, Integer::sum);
            awaitProgress(round, "before the fault");
            int leader = awaitLeader(round);
            if (background == S3FaultProxy.Mode.OUTAGE && fault == Fault.DROP_LEADER_IN && leader == SYNC_SLOT) {
                // nothing can be acknowledged then, by design: the followers' requests vanish on their way to the
                // leader, which goes on replicating (so no election), and its own commits wait for the bucket
                background = S3FaultProxy.Mode.ERRORS;
            }
            int follower = (leader + rnd.nextInt(2)) % 3 + 1;
            boolean stall = rnd.nextBoolean();
            boolean s3Fault = fault.name().startsWith("S3_");
            LOG.info("seed {} round {}: {}{} (leader is node {})", seed, round, fault,
                    s3Fault || background == S3FaultProxy.Mode.PASS ? "" : " with S3 " + background, leader);
            if (!s3Fault) {
                s3.set(background);
            }
            try {
                switch (fault) {
                    case KILL_LEADER -> killAndRestart(round, leader);
                    case KILL_FOLLOWER -> killAndRestart(round, follower);
                    case WIPE_FOLLOWER -> wipeAndReplace(round, follower);
                    case PAUSE_LEADER -> pauseAndResume(round, leader);
                    case KILL_ALL -> killAllAndRestart(round, false);
                    case WIPE_ALL -> killAllAndRestart(round, true);
                    case S3_OUTAGE -> s3Fault(round, S3FaultProxy.Mode.OUTAGE);
                    case S3_ERRORS -> s3Fault(round, S3FaultProxy.Mode.ERRORS);
                    case S3_SLOW -> s3Fault(round, S3FaultProxy.Mode.SLOW);
                    case S3_LOST_REPLIES -> s3Fault(round, S3FaultProxy.Mode.LOST_REPLIES);
                    default -> partitionAndHeal(round, fault, leader, follower, stall);
                }
            } finally {
                s3.set(S3FaultProxy.Mode.PASS);
            }
            checkHistory(round);
            if (s3Fault || background != S3FaultProxy.Mode.PASS) {
                awaitUploadCatchesUp(round);
            }
        }

        Bank last = finalTransferUploadAndKillAll();
        Map<Outcome, Long> outcomes = history.values().stream()
                .collect(Collectors.groupingBy(Transfer::outcome, Collectors.counting()));
        LOG.info("seed {}: faults {}, outcomes {}, {} transfers in the log, S3 requests forwarded {}, faults injected "
                        + "{}, longest convergence after a fault {} ms", seed, faults, outcomes, last.log().size(),
                s3.forwarded(), s3.injected(), slowestConvergence);
        assertThat(outcomes.getOrDefault(Outcome.ACKNOWLEDGED, 0L)).as("seed %d: acknowledged transfers", seed)
                .isGreaterThanOrEqualTo(2L * PROGRESS * ROUNDS);
        garbageWasCollected();
        freshClusterFromTheBucketHoldsEveryAcknowledgedTransfer(last);
    }

    private void startAll() throws IOException {
        for (int id = 1; id <= 3; id++) {
            nodes[id].start();
        }
        for (int id = 1; id <= 3; id++) {
            nodes[id].awaitReady();
        }
        for (int id = 1; id <= 3; id++) {
            gate.setUp(id, true);
        }
    }

    // ------------------------------------------------------------------ faults

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
     * Kills every node with one SIGKILL signal, then checks what the bucket alone holds (on a copy, so that
     * the check does not take the prefix over): every transfer acknowledged through the {@code sync} node,
     * and a transfer log the restarted cluster's must begin with. Then restarts every node on its directory,
     * or, when {@code wipe}, deletes every directory first: the cluster starts from the bucket alone, and the
     * transfers not in it are lost (the harness checks they were not acknowledged with {@code sync} and never
     * show up again).
     */
    private void killAllAndRestart(int round, boolean wipe) throws Exception {
        for (int id = 1; id <= 3; id++) {
            gate.setUp(id, false);
        }
        List<String> command = new ArrayList<>(List.of("kill", "-KILL"));
        for (int id = 1; id <= 3; id++) {
            command.add(Long.toString(nodes[id].jvm.pid()));
        }
        Process kill = new ProcessBuilder(command).start();
        assertThat(kill.waitFor()).as("kill -KILL of every node").isZero();
        for (int id = 1; id <= 3; id++) {
            nodes[id].jvm.kill();
        }
        gate.quiesce();
        try {
            Bank bucket = bucketAlone();
            String where = "seed " + seed + " round " + round + ", the bucket alone after every node was killed";
            checkConsistent(where, bucket);
            Set<String> inBucket = ids(bucket.log());
            history.forEach((id, t) -> {
                if (t.sync() && t.outcome() == Outcome.ACKNOWLEDGED) {
                    assertThat(inBucket).as("%s: transfer %s acknowledged with durability=sync", where, id)
                            .contains(id);
                }
            });
            bucketLogToCheck = bucket.log();
            long lost = 0;
            if (wipe) {
                for (Map.Entry<String, Transfer> e : history.entrySet()) {
                    if (!inBucket.contains(e.getKey()) && e.getValue().outcome() != Outcome.FAILED) {
                        e.setValue(e.getValue().with(Outcome.LOST));
                        lost++;
                    }
                }
                for (int id = 1; id <= 3; id++) {
                    deleteRecursively(nodes[id].directory());
                }
                restored = true;
            }
            LOG.info("{}: {} transfers in the bucket{}", where, bucket.log().size(),
                    wipe ? "; every disk wiped, " + lost + " transfers not in the bucket are lost" : "");
        } finally {
            gate.resume();
        }
        if (s3.mode() == S3FaultProxy.Mode.OUTAGE) {
            // the nodes open on their directories while S3 is down (their Raft servers start); then it comes back,
            // so that a node that joined from the bucket can read what only the bucket holds
            for (int id = 1; id <= 3; id++) {
                nodes[id].start();
            }
            for (int id = 1; id <= 3; id++) {
                Node node = nodes[id];
                InetSocketAddress raftPort = new InetSocketAddress("127.1.0." + id, node.peer.port());
                node.jvm.awaitOrDeath(WAIT, Duration.ofMillis(50), () -> accepts(raftPort));
                assertThat(node.jvm.isAlive()).as("seed %d round %d: node %d opened while S3 is down; stderr: %s",
                        seed, round, node.peer.nodeId(), node.jvm.errors()).isTrue();
            }
            s3.set(S3FaultProxy.Mode.PASS);
            for (int id = 1; id <= 3; id++) {
                nodes[id].awaitReady();
            }
            for (int id = 1; id <= 3; id++) {
                gate.setUp(id, true);
            }
        } else {
            startAll();
        }
        faultEnded = System.nanoTime();
    }

    /**
     * Lets the S3 fault proxy misbehave until the clients commit again (the {@code async} nodes commit through
     * an outage; {@code sync} commits fail or wait meanwhile) and, unless S3 is down, until the bucket
     * takes another upload; then heals it.
     */
    private void s3Fault(int round, S3FaultProxy.Mode mode) {
        String before = bucketStatus(awaitLeader(round));
        s3.set(mode);
        try {
            awaitProgress(round, "with S3 " + mode);
            if (mode != S3FaultProxy.Mode.OUTAGE) {
                long uploaded = Long.parseLong(before.split(" ")[1]);
                String[] answers = new String[4];
                String what = "an upload with S3 " + mode + " (bucket at index " + uploaded + " before)";
                awaitOrExplain(round, what, () -> {
                    int leader = awaitLeader(round);
                    answers[leader] = bucketStatus(leader);
                    return Long.parseLong(answers[leader].split(" ")[1]) > uploaded;
                }, answers);
            }
        } finally {
            s3.set(S3FaultProxy.Mode.PASS);
            faultEnded = System.nanoTime();
        }
    }

    private String bucketStatus(int node) {
        try {
            String answer = ask(node, "bucket", Duration.ofSeconds(5));
            return answer.startsWith("bucket ") ? answer : "bucket -1";
        } catch (UncheckedIOException e) {
            return "bucket -1";
        }
    }

    /** With the clients stopped, the bucket takes everything the nodes hold (asked through each node in turn). */
    private void awaitUploadCatchesUp(int round) {
        gate.quiesce();
        try {
            int[] via = {0};
            String[] answers = new String[4];
            awaitOrExplain(round, "the upload caught up", () -> {
                via[0] = via[0] % 3 + 1;
                answers[via[0]] = askOrNote(via[0], "upload");
                return answers[via[0]].equals("ok");
            }, answers);
        } finally {
            gate.resume();
        }
    }

    private void wipeAndReplace(int round, int victim) throws Exception {
        Node node = nodes[victim];
        gate.setUp(victim, false);
        node.jvm.kill();
        deleteRecursively(node.directory());
        awaitProgress(round, "with node " + node.peer.nodeId() + " wiped");
        int lost = node.peer.nodeId();
        node.peer = new ClusterPeer(++highestId, node.peer.host(), TestCluster.freePort());
        connectThroughProxies(victim);
        node.start();
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

    private void writeHostsFiles() throws IOException {
        for (int a = 1; a <= 3; a++) {
            StringBuilder hosts = new StringBuilder();
            for (int b = 1; b <= 3; b++) {
                hosts.append(a == b ? "127.1.0." + b : "127.1." + a + "." + b).append(" node").append(b).append('\n');
            }
            Files.writeString(work.resolve("hosts-" + a), hosts);
        }
    }

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

    private void signal(int node, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(nodes[node].jvm.pid())).start();
        assertThat(kill.waitFor()).as("kill -%s of node %d", signal, node).isZero();
    }

    private void awaitProgress(int round, String when) {
        int from = acknowledged.get();
        await().atMost(WAIT).alias("seed " + seed + " round " + round + ": transfers acknowledged " + when)
                .until(() -> acknowledged.get() >= from + PROGRESS);
    }

    private int awaitLeader(int round) {
        int[] leader = {0};
        await().atMost(WAIT).alias("seed " + seed + " round " + round + ": a leader").until(() -> {
            long best = -1;
            for (int id = 1; id <= 3; id++) {
                String[] status = status(id).split(" ");
                if (status.length > 2 && status[1].equals("LEADER") && Long.parseLong(status[2]) > best) {
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

    // ------------------------------------------------------------------ checks

    /** Stops the clients, checks every node's state against the history and the bucket's root; resumes. */
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
            String[] fields = states[1].split(" ");
            Bank bank = new Bank(Arrays.stream(fields[2].split(",")).mapToLong(Long::parseLong).toArray(),
                    fields[3].equals("-") ? List.of() : List.of(fields[3].split(",")));
            String where = "seed " + seed + " round " + round;
            checkConsistent(where, bank);
            Set<String> applied = ids(bank.log());
            history.forEach((id, t) -> {
                if (t.outcome() == Outcome.ACKNOWLEDGED) {
                    assertThat(applied).as("%s: acknowledged transfer %s is in the log", where, id).contains(id);
                }
            });
            if (bucketLogToCheck != null) {
                assertThat(bank.log()).as("%s: the log begins with what the bucket held when every node was killed",
                        where).startsWith(bucketLogToCheck.toArray(String[]::new));
                bucketLogToCheck = null;
            }
            RootObject root = liveChunksAreInTheBucket(where);
            assertThat(root.epoch()).as("%s: the root object's epoch (writer %s) never goes back", where,
                    root.writer()).isGreaterThanOrEqualTo(highestEpoch);
            highestEpoch = root.epoch();
            LOG.info("{}: {} transfers in the log, states agree on {} {} ms after the fault ended; bucket epoch {} "
                    + "at index {}", where, bank.log().size(), fields[1], converged, root.epoch(), root.sequence());
        } finally {
            gate.resume();
        }
    }

    /**
     * Reads the root object and lists the bucket's chunks, and when no root object was written in between,
     * checks that the chunks cover every byte of every segment the root lists as live: garbage collection
     * deleted nothing a root still reaches. Notes the chunks and released segments seen, to count what the
     * collection deleted later ({@link #garbageWasCollected}).
     *
     * @return the root object read
     */
    private RootObject liveChunksAreInTheBucket(String where) {
        ObjectStore bucket = new S3ObjectStore(S3.client(), S3.bucket());
        byte[] before = bucket.get(prefix + "root").orElseThrow().data();
        List<ObjectStore.ObjectInfo> chunks = bucket.list(prefix + "segments/");
        byte[] after = bucket.get(prefix + "root").orElseThrow().data();
        RootObject root = RootObject.parse(before, prefix + "root");
        releasedSeen.addAll(root.released().keySet());
        Map<Long, NavigableMap<Long, Long>> ends = new HashMap<>();
        for (ObjectStore.ObjectInfo chunk : chunks) {
            chunksSeen.add(chunk.key());
            String[] parts = chunk.key().substring((prefix + "segments/").length()).split("/");
            long offset = Long.parseUnsignedLong(parts[1], 16);
            ends.computeIfAbsent(Long.parseUnsignedLong(parts[0], 16), id -> new TreeMap<>())
                    .merge(offset, offset + chunk.size(), Math::max);
        }
        if (Arrays.equals(before, after)) {
            // no root object released a segment while the bucket was listed, so none of these was deleted
            liveChunkChecks++;
            root.lengths().forEach((segment, length) -> {
                long covered = 0;
                for (Map.Entry<Long, Long> chunk : ends.getOrDefault(segment, new TreeMap<>()).entrySet()) {
                    if (chunk.getKey() > covered) {
                        break;
                    }
                    covered = Math.max(covered, chunk.getValue());
                }
                assertThat(covered).as("%s: bytes of live segment %x (length %d) the bucket's chunks hold", where,
                        segment, length).isGreaterThanOrEqualTo(length);
            });
        }
        return root;
    }

    /**
     * With compaction on, garbage collection did its work during the run: segments were released and chunks
     * deleted from the bucket (chunks seen in a listing and gone from the last one). Logs what each node's
     * process did since it last started, and the counts.
     */
    private void garbageWasCollected() {
        Set<String> now = new HashSet<>();
        new S3ObjectStore(S3.client(), S3.bucket()).list(prefix + "segments/").forEach(c -> now.add(c.key()));
        Set<String> deleted = new HashSet<>(chunksSeen);
        deleted.removeAll(now);
        Set<String> deletedSegments = deleted.stream().map(key -> key.substring(0, key.lastIndexOf('/')))
                .collect(Collectors.toSet());
        LOG.info("seed {}: garbage collection: {} segments released by root objects, {} chunks of {} segments "
                + "deleted from the bucket ({} chunks seen, {} now), live chunks checked {} times; the nodes' "
                + "processes (files deleted, segments and orphan chunks deleted as leader, pending, last failure) "
                + "{}", seed, releasedSeen.size(), deleted.size(), deletedSegments.size(), chunksSeen.size(),
                now.size(), liveChunkChecks, gcStatus);
        if (COMPACTION_MILLIS > 0) {
            assertThat(releasedSeen).as("seed %d: segments the root object released during the run", seed)
                    .isNotEmpty();
            assertThat(deleted).as("seed %d: chunks garbage collection deleted during the run", seed).isNotEmpty();
        }
    }

    /**
     * Checks a transfer log and balances against the history: each transfer once, invoked by a client, not
     * failed, moving what its client asked (up to the balance); the balances are the replayed log.
     */
    private void checkConsistent(String where, Bank bank) {
        Set<String> applied = new HashSet<>();
        long[] replayed = new long[ACCOUNTS];
        Arrays.fill(replayed, INITIAL_BALANCE);
        for (String entry : bank.log()) {
            String[] e = entry.split(":");
            String id = e[0];
            int from = Integer.parseInt(e[1]);
            int to = Integer.parseInt(e[2]);
            long moved = Long.parseLong(e[3]);
            assertThat(applied.add(id)).as("%s: transfer %s applied once", where, id).isTrue();
            Transfer sent = history.get(id);
            assertThat(sent).as("%s: transfer %s in the log was invoked by a client", where, id).isNotNull();
            assertThat(sent.outcome()).as("%s: outcome of transfer %s, which is in the log", where, id)
                    .isNotIn(Outcome.FAILED, Outcome.LOST);
            assertThat(new long[] {from, to, moved}).as("%s: log entry of transfer %s", where, id)
                    .containsExactly(sent.from(), sent.to(), Math.min(sent.amount(), replayed[from]));
            replayed[from] -= moved;
            replayed[to] += moved;
        }
        assertThat(bank.balances()).as("%s: balances are the replayed log", where).containsExactly(replayed);
    }

    private static Set<String> ids(List<String> log) {
        return log.stream().map(entry -> entry.substring(0, entry.indexOf(':'))).collect(Collectors.toSet());
    }

    /**
     * The bank as the bucket alone holds it: the prefix's objects copied into an in-memory bucket and opened by
     * a one-node cloud cluster with an empty directory (a restore takes the prefix over, which must not fence
     * the cluster under test).
     */
    private Bank bucketAlone() {
        ObjectStore real = new S3ObjectStore(S3.client(), S3.bucket());
        MockS3Client copy = new MockS3Client(S3.bucket());
        for (ObjectStore.ObjectInfo info : real.list(prefix)) {
            ObjectStore.StoredObject object = real.get(info.key()).orElseThrow();
            copy.putIfAbsent(info.key(), object.data(), object.metadata());
        }
        try (CloudTestCluster fresh = CloudTestCluster.start(1, group, work.resolve("bucket-alone-" + bucketChecks++),
                prefix, id -> copy, CloudFileStorage.Options.defaults())) {
            return read(fresh.node(1));
        }
    }

    private static Bank read(CloudClusterFileStorage node) {
        ObjectSpace space = new ObjectSpace(node);
        return space.getDatabase(CloudClusterNodeMain.DATABASE).read(tx -> {
            Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
            if (accounts == null) {
                long[] initial = new long[ACCOUNTS];
                Arrays.fill(initial, INITIAL_BALANCE);
                return new Bank(initial, List.of());
            }
            long[] balances = new long[(int) accounts.count()];
            for (int a = 0; a < balances.length; a++) {
                balances[a] = ((Number) accounts.getAt(a)).longValue();
            }
            ProtoList log = tx.getRootObject("log", ProtoList.class);
            return new Bank(balances, log.stream().map(String::valueOf).toList());
        });
    }

    /**
     * Stops the clients, sends one more transfer, checks the history, has the bucket take everything
     * ({@code upload}), and kills every node: what the bucket holds is then all there is.
     */
    private Bank finalTransferUploadAndKillAll() throws Exception {
        gate.stop();
        for (Thread client : clients) {
            client.join(WAIT.toMillis());
        }
        String id = "final";
        history.put(id, new Transfer(0, 1, 1, false, Outcome.INVOKED));
        assertThat(ask(awaitLeader(ROUNDS), "transfer " + id + " 0 1 1", WAIT))
                .as("seed %d: the final transfer, with every node up and every link healed", seed).isEqualTo("ok");
        history.put(id, history.get(id).with(Outcome.ACKNOWLEDGED));
        String state = ask(1, "state", WAIT);
        checkHistory(ROUNDS);
        for (int node = 1; node <= 3; node++) {
            gcStatus.add("node " + nodes[node].peer.nodeId() + ": " + askOrNote(node, "gc"));
        }
        assertThat(ask(2, "upload", WAIT)).as("seed %d: the final upload", seed).isEqualTo("ok");
        for (int node = 1; node <= 3; node++) {
            nodes[node].jvm.kill();
        }
        String[] fields = state.split(" ");
        return new Bank(Arrays.stream(fields[2].split(",")).mapToLong(Long::parseLong).toArray(),
                fields[3].equals("-") ? List.of() : List.of(fields[3].split(",")));
    }

    /** A fresh three-node cluster with empty disks on the bucket itself holds the cluster's last state. */
    private void freshClusterFromTheBucketHoldsEveryAcknowledgedTransfer(Bank last) {
        String where = "seed " + seed + ", a fresh cluster from the bucket";
        try (CloudTestCluster fresh = CloudTestCluster.start(3, group, work.resolve("fresh"), prefix,
                id -> new S3ObjectStore(S3.client(), S3.bucket()), CloudFileStorage.Options.defaults())) {
            for (CloudClusterFileStorage node : fresh.nodes()) {
                Bank bank = read(node);
                checkConsistent(where, bank);
                assertThat(bank.log()).as("%s: its transfer log", where).isEqualTo(last.log());
                Set<String> applied = ids(bank.log());
                history.forEach((id, t) -> {
                    if (t.outcome() == Outcome.ACKNOWLEDGED) {
                        assertThat(applied).as("%s: acknowledged transfer %s", where, id).contains(id);
                    }
                });
            }
        }
    }

    private void awaitOrExplain(int round, String what, Callable<Boolean> condition, String[] answers) {
        try {
            await().atMost(WAIT).until(condition);
        } catch (ConditionTimeoutException e) {
            StringBuilder nodesNow = new StringBuilder();
            for (int slot = 1; slot <= 3; slot++) {
                String answer = answers[slot] == null ? "none" : answers[slot];
                nodesNow.append("\n  node ").append(nodes[slot].peer.nodeId()).append(": ").append(status(slot))
                        .append(", ").append(bucketStatus(slot)).append("; last answer: ")
                        .append(answer, 0, Math.min(answer.length(), 300));
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

    private String askOrNote(int node, String request) {
        try {
            return ask(node, request, Duration.ofSeconds(3 * ClusterNodeMain.REQUEST.toSeconds()));
        } catch (UncheckedIOException e) {
            return "unreachable " + e.getCause();
        }
    }

    // ------------------------------------------------------------------ clients

    private void runClient(int node, Random rnd) {
        int sequence = 0;
        Socket socket = null;
        try {
            while (gate.enter(node)) {
                try {
                    if (socket == null) {
                        socket = connect(node, Duration.ofSeconds(3 * ClusterNodeMain.REQUEST.toSeconds()
                                + CloudClusterNodeMain.COMMIT_TIMEOUT.toSeconds()));
                    }
                    int from = rnd.nextInt(ACCOUNTS);
                    int to = (from + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                    Transfer transfer = new Transfer(from, to, 1 + rnd.nextInt(200), node == SYNC_SLOT,
                            Outcome.INVOKED);
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
