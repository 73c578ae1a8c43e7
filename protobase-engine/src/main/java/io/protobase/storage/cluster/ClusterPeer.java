package io.protobase.storage.cluster;

import java.util.Objects;

/**
 * One member of the Raft group: its node id and the address its Raft server listens on.
 *
 * <p>The node id names the node's segment namespace (the high bits of every segment id it writes),
 * so it must be unique for the life of the cluster: a node whose directory was lost rejoins under a
 * new id (see docs/cluster.md).
 *
 * @param nodeId the node's id, from 1 to {@value #MAX_NODE_ID}
 * @param host the host name or address the node's Raft server listens on
 * @param port its port, from 1 to 65535
 */
public record ClusterPeer(int nodeId, String host, int port) {

    /** The largest node id: node ids take the top 23 bits of a segment id. */
    public static final int MAX_NODE_ID = (1 << 23) - 1;

    public ClusterPeer {
        Objects.requireNonNull(host, "host");
        if (nodeId < 1 || nodeId > MAX_NODE_ID) {
            throw new IllegalArgumentException("node id must be between 1 and " + MAX_NODE_ID + ", got " + nodeId);
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("host of node " + nodeId + " must not be blank");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port of node " + nodeId + " must be between 1 and 65535, got " + port);
        }
    }

    /** The Raft peer id of this node: {@code n<nodeId>}. */
    String raftId() {
        return "n" + nodeId;
    }

    /** {@code host:port}. */
    String address() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return raftId() + "@" + address();
    }
}
