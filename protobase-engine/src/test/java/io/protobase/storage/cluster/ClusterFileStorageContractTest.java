package io.protobase.storage.cluster;

import io.protobase.SegmentReleasedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The storage contract on one node of a three-node cluster (a fresh cluster per test), plus what
 * only a cluster promises: what one node pushed and committed, every other node reads.
 */
@Tag("slow")
class ClusterFileStorageContractTest extends SharedStorageContract {

    private final List<TestCluster> clusters = Collections.synchronizedList(new ArrayList<>());
    private final Map<SharedStorage, TestCluster> clusterOf = Collections.synchronizedMap(new IdentityHashMap<>());

    @Override
    protected SharedStorage createStorage() {
        TestCluster cluster = TestCluster.start(3);
        clusters.add(cluster);
        ClusterFileStorage node = cluster.node(1);
        clusterOf.put(node, cluster);
        return node;
    }

    /** Node 1 again, on its directory, while nodes 2 and 3 kept running. */
    @Override
    protected SharedStorage reopen(SharedStorage closed) {
        TestCluster cluster = clusterOf.get(closed);
        cluster.stop(1);
        ClusterFileStorage node = cluster.restart(1);
        clusterOf.put(node, cluster);
        return node;
    }

    @AfterEach
    void stopClusters() {
        clusters.forEach(TestCluster::close);
    }

    private TestCluster cluster() {
        return clusterOf.get(storage);
    }

    /**
     * In a cluster a release is the cluster's decision ({@link ClusterFileStorage#reclaimer()}, docs/cluster.md
     * "Space reclamation"): the leader's release condemns the segment, every node's release acknowledges it
     * (after reading the root, as the engine's release pass does), and every node's release once it is gone
     * deletes the file there. Only then do reads fail with {@link SegmentReleasedException}; until then the
     * segment is still readable.
     */
    @Override
    @Test
    protected void releasingASealedSegmentIsIdempotentAndReadsIntoItFailWithSegmentReleasedException() {
        TestCluster cluster = cluster();
        ClusterFileStorage leader = await().atMost(LONG_WAIT).until(cluster::leader, java.util.Objects::nonNull);
        SegmentReclaimer reclaimer = leader.reclaimer().orElseThrow();
        reclaimer.limitSegmentSize(64 * 1024);
        List<AtomPointer> pushed = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pushed.add(leader.push(new byte[16 * 1024]));
        }
        AtomPointer kept = leader.push(new byte[] {42});
        try (CommitLock lock = leader.acquireCommitLock(LONG_WAIT)) {
            assertThat(leader.compareAndSetRoot(lock, leader.readRoot(), kept)).isTrue();
        }
        SegmentReclaimer.Segment sealed = reclaimer.segments().stream().filter(SegmentReclaimer.Segment::sealed)
                .findFirst().orElseThrow();
        AtomPointer gone = pushed.stream().filter(p -> p.segmentId() == sealed.id()).findFirst().orElseThrow();
        assertThatThrownBy(() -> reclaimer.release(List.of(reclaimer.writingSegment())))
                .isInstanceOf(IllegalArgumentException.class);

