package io.protobase.storage.cluster;

/** What {@link ClusterFileStorage#readRoot()} waits for before it answers. */
public enum ReadConsistency {

    /**
     * A Raft read index first: the root returned is at least as new as every commit acknowledged (on
     * any node) before the call began, at the cost of a round trip to the leader.
     */
    LINEARIZABLE,

    /**
     * The root this node has applied: no round trip, but it may lag behind commits other nodes have
     * already acknowledged (never behind this node's own).
     */
    LOCAL
}
