package io.protobase.storage.cluster;

import java.util.EnumSet;

import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * Hands this node's Raft server one incoming append-entries message at a time, whichever of the leader's
 * streams it came on.
 *
 * <p>Ratis 3.2.1 chains a follower's log appends in {@code RaftServerImpl.appendLog} as
 * {@code appendLogFuture.updateAndGet(f -> f.thenComposeAsync(append))}, outside of any lock. When two
 * append-entries messages that carry entries are handled at once (the leader's stream before and after a
 * reset, which link errors cause), {@code updateAndGet} calls that function
 * again for the thread that lost the race, and the dependant its first call hooked on the old future is
 * not taken back: that append runs beside the chained one, out of order. Ratis's log admits one writer
 * at a time, so one of the two fails ({@code IllegalStateException: ... Already running a method by
 * ...}), and a failed link fails every link after it: the follower appends nothing more until its
 * server restarts, while the leader keeps committing with the other nodes. The cloud cluster's fault
 * harness met it once (a follower stayed 19 entries behind for good after a deposed leader rejoined).
 *
 * <p>The message's handling up to that chaining is synchronous in the gRPC thread (the server protocol
 * service calls {@code appendEntriesAsync} from {@code onNext}, and the server goes on to the chaining
 * before it returns a future), so holding one lock per node around each message closes the race. It
 * costs little: the handling is short, the appends themselves run later in the chain, and messages on
 * one stream were already handled one at a time.
 */
final class OneAppendAtATime implements GrpcServices.Customizer, ServerInterceptor {
    private static final String APPEND_ENTRIES =
            RaftServerProtocolServiceGrpc.getAppendEntriesMethod().getFullMethodName();

    private final Object lock = new Object();

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        return types.contains(GrpcServices.Type.SERVER) ? builder.intercept(this) : builder;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        if (!APPEND_ENTRIES.equals(call.getMethodDescriptor().getFullMethodName())) {
            return listener;
        }
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                synchronized (lock) {
                    super.onMessage(message);
                }
            }
        };
    }
}
