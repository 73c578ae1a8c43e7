package io.protobase.storage.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What one cluster node knows about the Raft group at one moment: its role and term, how far its log
 * is committed and applied, the members with the commit index it last heard of each, and whether it
 * is in contact with a majority. For health checks and meters; a snapshot, not kept up to date.
 *
 * <p>{@link #quorum()} is this node's view, from the last contact of the members, not a round trip:
 * a leader counts itself and the voting followers that answered within two election timeouts (the
 * longest a follower waits before it elects another leader); a follower has a quorum while its
 * leader's heartbeats arrive within that time; a candidate has none. So without a majority it turns
 * {@code false} within about two election timeouts, and back once a leader leads a majority again.
 *
 * @param self this node
 * @param role this node's Raft role now
 * @param term the Raft term this node is in; it grows by at least one with every election
 * @param leader the node id of the leader this node follows or is, empty while none is known
 * @param commitIndex the index of the last log entry this node knows to be committed
 * @param appliedIndex the index of the last log entry this node applied to its copy of the data
 * @param lag log entries this node is behind the most advanced member it knows of (its applied index
 *            against the largest commit index of any member); 0 when it is up to date
 * @param members the members of the group as this node's configuration lists them
 * @param quorum whether this node is in contact with a majority of the voting members, as above
 * @param elections how often this node saw the leader change since it started (each after an election)
 * @param replicatedEntries log entries of this node committed and applied since it started
 * @param replicationTime the total time those entries took from submission until this node applied
 *                        them (a majority had them in their logs by then)
 */
public record ClusterStatus(ClusterPeer self, Role role, long term, OptionalInt leader, long commitIndex,
        long appliedIndex, long lag, List<Member> members, boolean quorum, long elections, long replicatedEntries,
        Duration replicationTime) {

    public ClusterStatus {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(leader, "leader");
        Objects.requireNonNull(replicationTime, "replicationTime");
        members = List.copyOf(members);
    }

    /** The Raft role of a node. */
    public enum Role {
        /** Orders the log: every commit of the group goes through it. */
        LEADER,
        /** Votes and replicates the leader's log. */
        FOLLOWER,
        /** Asks for votes: no leader is known, so nothing can be committed through this node now. */
        CANDIDATE,
        /** Replicates the log without voting (a node being added before it is caught up). */
        LISTENER
    }

    /**
     * One member of the group as a node sees it.
     *
     * @param peer the member's node id and Raft address
     * @param voting whether it votes (counts for the majority); listeners do not
     * @param commitIndex the member's commit index as this node last heard it, -1 when it heard none
     * @param lastContact on a leader, how long ago this member last answered it; empty on other roles
     *                    and for the leader itself
     */
    public record Member(ClusterPeer peer, boolean voting, long commitIndex, Optional<Duration> lastContact) {

        public Member {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(lastContact, "lastContact");
        }
    }
}