        reclaimer.release(List.of(sealed.id()));
        for (ClusterFileStorage node : cluster.running()) {
            await().atMost(LONG_WAIT).until(() -> node.condemnedSegments().contains(sealed.id()));
            // condemned, not gone: a commit may still reference it (the node would withdraw its release)
            assertThat(node.reclaimer().orElseThrow().retiring(sealed.id())).isFalse();
            assertThat(node.read(gone)).as("still readable on %s", node.describe()).hasSize(16 * 1024);
        }
        await().atMost(LONG_WAIT).untilAsserted(() -> {
            for (ClusterFileStorage node : cluster.running()) {
                node.readRoot();
                node.reclaimer().orElseThrow().release(List.of(sealed.id()));
            }
            for (ClusterFileStorage node : cluster.running()) {
                assertThat(node.deletedSegments()).as("deleted on %s", node.describe()).contains(sealed.id());
            }
        });
        for (ClusterFileStorage node : cluster.running()) {
            assertThat(node.reclaimer().orElseThrow().segments()).noneMatch(s -> s.id() == sealed.id());
            assertThat(node.reclaimer().orElseThrow().retiring(sealed.id())).as("gone: refused").isTrue();
            assertThat(node.read(kept)).containsExactly(42);
            assertThatThrownBy(() -> node.read(gone))
                    .isInstanceOf(SegmentReleasedException.class)
                    .hasMessageContaining(gone.toString());
            node.reclaimer().orElseThrow().release(List.of(sealed.id()));
        }
    }

    /** As the contract's, with the release as the cluster's decision (see the test above). */
    @Override
    @Test
    protected void aSegmentSizeLimitSealsSegmentsAtThatSizeAndTheirReleaseKeepsEverythingPushedLater() {
        SegmentReclaimer reclaimer = storage.reclaimer().orElseThrow();
        long first = reclaimer.writingSegment();

        reclaimer.limitSegmentSize(64 * 1024);
        List<AtomPointer> pushed = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pushed.add(storage.push(new byte[16 * 1024]));
        }
        storage.flush();

        assertThat(reclaimer.writingSegment()).as("segments sealed at the limit").isGreaterThan(first + 1);
        for (ClusterFileStorage node : cluster().running()) {
            await().atMost(LONG_WAIT).untilAsserted(() -> assertThat(node.reclaimer().orElseThrow().segments())
                    .filteredOn(s -> ClusterFileStorage.nodeOf(s.id()) == 1).hasSizeGreaterThan(2)
                    .allSatisfy(s -> assertThat(s.bytes()).isLessThanOrEqualTo(64 * 1024 + 64)));
        }
        AtomPointer last = pushed.get(pushed.size() - 1);
        assertThat(storage.read(last)).hasSize(16 * 1024);
        assertThatThrownBy(() -> reclaimer.limitSegmentSize(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void atomsPushedAndCommittedOnOneNodeAreReadOnEveryOther() {
        ClusterFileStorage writer = cluster().node(2);
        byte[] atom = randomBytes(new java.util.Random(7), 10_000);
        AtomPointer pointer = writer.push(atom);
        try (CommitLock lock = writer.acquireCommitLock(LONG_WAIT)) {
            assertThat(writer.compareAndSetRoot(lock, null, pointer)).isTrue();
        }

        for (ClusterFileStorage reader : List.of(cluster().node(1), cluster().node(3))) {
            AtomPointer root = reader.readRoot();
            assertThat(root).as("root read on %s", reader.describe()).isEqualTo(pointer);
            assertThat(reader.read(root)).isEqualTo(atom);
        }
    }

    @Test
    void withLocalReadsANodeSeesItsOwnCommitAtOnceAndTheOthersOnceTheyAppliedIt() {
        try (TestCluster local = TestCluster.start(3, o -> o.withReadConsistency(ReadConsistency.LOCAL))) {
            ClusterFileStorage writer = local.node(1);
            AtomPointer pointer = writer.push(new byte[] {9});
            try (CommitLock lock = writer.acquireCommitLock(LONG_WAIT)) {
                assertThat(writer.compareAndSetRoot(lock, null, pointer)).isTrue();
            }

            assertThat(writer.readRoot()).isEqualTo(pointer);
            for (ClusterFileStorage reader : List.of(local.node(2), local.node(3))) {
                await().atMost(LONG_WAIT).until(reader::readRoot, pointer::equals);
                assertThat(reader.read(pointer)).containsExactly(9);
            }
        }
    }

    @Test
    void optionsThatCannotFormAGroupAreRefusedNamingTheProblem() {
        List<ClusterPeer> peers = List.of(new ClusterPeer(1, "127.0.0.1", 9001), new ClusterPeer(2, "127.0.0.1", 9002));

        assertThatThrownBy(() -> ClusterFileStorage.Options.of(3, peers))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node 3 is not among the peers");
        assertThatThrownBy(() -> ClusterFileStorage.Options.of(1, List.of(peers.get(0), peers.get(0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
        assertThatThrownBy(() -> ClusterFileStorage.Options.of(1, peers).withRequestTimeout(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("request timeout");
        assertThatThrownBy(() -> new ClusterPeer(0, "127.0.0.1", 9001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node id");
        assertThatThrownBy(() -> new ClusterPeer(4, "127.0.0.1", 70_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port of node 4");
    }

    @Test
    void aCompareAndSetOnAStaleRootFromAnotherNodeIsRejectedAndLeavesTheWinnersRoot() {
        ClusterFileStorage first = cluster().node(1);
        ClusterFileStorage second = cluster().node(3);
        AtomPointer a = first.push(new byte[] {1});
        AtomPointer b = second.push(new byte[] {2});
        try (CommitLock lock = first.acquireCommitLock(LONG_WAIT)) {
            assertThat(first.compareAndSetRoot(lock, null, a)).isTrue();
        }

        try (CommitLock lock = second.acquireCommitLock(LONG_WAIT)) {
            assertThat(second.compareAndSetRoot(lock, null, b)).as("expects no root, but node 1 committed").isFalse();
        }

        assertThat(second.readRoot()).isEqualTo(a);
        assertThat(first.readRoot()).isEqualTo(a);
        // the rejected commit's bytes were replicated all the same: no hole, and the pointer stays valid
        assertThat(first.read(b)).containsExactly(2);
    }
}
