package io.protobase.benchmarks;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling of a replicated commit on this machine: three bare Apache Ratis servers on 127.0.0.1 in this JVM, with
 * the cluster storage's election timeouts and Ratis's defaults otherwise (every server fsyncs its log for every
 * batch of entries, and appends the metadata entry that carries the commit index to the followers, as the cluster
 * storage's nodes do), and a state machine that does nothing but count. One {@link #commit} sends one entry of
 * {@code payload} bytes through the client of a node and waits until that node applied it, which is what a cluster
 * storage commit waits for, without the engine's work (transactions, encoding, the compare-and-set of the root,
 * segments). {@link ClusterCommitBenchmark} runs it beside the cluster storage ({@code storage=raft}).
 */
final class RaftCeiling implements AutoCloseable {

    /** Counts the applied entries and lets a caller wait for one. */
    private static final class Counting extends BaseStateMachine {
        private final Object applied = new Object();
        private long appliedIndex;

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            LogEntryProto e = trx.getLogEntry();
            updateLastAppliedTermIndex(e.getTerm(), e.getIndex());
            synchronized (applied) {
                appliedIndex = e.getIndex();
                applied.notifyAll();
            }
            return CompletableFuture.completedFuture(Message.EMPTY);
        }

        void await(long index) throws InterruptedException {
            synchronized (applied) {
                while (appliedIndex < index) {
                    applied.wait();
                }
            }
        }
    }

    private final List<RaftServer> servers = new ArrayList<>();
    private final List<Counting> machines = new ArrayList<>();
    private final List<RaftClient> clients = new ArrayList<>();
    private final RaftGroupId groupId = RaftGroupId.randomId();
    private final Message message;

    RaftCeiling(Path dir, Duration election, int payload) {
        List<RaftPeer> peers = new ArrayList<>();
        for (int i = 1; i <= ClusterNodes.COUNT; i++) {
            peers.add(RaftPeer.newBuilder().setId("n" + i).setAddress("127.0.0.1:" + ClusterNodes.freePort()).build());
        }
        RaftGroup group = RaftGroup.valueOf(groupId, peers);
        byte[] bytes = new byte[payload];
        new Random(1).nextBytes(bytes);
        message = Message.valueOf(ByteString.copyFrom(bytes));
        try {
            for (int i = 0; i < ClusterNodes.COUNT; i++) {
                RaftProperties p = new RaftProperties();
                RaftServerConfigKeys.setStorageDir(p, List.of(dir.resolve("n" + (i + 1)).toFile()));
                GrpcConfigKeys.Server.setPort(p, Integer.parseInt(peers.get(i).getAddress().split(":")[1]));
                long ms = election.toMillis();
                RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS));
                RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(ms * 3 / 2, TimeUnit.MILLISECONDS));
                Counting machine = new Counting();
                RaftServer server = RaftServer.newBuilder().setServerId(peers.get(i).getId()).setGroup(group)
                        .setProperties(p).setStateMachine(machine).setOption(RaftStorage.StartupOption.FORMAT).build();
                servers.add(server);
                machines.add(machine);
                server.start();
                clients.add(RaftClient.newBuilder().setProperties(new RaftProperties()).setRaftGroup(group).build());
            }
            commit(1);
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one entry through node {@code node} (1 to 3) and waits until that node applied it. */
    void commit(int node) {
        try {
            RaftClientReply reply = clients.get(node - 1).io().send(message);
            if (!reply.isSuccess()) {
                throw new IllegalStateException("Raft refused an entry: " + reply.getException());
            }
            machines.get(node - 1).await(reply.getLogIndex());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The node that leads now, 1 to 3, or 0 while there is none. */
    int leader() {
        for (int i = 0; i < servers.size(); i++) {
            try {
                if (servers.get(i).getDivision(groupId).getInfo().isLeader()) {
                    return i + 1;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return 0;
    }

    /** Node 1's commit index (entries so far, the metadata entries included). */
    long commitIndex() {
        try {
            return servers.get(0).getDivision(groupId).getRaftLog().getLastCommittedIndex();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (RaftClient c : clients) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                FileStores.log("closing a Raft client: %s", e);
            }
        }
        for (RaftServer s : servers) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                FileStores.log("closing a Raft server: %s", e);
            }
        }
    }
}
