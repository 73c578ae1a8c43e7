package io.protobase.storage.cluster;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.raftlog.RaftLog;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Ratis's gRPC transport, with a log appender that can send a follower the entries from the very start of the
 * leader's log (docs/cluster.md, "How it works"). Ratis names it in its properties by class name
 * ({@code raft.rpc.type}) and creates it by reflection.
 *
 * <p>Apache Ratis 3.2.1's appender sends a follower the entries from its next index with the term and index of
 * the entry before, which it takes from the log or, when the log no longer holds it, from the state machine's
 * latest snapshot if that is exactly there; it asks the follower to install a snapshot only when the follower
 * needs entries <em>before</em> the log's start. A follower whose next index is the log's first index, while
 * the latest snapshot is at a later index, gets neither: the appender fails before it sends anything ("Previous
 * TermIndex not found"), and Ratis restarts it to notify the follower of a snapshot, which a cloud cluster's
 * follower that lacks no entry before the log answers by installing nothing, so it stays behind. That happens
 * after a purge that ended right before the follower's next index (purges end at segment boundaries: restarts
 * and new terms), or to a follower that holds everything up to a mark when the leader started from the bucket
 * at that mark and has taken a newer snapshot since. The appender here asks {@link SegmentReplica#termIndexAt}
 * for the missing term: the terms of the entries the node applied, or the snapshot metadata it keeps for the
 * entry before the log's start.
 */
final class StartAwareGrpc implements RpcType {

    /** For Ratis, which creates it by reflection from {@link #name()}. */
    StartAwareGrpc() {
    }

    @Override
    public String name() {
        return StartAwareGrpc.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    /** The gRPC factory of Ratis, handing out {@link Appender}s. */
    static final class Factory extends GrpcFactory {

        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            return new Appender(server, state, follower);
        }
    }

    /** Ratis's gRPC log appender, reading the log through {@link #withKnownTerms}. */
    static final class Appender extends GrpcLogAppender {

        private final RaftLog log;

        Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            super(server, state, follower);
            this.log = withKnownTerms(server.getRaftLog(), server);
        }

        @Override
        public RaftLog getRaftLog() {
            // null while the constructor of the superclass runs
            return log != null ? log : getServer().getRaftLog();
        }
    }

    /**
     * {@code log}, whose {@link RaftLog#getTermIndex(long)} answers from the state machine
     * ({@link SegmentReplica#termIndexAt}) where the log holds no entry.
     */
    static RaftLog withKnownTerms(RaftLog log, RaftServer.Division server) {
        return (RaftLog) Proxy.newProxyInstance(RaftLog.class.getClassLoader(), new Class<?>[] {RaftLog.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (result == null && args != null && args.length == 1 && method.getName().equals("getTermIndex")
                            && server.getStateMachine() instanceof SegmentReplica replica) {
                        return replica.termIndexAt((Long) args[0]);
                    }
                    return result;
                });
    }
}
