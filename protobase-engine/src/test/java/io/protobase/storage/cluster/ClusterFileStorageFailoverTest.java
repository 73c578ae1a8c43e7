package io.protobase.storage.cluster;

import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.file.FileBlockProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Nodes leaving and coming back: a follower restarted on its directory, a node whose directory was
 * lost replaced under a new id, the quorum lost and regained. In each, every acknowledged commit is
 * there afterwards, on every node.
 */
@Tag("slow")
class ClusterFileStorageFailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestCluster cluster;
    /** Every acknowledged commit, in order: its root and the bytes of that root's atom. */
    private final Map<AtomPointer, byte[]> acknowledged = new LinkedHashMap<>();

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Commits one counter atom on {@code node} on top of the current root; records it as acknowledged. */
    private AtomPointer commit(ClusterFileStorage node, long value) {
        return commit(node, value, 64);
    }

    /** {@link #commit(ClusterFileStorage, long)} with an atom of {@code size} bytes. */
    private AtomPointer commit(ClusterFileStorage node, long value, int size) {
        byte[] atom = ByteBuffer.allocate(size).putLong(value).array();
        while (true) {
            AtomPointer root = node.readRoot();
            AtomPointer next = node.push(atom);
            try (CommitLock lock = node.acquireCommitLock(WAIT)) {
                if (node.compareAndSetRoot(lock, root, next)) {
                    acknowledged.put(next, atom);
                    return next;
                }
            }
        }
    }

    private void assertHoldsEveryAcknowledgedCommit(ClusterFileStorage node) {
        AtomPointer last = acknowledged.keySet().stream().reduce((a, b) -> b).orElseThrow();
        assertThat(node.readRoot()).as("root on %s", node.describe()).isEqualTo(last);
        acknowledged.forEach((pointer, bytes) -> assertThat(node.read(pointer))
                .as("%s on %s", pointer, node.describe()).isEqualTo(bytes));
    }

    @Test
    void aFollowerRestartedOnItsDirectoryCatchesUpWithTheCommitsItMissed() {
        cluster = TestCluster.start(3);
        for (int i = 0; i < 20; i++) {
            commit(cluster.node(1 + i % 3), i);
        }
        ClusterFileStorage leader = awaitLeader();
        int follower = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow()
                .options().nodeId();
        cluster.stop(follower);

        for (int i = 20; i < 200; i++) {
            commit(leader, i);
        }
        ClusterFileStorage restarted = cluster.restart(follower);

        assertHoldsEveryAcknowledgedCommit(restarted);
        for (ClusterFileStorage node : cluster.running()) {
            assertHoldsEveryAcknowledgedCommit(node);
        }
        commit(restarted, 200);
        assertHoldsEveryAcknowledgedCommit(leader);
    }

    @Test
    void aNodeWhoseDirectoryWasLostRejoinsUnderANewIdAndCatchesUpFromASnapshot() throws IOException {
        cluster = TestCluster.start(3, o -> o.withSnapshotInterval(50).withMaxEntryBytes(64 * 1024));
        for (int i = 0; i < 300; i++) {
            commit(cluster.node(1 + i % 3), i, 16 * 1024);
        }
        // the survivors purged the start of their logs after a snapshot: a new node cannot replay from index 0
        await().atMost(WAIT).until(() -> logSegmentsFromTheStart(cluster.directory(1)).isEmpty()
                && logSegmentsFromTheStart(cluster.directory(2)).isEmpty());
        cluster.stop(3);
        deleteRecursively(cluster.directory(3));

        ClusterFileStorage replacement = cluster.replace(3, 4);

        assertHoldsEveryAcknowledgedCommit(replacement);
        assertThat(snapshotFilesUnder(cluster.directory(4))).as("snapshot installed from the leader").isNotEmpty();
        commit(replacement, 300);
        assertHoldsEveryAcknowledgedCommit(cluster.node(1));
        assertHoldsEveryAcknowledgedCommit(cluster.node(2));
    }

    @Test
    void withoutAQuorumCommitsAndReadsFailNamingTheSilentPeersAndSucceedOnceItIsBack() {
        Duration requestTimeout = Duration.ofSeconds(3);
        cluster = TestCluster.start(3, o -> o.withRequestTimeout(requestTimeout));
        commit(cluster.node(1), 1);
        cluster.stop(2);
        cluster.stop(3);
        ClusterFileStorage alone = cluster.node(1);
        AtomPointer root = acknowledged.keySet().iterator().next();
        AtomPointer next = alone.push(new byte[] {2});

        long start = System.nanoTime();
        StorageUnavailableException failure;
        try (CommitLock lock = alone.acquireCommitLock(WAIT)) {
            failure = catchThrowableOfType(StorageUnavailableException.class,
                    () -> alone.compareAndSetRoot(lock, root, next));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(failure).isNotNull();
        assertThat(failure.isRetryable()).isTrue();
        assertThat(failure.getMessage()).contains(cluster.peer(2).toString()).contains(cluster.peer(3).toString())
                .contains("quorum");
        // bounded by the request timeout plus the probe of the silent peers, with room for a busy machine
        assertThat(took).as("time to fail").isLessThan(requestTimeout.plusSeconds(10));
        assertThatThrownBy(alone::readRoot).isInstanceOf(StorageUnavailableException.class)
                .hasMessageContaining(cluster.peer(2).toString());

        cluster.restart(2);
        cluster.restart(3);

        // the group needs an election before it answers again
        AtomPointer now = await().atMost(WAIT).ignoreException(StorageUnavailableException.class)
                .until(alone::readRoot, r -> true);
        // the failed commit's outcome was unknown: it may have taken effect once the quorum was back
        assertThat(now).isIn(root, next);
        if (now.equals(next)) {
            acknowledged.put(next, new byte[] {2});
        }
        commit(alone, 3);
        for (ClusterFileStorage node : cluster.running()) {
            assertHoldsEveryAcknowledgedCommit(node);
        }
    }

    @Test
    void aCommitOfMoreBytesThanOneEntryCarriesGoesAheadInPiecesAndReachesEveryNode() {
        cluster = TestCluster.start(3, o -> o.withMaxEntryBytes(64 * 1024).withSegmentSize(256 * 1024));
        ClusterFileStorage writer = cluster.node(2);
        Map<AtomPointer, byte[]> pushed = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            byte[] atom = new byte[10_000];
            ByteBuffer.wrap(atom).putInt(i);
            pushed.put(writer.push(atom), atom);
        }
        AtomPointer last = pushed.keySet().stream().reduce((a, b) -> b).orElseThrow();
        try (CommitLock lock = writer.acquireCommitLock(WAIT)) {
            assertThat(writer.compareAndSetRoot(lock, null, last)).isTrue();
        }

        assertThat(pushed.keySet().stream().map(AtomPointer::segmentId).distinct()).as("segments written")
                .hasSizeGreaterThan(1);
        for (ClusterFileStorage node : cluster.running()) {
            assertThat(node.readRoot()).isEqualTo(last);
            pushed.forEach((p, bytes) -> assertThat(node.read(p)).as("%s on %s", p, node.describe())
                    .isEqualTo(bytes));
        }
    }

    @Test
    void aStorageReopenedOnAnotherNodesDirectoryIsRefusedNamingBoth() {
        cluster = TestCluster.start(3);
        commit(cluster.node(1), 1);
        cluster.stop(1);

        ClusterFileStorage.Options wrongNode = ClusterFileStorage.Options.of(2, cluster.peers());
        assertThatThrownBy(() -> new ClusterFileStorage(new FileBlockProvider(cluster.directory(1)), wrongNode))
                .isInstanceOf(io.protobase.StorageException.class)
                .hasMessageContaining(cluster.directory(1).toAbsolutePath().normalize().toString())
                .hasMessageContaining("node 1").hasMessageContaining("node 2");
    }

    private ClusterFileStorage awaitLeader() {
        return await().atMost(WAIT).until(() -> cluster.leader(), l -> l != null);
    }

    private static List<Path> snapshotFilesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("snapshot.")).toList();
        }
    }

    /** Raft log segment files of a node that start at index 0 ({@code log_0-<end>}, {@code log_inprogress_0}). */
    private static List<Path> logSegmentsFromTheStart(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("raft"))) {
            return files.filter(p -> p.getFileName().toString().matches("log_(0-\\d+|inprogress_0)")).toList();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
