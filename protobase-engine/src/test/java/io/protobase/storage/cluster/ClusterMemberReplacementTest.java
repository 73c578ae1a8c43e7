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
 * A node keeps committing and reading while every member it was started with is replaced: its Raft
 * clients follow the group's configuration instead of the peers it was given.
 */
class ClusterMemberReplacementTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestCluster cluster;
    private final List<ClusterFileStorage> opened = new ArrayList<>();
    private String group;

    @AfterEach
    void stop() {
        opened.forEach(ClusterFileStorage::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aLearnerReadsAndCommitsAfterEveryPeerItWasStartedWithWasReplaced() {
        cluster = TestCluster.start(3);
        group = cluster.node(1).options().groupName();
        AtomPointer before = TestCluster.commit(cluster.node(1), "before".getBytes(StandardCharsets.UTF_8));
        ClusterPeer p1 = cluster.peer(1);
        ClusterPeer p2 = cluster.peer(2);
        ClusterPeer p4 = new ClusterPeer(4, "127.0.0.1", TestCluster.freePort());
        // node 4 joins as a learner knowing nodes 1, 2 and 3, and replaces node 3
        ClusterFileStorage learner = open(4, List.of(p1, p2, cluster.peer(3), p4), true);
        cluster.stop(3);
        cluster.node(1).reconfigure(List.of(p1, p2, p4));
        await().atMost(WAIT).until(() -> learner.status().role() == ClusterStatus.Role.FOLLOWER);

        // then nodes 1 and 2 are replaced by nodes 5 and 6: none of the peers node 4 was given is left
        ClusterPeer p5 = new ClusterPeer(5, "127.0.0.1", TestCluster.freePort());
        cluster.stop(1);
        ClusterFileStorage n5 = open(5, List.of(p2, p4, p5), false);
        cluster.node(2).reconfigure(List.of(p2, p4, p5));
        ClusterPeer p6 = new ClusterPeer(6, "127.0.0.1", TestCluster.freePort());
        cluster.stop(2);
        open(6, List.of(p4, p5, p6), false);
        n5.reconfigure(List.of(p4, p5, p6));

        assertThat(learner.readRoot()).isEqualTo(before);
        AtomPointer after = TestCluster.commit(learner, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(n5.readRoot()).isEqualTo(after);
    }

    private ClusterFileStorage open(int nodeId, List<ClusterPeer> peers, boolean learner) {
        ClusterFileStorage.Options options = ClusterFileStorage.Options.of(nodeId, peers).withGroupName(group)
                .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(15));
        FileBlockProvider directory = new FileBlockProvider(cluster.directory(nodeId));
        ClusterFileStorage node = learner ? ClusterFileStorage.learner(directory, options)
                : new ClusterFileStorage(directory, options);
        opened.add(node);
        return node;
    }
}
