package io.protobase.storage.cluster;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The gRPC interceptor that hands a node's Raft server one append-entries message at a time, on a real
 * gRPC server and channel over 127.0.0.1. The service behind it stands in for Ratis's server protocol
 * service (which cannot be made to hold a message on cue); the cluster suites run it in front of Ratis.
 */
class OneAppendAtATimeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<Long> entered = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstInside = new CountDownLatch(1);
    private final CountDownLatch releaseFirst = new CountDownLatch(1);
    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        releaseFirst.countDown();
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMessageOnAnotherStreamWaitsUntilTheServerReturnsFromTheFirstWhileOtherCallsGoThrough() throws Exception {
        server = new OneAppendAtATime()
                .customize(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                        EnumSet.of(GrpcServices.Type.SERVER))
                .addService(new HoldingService()).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        var stub = RaftServerProtocolServiceGrpc.newStub(channel);

        StreamObserver<AppendEntriesRequestProto> oldStream = stub.appendEntries(new Ignored<>());
        StreamObserver<AppendEntriesRequestProto> newStream = stub.appendEntries(new Ignored<>());
        oldStream.onNext(append(1));
        assertThat(firstInside.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("first message handled").isTrue();
        newStream.onNext(append(2));

        // the second message's gRPC thread waits at the interceptor's lock, not inside the service
        await().atMost(WAIT).until(OneAppendAtATimeTest::aThreadWaitsAtTheLock);
        assertThat(entered).containsExactly(1L);
        // a vote is not an append: it is answered meanwhile
        var vote = RaftServerProtocolServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .requestVote(RequestVoteRequestProto.getDefaultInstance());
        assertThat(vote.getShouldShutdown()).isTrue();

        releaseFirst.countDown();
        await().atMost(WAIT).until(() -> entered.size() == 2);
        assertThat(entered).containsExactly(1L, 2L);
    }

    private static boolean aThreadWaitsAtTheLock() {
        ThreadInfo[] threads = ManagementFactory.getThreadMXBean().dumpAllThreads(false, false);
        return Arrays.stream(threads).anyMatch(t -> t.getThreadState() == Thread.State.BLOCKED
                && Arrays.stream(t.getStackTrace()).anyMatch(
                        f -> f.getClassName().startsWith(OneAppendAtATime.class.getName())
                                && f.getMethodName().equals("onMessage")));
    }

    private static AppendEntriesRequestProto append(long callId) {
        return AppendEntriesRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.newBuilder().setCallId(callId)).build();
    }

    /** Holds the first append message until released; answers votes at once. */
    private final class HoldingService extends RaftServerProtocolServiceGrpc.RaftServerProtocolServiceImplBase {
        @Override
        public StreamObserver<AppendEntriesRequestProto> appendEntries(
                StreamObserver<AppendEntriesReplyProto> replies) {
            return new StreamObserver<>() {
                @Override
                public void onNext(AppendEntriesRequestProto request) {
                    long callId = request.getServerRequest().getCallId();
                    entered.add(callId);
                    if (callId == 1) {
                        firstInside.countDown();
                        try {
                            releaseFirst.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    replies.onNext(AppendEntriesReplyProto.getDefaultInstance());
                }

                @Override
                public void onError(Throwable t) {
                    // the client went away at the end of the test
                }

                @Override
                public void onCompleted() {
                    replies.onCompleted();
                }
            };
        }

        @Override
        public void requestVote(RequestVoteRequestProto request, StreamObserver<RequestVoteReplyProto> reply) {
            reply.onNext(RequestVoteReplyProto.newBuilder().setShouldShutdown(true).build());
            reply.onCompleted();
        }
    }

    private static final class Ignored<T> implements StreamObserver<T> {
        @Override
        public void onNext(T value) {
            // replies are not looked at
        }

        @Override
        public void onError(Throwable t) {
            // the server went away at the end of the test
        }

        @Override
        public void onCompleted() {
            // nothing to do
        }
    }
}
