package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.file.FileBlockProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node opened as a learner of a running group ({@link ClusterFileStorage#learner}): it neither votes
 * nor counts until the leader adds it, and once added it is a full voter, one the group needs to elect
 * a leader.
 */
class ClusterLearnerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /**
     * Every node's election timeout: a group of four with one node stopped needs all three others to answer
     * the leader in time, which a loaded build does not do within the short one of the test clusters.
     */
    private static final Duration ELECTION = TestCluster.STEADY_ELECTION;

    private TestCluster cluster;
    private ClusterFileStorage learner;

    @AfterEach
    void stop() {
        if (learner != null) {
            learner.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aLearnerStaysOutsideTheGroupUntilAddedThenVotesForTheNextLeader() {
        cluster = TestCluster.start(3, o -> o.withElectionTimeout(ELECTION));
        AtomPointer before = TestCluster.commit(cluster.node(1), "before".getBytes(StandardCharsets.UTF_8));
        List<ClusterPeer> voters = cluster.peers();
        List<ClusterPeer> peers = new ArrayList<>(voters);
        peers.add(new ClusterPeer(4, "127.0.0.1", TestCluster.freePort()));
        learner = ClusterFileStorage.learner(new FileBlockProvider(cluster.directory(4)),
                ClusterFileStorage.Options.of(4, peers).withGroupName(cluster.node(1).options().groupName())
                        .withElectionTimeout(ELECTION).withRequestTimeout(Duration.ofSeconds(15)));

        assertThat(learner.status().role()).isEqualTo(ClusterStatus.Role.LISTENER);
        assertThat(cluster.node(2).status().members()).extracting(m -> m.peer().nodeId()).containsExactly(1, 2, 3);

        await().atMost(WAIT).until(() -> cluster.leader() != null);
        cluster.leader().changeMembers(voters, List.of(), peers, List.of());

        await().atMost(WAIT).until(() -> learner.status().role() == ClusterStatus.Role.FOLLOWER);
        assertThat(new String(learner.read(before), StandardCharsets.UTF_8)).isEqualTo("before");
        // three of four voters left: no leader without the former learner's vote
        cluster.stop(cluster.leader().options().nodeId());
        AtomPointer after = TestCluster.commit(learner, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.running().get(0).readRoot()).isEqualTo(after);
        assertThat(learner.status().members()).filteredOn(ClusterStatus.Member::voting)
                .extracting(m -> m.peer().nodeId()).containsExactly(1, 2, 3, 4);
    }

    /**
     * A node opened as a member ({@code new ClusterFileStorage}) with the group's voters and itself as its
     * peers, while the group runs without it, must not stand for election: the leader would order it to shut
     * down. It starts as a learner instead, stays one for many election timeouts, and joins when added.
     */
    @Test
    void aNewNodeOpenedAsAMemberOfARunningGroupWaitsAsALearnerUntilAdded() {
        cluster = TestCluster.start(3, o -> o.withElectionTimeout(ELECTION));
        AtomPointer before = TestCluster.commit(cluster.node(1), "before".getBytes(StandardCharsets.UTF_8));
        List<ClusterPeer> peers = new ArrayList<>(cluster.peers());
        peers.add(new ClusterPeer(4, "127.0.0.1", TestCluster.freePort()));
        learner = new ClusterFileStorage(new FileBlockProvider(cluster.directory(4)),
                ClusterFileStorage.Options.of(4, peers).withGroupName(cluster.node(1).options().groupName())
                        .withElectionTimeout(ELECTION).withRequestTimeout(Duration.ofSeconds(15)));

        // ten election timeouts and more: still a learner, still running
        await().during(ELECTION.multipliedBy(10)).atMost(WAIT)
                .until(() -> learner.status().role() == ClusterStatus.Role.LISTENER);
        cluster.node(1).reconfigure(peers);

        await().atMost(WAIT).until(() -> learner.status().role() == ClusterStatus.Role.FOLLOWER);
        assertThat(new String(learner.read(before), StandardCharsets.UTF_8)).isEqualTo("before");
        AtomPointer after = TestCluster.commit(learner, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.node(2).readRoot()).isEqualTo(after);
    }
}
