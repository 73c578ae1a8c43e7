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

    /**
     * Reads a member written as {@code <nodeId>@<host>:<port>}, e.g. {@code 2@10.0.0.12:9871} (the
     * form configuration lists members in; {@link #toString()}'s {@code n2@10.0.0.12:9871} is read
     * too). An IPv6 address goes in brackets: {@code 3@[fd00::3]:9871}.
     *
     * @param text the member as text
     * @return the member
     * @throws IllegalArgumentException when {@code text} is not of that form or names an impossible
     *                                  node id or port; the message says which part is wrong
     */
    public static ClusterPeer valueOf(String text) {
        String trimmed = text.trim();
        int at = trimmed.indexOf('@');
        int colon = trimmed.lastIndexOf(':');
        if (at < 1 || colon < at + 2 || colon == trimmed.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not a cluster member: write it as"
                    + " <node id>@<host>:<port>, e.g. 2@10.0.0.12:9871");
        }
        String id = trimmed.substring(trimmed.charAt(0) == 'n' ? 1 : 0, at);
        String host = trimmed.substring(at + 1, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int nodeId;
        int port;
        try {
            nodeId = Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a cluster member: its node id '" + id
                    + "' is not a number; write it as <node id>@<host>:<port>, e.g. 2@10.0.0.12:9871", e);
        }
        try {
            port = Integer.parseInt(trimmed.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a cluster member: its port '"
                    + trimmed.substring(colon + 1) + "' is not a number; write it as <node id>@<host>:<port>,"
                    + " e.g. 2@10.0.0.12:9871", e);
        }
        return new ClusterPeer(nodeId, host, port);
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
