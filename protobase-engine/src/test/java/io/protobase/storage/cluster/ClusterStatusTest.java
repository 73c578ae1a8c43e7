package io.protobase.storage.cluster;

import io.protobase.StorageClosedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What {@link ClusterFileStorage#status()} tells a health check and the meters about the group. */
class ClusterStatusTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyNodeReportsOneLeaderTheMembersAndAQuorumAndTheCommittingNodeItsReplicatedEntries() {
        cluster = TestCluster.start(3);
        TestCluster.commit(cluster.node(2), new byte[] {(byte) 1});

        // one look at every node that finds them agreeing on one leader (an election under load may move it
        // between two looks, so the leader is taken from the agreeing look, not named before it)
        List<ClusterFileStorage> nodes = cluster.running();
        List<ClusterStatus> statuses = await().atMost(WAIT).until(
                () -> nodes.stream().map(ClusterFileStorage::status).toList(),
                all -> all.stream().allMatch(s -> s.quorum() && s.lag() == 0 && s.leader().isPresent())
                        && all.stream().map(ClusterStatus::leader).distinct().count() == 1);
        int leaderId = statuses.get(0).leader().getAsInt();
        for (int i = 0; i < nodes.size(); i++) {
            ClusterFileStorage node = nodes.get(i);
            ClusterStatus status = statuses.get(i);
            assertThat(status.self()).isEqualTo(node.options().self());
            assertThat(status.role()).isEqualTo(node.options().nodeId() == leaderId ? ClusterStatus.Role.LEADER
                    : ClusterStatus.Role.FOLLOWER);
            assertThat(status.term()).isPositive();
            assertThat(status.appliedIndex()).isPositive().isLessThanOrEqualTo(status.commitIndex());
            assertThat(status.members()).extracting(ClusterStatus.Member::peer)
                    .containsExactlyElementsOf(cluster.peers());
            assertThat(status.members()).allMatch(ClusterStatus.Member::voting);
            assertThat(status.elections()).isPositive();
        }
        ClusterStatus committer = cluster.node(2).status();
        assertThat(committer.replicatedEntries()).isPositive();
        assertThat(committer.replicationTime()).isPositive();
        ClusterStatus leaderStatus = statuses.stream().filter(st -> st.self().nodeId() == leaderId).findFirst()
                .orElseThrow();
        assertThat(leaderStatus.members()).filteredOn(m -> m.peer().nodeId() != leaderId)
                .allMatch(m -> m.lastContact().isPresent());
    }

    @Test
    void aNodeLeftWithoutAMajorityReportsNoQuorumAndGetsItBackWhenAPeerReturns() {
        cluster = TestCluster.start(3);
        TestCluster.commit(cluster.node(1), new byte[] {(byte) 1});
        ClusterFileStorage alone = cluster.node(1);
        await().atMost(WAIT).until(() -> alone.status().quorum());

        cluster.stop(2);
        cluster.stop(3);
        ClusterStatus lost = await().atMost(WAIT).until(alone::status, s -> !s.quorum());
        assertThat(lost.members()).hasSize(3);

        cluster.restart(3);
        ClusterStatus back = await().atMost(WAIT).until(alone::status, ClusterStatus::quorum);
        assertThat(back.leader()).isPresent();
        assertThat(back.role()).isIn(ClusterStatus.Role.LEADER, ClusterStatus.Role.FOLLOWER);
    }

    @Test
    void aClosedNodeRefusesToReportAStatus() {
        cluster = TestCluster.start(1);
        ClusterFileStorage node = cluster.node(1);
        cluster.stop(1);
        assertThatThrownBy(node::status).isInstanceOf(StorageClosedException.class)
                .hasMessageContaining("is closed");
    }
}
