package io.protobase.storage.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.file.FileBlockProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Nodes that find each other through real Hazelcast members on 127.0.0.1 (TCP-IP join, no
 * multicast) and form their Raft group from what they published; the explicit removal of a node
 * that left; the error when the initial members do not all come.
 */
@Tag("slow")
class HazelcastMembershipTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String clusterName = "protobase-test-" + UUID.randomUUID();
    private final String group = "group-" + UUID.randomUUID();
    private final Path base = Path.of("target", "test-storage", "hazelcast-" + UUID.randomUUID());
    private final List<Integer> hazelcastPorts = new ArrayList<>();
    private final List<HazelcastInstance> hazelcasts = new ArrayList<>();
    private final Map<Integer, HazelcastMembership> memberships = new LinkedHashMap<>();
    private final Map<Integer, ClusterFileStorage> nodes = new LinkedHashMap<>();

    @AfterEach
    void stop() {
        memberships.values().forEach(HazelcastMembership::close);
        nodes.values().forEach(ClusterFileStorage::close);
        hazelcasts.forEach(HazelcastInstance::shutdown);
    }

    /** Starts {@code count} Hazelcast members that list each other for a TCP-IP join. */
    private void startHazelcast(int count) {
        for (int i = 0; i < count; i++) {
            hazelcastPorts.add(freePort());
        }
        for (int port : hazelcastPorts) {
            startHazelcastMember(port);
        }
    }

    /** Starts one more Hazelcast member, which joins the running ones; returns its index. */
    private int addHazelcast() {
        int port = freePort();
        hazelcastPorts.add(port);
        startHazelcastMember(port);
        return hazelcasts.size() - 1;
    }

    private void startHazelcastMember(int port) {
        Config config = new Config().setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true)
                .setMembers(hazelcastPorts.stream().map(p -> "127.0.0.1:" + p).toList());
        hazelcasts.add(Hazelcast.newHazelcastInstance(config));
    }

    /** Publishes node {@code nodeId} on the Hazelcast member at {@code index}. */
    private HazelcastMembership publish(int index, int nodeId) {
        HazelcastMembership membership = new HazelcastMembership(hazelcasts.get(index), group,
                new ClusterPeer(nodeId, "127.0.0.1", freePort()));
        memberships.put(nodeId, membership);
        return membership;
    }

    /** Opens node {@code nodeId} once its membership sees {@code initialMembers} nodes. */
    private ClusterFileStorage open(int nodeId, int initialMembers) {
        List<ClusterPeer> peers = memberships.get(nodeId).awaitInitialMembers(initialMembers, WAIT);
        ClusterFileStorage node = new ClusterFileStorage(new FileBlockProvider(base.resolve("node-" + nodeId)),
                ClusterFileStorage.Options.of(nodeId, peers).withGroupName(group)
                        .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(15)));
        nodes.put(nodeId, node);
        return node;
    }

    private void formGroupOfThree() {
        startHazelcast(3);
        for (int id = 1; id <= 3; id++) {
            publish(id - 1, id);
        }
        for (int id = 1; id <= 3; id++) {
            open(id, 3);
        }
    }

    // ------------------------------------------------------------------ growing the group

    private final Map<Integer, Integer> raftPorts = new LinkedHashMap<>();

    /**
     * Starts the node configured as {@code configuredId} on Hazelcast member {@code index} as
     * {@link HazelcastMembership#awaitGroup} decides (forming, joining as a learner, restarting), with the
     * group growing through it; returns the node (keyed by the id it runs under).
     */
    private ClusterFileStorage startGrowing(int index, int configuredId, Duration wait) {
        int port = raftPorts.computeIfAbsent(configuredId, id -> TestCluster.freePort());
        return startGrowing(new HazelcastMembership(hazelcasts.get(index), group,
                new ClusterPeer(configuredId, "127.0.0.1", port)), configuredId, wait);
    }

    private ClusterFileStorage startGrowing(HazelcastMembership membership, int configuredId, Duration wait) {
        Path directory = base.resolve("node-" + configuredId);
        HazelcastMembership.Start start = membership.awaitGroup(directory, 3, wait);
        ClusterFileStorage node = start.open(new FileBlockProvider(directory), o -> o.withGroupName(group)
                .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(15)));
        membership.grow(node, Duration.ofMillis(200));
        memberships.put(start.nodeId(), membership);
        nodes.put(start.nodeId(), node);
        return node;
    }

    private void growingGroupOfThree() {
        startHazelcast(3);
        List<HazelcastMembership> published = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            int port = TestCluster.freePort();
            raftPorts.put(id, port);
            published.add(new HazelcastMembership(hazelcasts.get(id - 1), group, new ClusterPeer(id, "127.0.0.1",
                    port)));
        }
        for (int id = 1; id <= 3; id++) {
            startGrowing(published.get(id - 1), id, WAIT);
        }
    }

    /** Stops node {@code nodeId}: its storage, its publication and its Hazelcast member. */
    private void depart(int nodeId, int hazelcastIndex) {
        nodes.remove(nodeId).close();
        memberships.remove(nodeId).close();
        hazelcasts.get(hazelcastIndex).shutdown();
    }

    private List<Integer> voters(ClusterFileStorage node) {
        return node.status().members().stream().filter(ClusterStatus.Member::voting).map(m -> m.peer().nodeId())
                .toList();
    }

    private static String text(ClusterFileStorage node, AtomPointer pointer) {
        return new String(node.read(pointer), StandardCharsets.UTF_8);
    }

    @Test
    void aNodeStartedAfterTheGroupFormedJoinsAsALearnerAndBecomesAVoterHoldingEveryCommit() {
        growingGroupOfThree();
        AtomPointer before = TestCluster.commit(nodes.get(1), "before".getBytes(StandardCharsets.UTF_8));

        ClusterFileStorage fourth = startGrowing(addHazelcast(), 4, WAIT);

        await().atMost(WAIT).until(() -> voters(nodes.get(1)).equals(List.of(1, 2, 3, 4)));
        await().atMost(WAIT).until(() -> fourth.status().role() != ClusterStatus.Role.LISTENER);
        AtomPointer after = TestCluster.commit(fourth, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(text(fourth, before)).isEqualTo("before");
        assertThat(nodes.get(2).readRoot()).isEqualTo(after);
        assertThat(text(nodes.get(2), after)).isEqualTo("after");
    }

    @Test
    void nodesRestartedOnTheirDirectoriesRejoinWithoutWaitingForTheInitialMembers() {
        growingGroupOfThree();
        AtomPointer before = TestCluster.commit(nodes.get(1), "before".getBytes(StandardCharsets.UTF_8));
        memberships.values().forEach(HazelcastMembership::close);
        nodes.values().parallelStream().forEach(ClusterFileStorage::close);
        hazelcasts.forEach(h -> h.getLifecycleService().terminate());
        nodes.clear();
        memberships.clear();
        hazelcasts.clear();
        hazelcastPorts.clear();
        startHazelcast(2);

        // a fresh Hazelcast cluster, two of three initial members: only a restart may start at once
        startGrowing(0, 1, Duration.ofMillis(1));
        ClusterFileStorage restarted = startGrowing(1, 3, Duration.ofMillis(1));

        AtomPointer after = TestCluster.commit(restarted, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(text(restarted, before)).isEqualTo("before");
        assertThat(nodes.get(1).readRoot()).isEqualTo(after);
        assertThat(voters(restarted)).containsExactly(1, 2, 3);
    }

    @Test
    void aNodeWhoseDirectoryWasWipedComesBackUnderANewIdInPlaceOfItsOldOne() throws IOException {
        growingGroupOfThree();
        AtomPointer before = TestCluster.commit(nodes.get(1), "before".getBytes(StandardCharsets.UTF_8));
        depart(3, 2);
        deleteRecursively(base.resolve("node-3"));

        ClusterFileStorage replacement = startGrowing(addHazelcast(), 3, WAIT);

        assertThat(replacement.options().nodeId()).isEqualTo(4);
        await().atMost(WAIT).until(() -> voters(nodes.get(1)).equals(List.of(1, 2, 4)));
        AtomPointer after = TestCluster.commit(replacement, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(text(replacement, before)).isEqualTo("before");
        assertThat(nodes.get(2).readRoot()).isEqualTo(after);
        assertThat(voters(replacement)).containsExactly(1, 2, 4);
    }

    @Test
    void aDepartedNodeStaysAVoterWhileTheGroupGrows() {
        growingGroupOfThree();
        depart(3, 2);
        await().atMost(WAIT).until(() -> memberships.get(1).members().size() == 2);

        ClusterFileStorage fourth = startGrowing(addHazelcast(), 4, WAIT);

        // the leader saw node 3 leave before node 4 came: had it removed node 3, it would have by now
        await().atMost(WAIT).until(() -> voters(nodes.get(1)).contains(4));
        assertThat(voters(nodes.get(1))).containsExactly(1, 2, 3, 4);
        AtomPointer after = TestCluster.commit(fourth, "after".getBytes(StandardCharsets.UTF_8));
        assertThat(nodes.get(1).readRoot()).isEqualTo(after);
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = java.nio.file.Files.walk(directory)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    @Test
    void threeNodesFormARaftGroupFromTheAddressesTheyPublishedAndCommit() {
        formGroupOfThree();

        assertThat(nodes.get(2).options().peers()).extracting(ClusterPeer::nodeId).containsExactly(1, 2, 3);
        AtomPointer root = TestCluster.commit(nodes.get(1), "apple".getBytes(StandardCharsets.UTF_8));

        assertThat(nodes.get(3).readRoot()).isEqualTo(root);
        assertThat(new String(nodes.get(3).read(root), StandardCharsets.UTF_8)).isEqualTo("apple");
        assertThat(nodes.get(2).status().members()).extracting(m -> m.peer().nodeId()).containsExactly(1, 2, 3);
    }

    @Test
    void aDepartedNodeIsRemovedByTheOperationAndTheOthersGoOnCommitting() {
        formGroupOfThree();
        TestCluster.commit(nodes.get(1), "before".getBytes(StandardCharsets.UTF_8));
        nodes.remove(3).close();
        hazelcasts.get(2).shutdown();
        await().atMost(WAIT).until(() -> memberships.get(1).members().size() == 2);

        memberships.get(1).removeDeparted(nodes.get(1), 3);

        assertThat(nodes.get(2).status().members()).extracting(m -> m.peer().nodeId()).containsExactly(1, 2);
        AtomPointer root = TestCluster.commit(nodes.get(2), "after".getBytes(StandardCharsets.UTF_8));
        assertThat(nodes.get(1).readRoot()).isEqualTo(root);
        assertThatThrownBy(() -> memberships.get(1).removeDeparted(nodes.get(1), 2))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("cluster node n2@").hasMessageContaining("still a live member");
    }

    @Test
    void removalThatWouldLeaveLessThanAMajorityOfTheCurrentVotersIsRefused() {
        formGroupOfThree();
        nodes.remove(3).close();
        nodes.get(1).removeMember(3);

        assertThatThrownBy(() -> nodes.get(1).removeMember(2))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("Cannot remove node 2")
                .hasMessageContaining("would not be a majority of the 2 now");
        assertThat(nodes.get(1).status().members()).extracting(m -> m.peer().nodeId()).containsExactly(1, 2);
        assertThatThrownBy(() -> nodes.get(1).removeMember(7))
                .isInstanceOf(StorageException.class).hasMessageContaining("not a voting member");
    }

    @Test
    void waitingForInitialMembersThatDoNotComeFailsNamingWhoIsMissing() {
        startHazelcast(2);
        HazelcastMembership membership = publish(0, 1);

        assertThatThrownBy(() -> membership.awaitInitialMembers(3, Duration.ofSeconds(1)))
                .isInstanceOf(StorageUnavailableException.class)
                .hasMessageContaining("found 1: [n1@127.0.0.1:")
                .hasMessageContaining("2 missing")
                .hasMessageContaining("published no node of this group: [[127.0.0.1]:" + hazelcastPorts.get(1));
    }

    @Test
    void aNodeIdAlreadyPublishedByAnotherLiveMemberIsRefused() {
        startHazelcast(2);
        publish(0, 1);
        HazelcastMembership second = publish(1, 2);
        await().atMost(WAIT).until(() -> second.members().size() == 2);

        assertThatThrownBy(() -> new HazelcastMembership(hazelcasts.get(1), group,
                new ClusterPeer(1, "127.0.0.1", 2)))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("already published node 1");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
