package io.protobase.storage.cluster;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Asks the other peers of a node that never ran whether the group already runs without it. Such a node
 * must not start as a member of the configuration it was given: it would stand for election before the
 * leader adds it, and Ratis's leader answers a candidate outside its committed configuration with an
 * order to shut down, which ends the node's Raft server for good. Started outside the configuration
 * instead (as a learner), it waits until the leader adds it.
 */
final class RunningGroupProbe {

    private static final TimeDuration ATTEMPT = TimeDuration.valueOf(2, TimeUnit.SECONDS);

    private RunningGroupProbe() {
    }

    /**
     * The voters of the running group {@code groupId} as the first of {@code others} that has it reports
     * them, when {@code self} is not among them; empty when no peer answers with the group (it is being
     * formed) or the group counts {@code self} in.
     */
    static Optional<List<RaftPeer>> runningWithout(RaftPeerId self, RaftGroupId groupId, List<ClusterPeer> others,
            RaftProperties nodeProperties, Parameters parameters) {
        RaftProperties properties = new RaftProperties(nodeProperties);
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties, ATTEMPT);
        for (ClusterPeer other : others) {
            if (!ClusterFileStorage.answers(other)) {
                continue;
            }
            RaftPeer peer = ClusterFileStorage.raftPeer(other);
            try (RaftClient client = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
                    .setRaftGroup(RaftGroup.valueOf(groupId, peer)).setRetryPolicy(RetryPolicies.noRetry())
                    .build()) {
                GroupInfoReply reply = client.getGroupManagementApi(peer.getId()).info(groupId);
                List<RaftPeer> voters = List.copyOf(reply.getGroup().getPeers());
                if (voters.isEmpty()) {
                    continue; // a learner itself, not added yet
                }
                return voters.stream().anyMatch(p -> p.getId().equals(self)) ? Optional.empty()
                        : Optional.of(voters);
            } catch (IOException | RuntimeException e) {
                // not running the group (yet), or not answering: ask the next
            }
        }
        return Optional.empty();
    }
}
