package io.protobase.storage.cluster;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.ProtoList;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The leader dies while another node commits through it: the commit goes on with the next leader,
 * well inside the request timeout, and takes effect once. The request timeout here is 30 s, far longer
 * than the few seconds a commit used to stall after a leader failure, so only a commit that follows
 * the new leader at once is acknowledged within the waits below.
 */
@Tag("slow")
class ClusterFileStorageLeaderLossTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Ratis's injection points in the follower's handling of the leader's log appends (3.2.1). */
    private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";
    private static final String APPENDED = APPEND_ENTRIES + ".logComplete";

    private TestCluster cluster;

    @AfterEach
    void stop() {
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        CodeInjectionForTesting.remove(APPENDED);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aCommitSentToACrashedLeaderIsAcknowledgedByTheNextLeaderWithinAFewElectionTimeouts() {
        cluster = TestCluster.start(3, o -> o.withRequestTimeout(REQUEST_TIMEOUT));
        ClusterFileStorage follower = followerOfASettledLeader();
        ClusterFileStorage leader = awaitLeader();
        for (int i = 0; i < 3; i++) {
            TestCluster.commit(follower, new byte[] {(byte) i});
        }

        cluster.crash(leader.options().nodeId());
        // the linearizable read finds the next leader; the follower's commits still go to the crashed one
        AtomPointer root = follower.readRoot();
        AtomPointer next = follower.push(new byte[] {42});
        CompletableFuture<Boolean> commit = CompletableFuture.supplyAsync(() -> {
            try (CommitLock lock = follower.acquireCommitLock(WAIT)) {
                return follower.compareAndSetRoot(lock, root, next);
            }
        });

        // a new leader already leads; before the fix the commit waited out an attempt timeout there (at least
        // one second) and then three seconds more while Ratis's client closed its channel: the bound is as
        // loose as that lets it be, so a loaded machine does not fail the fixed code
        await().atMost(Duration.ofMillis(3800)).until(commit::isDone);
        assertThat(commit.join()).as("acknowledged").isTrue();
        for (ClusterFileStorage node : cluster.running()) {
            assertThat(node.readRoot()).as("root on %s", node.describe()).isEqualTo(next);
        }
    }

    @Test
    void aCommitWhoseReplyWasLostWithTheLeaderTakesEffectOnceOnTheNextLeader() throws InterruptedException {
        cluster = TestCluster.start(3, o -> o.withRequestTimeout(REQUEST_TIMEOUT));
        // every node writes once through its object space, so the leader has settled when one is picked
        Map<ClusterFileStorage, Database> shops = new HashMap<>();
        for (ClusterFileStorage node : cluster.running()) {
            Database shop = new ObjectSpace(node).getDatabase("shop");
            shop.write(tx -> {
                if (tx.getRootObject("orders") == null) {
                    tx.setRootObject("orders", ProtoList.empty());
                }
                return null;
            });
            shops.put(node, shop);
        }
        ClusterFileStorage follower = otherThan(awaitLeader()).get(0);
        Database shop = shops.get(follower);

        // both followers write the leader's next entry to their logs, but their answers are held back until
        // the leader crashed: it cannot commit the entry, and the reply to the committing node is lost with it
        RaftPeerId client = RaftPeerId.valueOf(follower.options().self().raftId());
        AtomicReference<Object> leaderId = new AtomicReference<>();
        Set<Object> holding = ConcurrentHashMap.newKeySet();
        CountDownLatch logged = new CountDownLatch(2);
        CountDownLatch crashed = new CountDownLatch(1);
        CodeInjectionForTesting.put(APPEND_ENTRIES, (local, remote, args) -> {
            if (!client.equals(remote) && args[1] instanceof AppendEntriesRequestProto append
                    && append.getEntriesList().stream().anyMatch(LogEntryProto::hasStateMachineLogEntry)
                    && (leaderId.compareAndSet(null, remote) || leaderId.get().equals(remote))
                    && holding.add(local)) {
                logged.countDown();
            }
            return false;
        });
        CodeInjectionForTesting.put(APPENDED, (local, remote, args) -> {
            if (holding.contains(local)) {
                awaitUninterruptibly(crashed);
            }
            return false;
        });
        CompletableFuture<Void> order = CompletableFuture.runAsync(() -> shop.write(tx -> {
            tx.setRootObject("orders", tx.getRootObject("orders", ProtoList.class).appendLast("order-1"));
            return null;
        }));
        assertThat(logged.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("both followers logged the entry").isTrue();

        // the crashed leader stops leading before its Raft port closes; only then may the followers answer
        ClusterPeer leaderPeer = cluster.peer(Integer.parseInt(leaderId.get().toString().substring(1)));
        CompletableFuture<Void> crash = CompletableFuture.runAsync(() -> cluster.crash(leaderPeer.nodeId()));
        await().atMost(WAIT).until(() -> refusesConnections(leaderPeer));
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        CodeInjectionForTesting.remove(APPENDED);
        crashed.countDown();
        crash.join();

        await().atMost(WAIT).until(order::isDone);
        order.join();
        for (ClusterFileStorage node : cluster.running()) {
            List<Object> orders = new ArrayList<>();
            shops.get(node).read(tx -> {
                tx.getRootObject("orders", ProtoList.class).stream().forEach(orders::add);
                return null;
            });
            assertThat(orders).as("orders on %s", node.describe()).containsExactly("order-1");
        }
    }

    private static boolean refusesConnections(ClusterPeer peer) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(peer.host(), peer.port()), 1000);
            return false;
        } catch (IOException refused) {
            return true;
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A node that follows the leader, once every node committed a bare atom through it: the first
     * election may be followed by another while the group starts.
     */
    private ClusterFileStorage followerOfASettledLeader() {
        for (ClusterFileStorage node : cluster.running()) {
            TestCluster.commit(node, new byte[] {1});
        }
        return otherThan(awaitLeader()).get(0);
    }

    private ClusterFileStorage awaitLeader() {
        return await().atMost(WAIT).until(() -> cluster.leader(), l -> l != null);
    }

    private List<ClusterFileStorage> otherThan(ClusterFileStorage node) {
        return cluster.running().stream().filter(n -> n != node).toList();
    }
}
