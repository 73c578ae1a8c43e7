package io.protobase.storage.cluster;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static io.protobase.DataRoot.contents;
import static io.protobase.DataRoot.large;
import static io.protobase.DataRoot.put;

/**
 * Space reclamation on a 3-node {@link ClusterFileStorage} (real Ratis servers on 127.0.0.1, one engine per
 * node): the leader's compaction rewrites and condemns, every node's compaction gives the segments up, and each
 * node deletes the files once every node did and no local reader needs them (docs/cluster.md, "Space
 * reclamation").
 */
class ClusterCompactionTest {

    /** The smallest segments and entries the cluster storage takes, so that a few commits fill several. */
    private static final int SMALL = 64 * 1024;

    private TestCluster cluster;
    /** The engine on each node, by node id. */
    private final Map<Integer, ObjectSpace> spaces = new TreeMap<>();

    @AfterEach
    void close() {
        spaces.values().forEach(s -> {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // the cluster closes next
            }
        });
        if (cluster != null) {
            cluster.close();
        }
    }

    private static TestCluster startCluster() {
        return TestCluster.start(3, o -> o.withMaxEntryBytes(SMALL).withSegmentSize(SMALL));
    }

    private ObjectSpace open(int nodeId, Duration retention, Clock clock) {
        ObjectSpace space = ObjectSpace.builder(cluster.node(nodeId)).historyRetention(retention).clock(clock)
                .cacheBytes(1).compactionMinDeadBytes(0).build();
        spaces.put(nodeId, space);
        return space;
    }

    private ObjectSpace open(int nodeId) {
        return open(nodeId, Duration.ZERO, Clock.systemUTC());
    }

    private List<Path> segmentFiles(int nodeId) {
        try (Stream<Path> files = Files.walk(cluster.directory(nodeId))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long segmentBytes(int nodeId) {
        return segmentFiles(nodeId).stream().mapToLong(p -> p.toFile().length()).sum();
    }

    /** Segment file name to contents, for comparing nodes. */
    private Map<String, byte[]> segmentDigest(int nodeId) {
        Map<String, byte[]> digest = new TreeMap<>();
        for (Path p : segmentFiles(nodeId)) {
            try {
                digest.put(p.getFileName().toString(), Files.readAllBytes(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return digest;
    }

    /** One compaction on every node with a space, the leader's first. */
    private void compactEverywhere() {
        ClusterFileStorage leader = cluster.leader();
        List<Integer> ordered = new ArrayList<>(spaces.keySet());
        ordered.sort((a, b) -> Boolean.compare(cluster.node(b) == leader, cluster.node(a) == leader));
        for (int id : ordered) {
            spaces.get(id).compact();
        }
    }

    /** Each node's view of the condemned segments, for failure messages. */
    private String states() {
        StringBuilder b = new StringBuilder();
        for (ClusterFileStorage node : cluster.running()) {
            int id = node.options().nodeId();
            b.append("node ").append(id).append(node.isLeader() ? " (leader)" : "").append(": ");
            node.replica().reclaimView(id).stream().filter(v -> v.state() != SegmentReplica.Reclaim.LIVE)
                    .forEach(v -> b.append(v).append(' '));
            b.append("; ");
        }
        return b.toString();
    }

    /**
     * Condemns a sealed segment of node {@code writer} through whichever node leads, and waits until every
     * running node applied the condemnation; returns the segment. Only the leader lists segments as sealed and
     * condemns them, and under load the leader may change meanwhile.
     */
    private long condemnSealedSegmentOf(int writer) {
        long[] chosen = {-1};
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            ClusterFileStorage leader = cluster.leader();
            if (leader == null) {
                return false;
            }
            io.protobase.storage.SegmentReclaimer reclaimer = leader.reclaimer().orElseThrow();
            if (chosen[0] < 0) {
                chosen[0] = reclaimer.segments().stream().filter(io.protobase.storage.SegmentReclaimer.Segment::sealed)
                        .mapToLong(io.protobase.storage.SegmentReclaimer.Segment::id)
                        .filter(id -> ClusterFileStorage.nodeOf(id) == writer).findFirst().orElse(-1);
            }
            if (chosen[0] < 0) {
                return false;
            }
            if (cluster.running().stream().allMatch(n -> n.condemnedSegments().contains(chosen[0]))) {
                return true;
            }
            reclaimer.release(List.of(chosen[0]));
            return false;
        });
        return chosen[0];
    }

    private void assertDigestsEqual() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, byte[]> first = segmentDigest(1);
            for (int id = 2; id <= 3; id++) {
                Map<String, byte[]> other = segmentDigest(id);
                assertThat(other.keySet()).as("segments of node " + id).isEqualTo(first.keySet());
                for (String name : first.keySet()) {
                    assertThat(Arrays.equals(other.get(name), first.get(name))).as(name + " on node " + id).isTrue();
                }
            }
        });
    }

    @Test
    void manyOneKeyCommitsOverNodesShrinkEveryNodesDirectoryAndEveryNodeReadsEverything() {
        cluster = startCluster();
        Database[] dbs = new Database[3];
        for (int i = 0; i < 3; i++) {
            dbs[i] = open(i + 1).getDatabase("db");
        }
        for (int i = 0; i < 4; i++) {
            put(dbs[i % 3], "big" + i, large(i));
        }
        for (int round = 0; round < 120; round++) {
            put(dbs[round % 3], "k" + (round % 10), "v" + round);
            if (round % 10 == 0) {
                put(dbs[(round + 1) % 3], "big" + (round / 10 % 4), large(1000 + round));
            }
        }
        Map<Object, Object> expected = contents(dbs[0]);
        long[] before = new long[3];
        for (int id = 1; id <= 3; id++) {
            before[id - 1] = segmentBytes(id);
        }

        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
            compactEverywhere();
            for (int id = 1; id <= 3; id++) {
                assertThat(cluster.node(id).condemnedSegments()).as("condemned on node " + id).isEmpty();
                assertThat(segmentBytes(id)).as("bytes of node " + id).isLessThan(before[id - 1] / 2);
            }
        });

        for (Database db : dbs) {
            assertThat(contents(db)).isEqualTo(expected);
        }
        for (int id = 1; id <= 3; id++) {
            assertThat(cluster.node(id).deletedSegments()).as("deleted on node " + id).isNotEmpty();
        }
        assertDigestsEqual();
        // a further commit on every node still works after reclamation
        for (int i = 0; i < 3; i++) {
            put(dbs[i], "after" + i, "x");
        }
        assertThat(contents(dbs[2])).containsKeys("after0", "after1", "after2");
    }

    @Test
    void aFollowersOpenTransactionKeepsReadingWhatItSawAndTheSegmentGoesOnceItCloses() {
        cluster = startCluster();
        ClusterFileStorage leader = await().atMost(Duration.ofMinutes(1)).until(cluster::leader,
                java.util.Objects::nonNull);
        // the reader is a follower, which keeps a minute of history for its views; the others keep none
        int reader = leader == cluster.node(3) ? 2 : 3;
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Database[] dbs = new Database[3];
        for (int i = 0; i < 3; i++) {
            dbs[i] = open(i + 1, i + 1 == reader ? Duration.ofMinutes(1) : Duration.ZERO, clock).getDatabase("db");
        }
        Database readerDb = dbs[reader - 1];
        put(dbs[0], "big", large(1));
        clock.advance(Duration.ofSeconds(1));
        Instant seen = clock.instant();
        Map<Object, Object> old = contents(readerDb);
        Transaction tx = readerDb.newReadOnlyTransaction();
        // a history view pins its version while the application can reach it
        Database[] view = {readerDb.at(seen)};
        clock.advance(Duration.ofSeconds(1));
        Database[] writers = java.util.Arrays.stream(dbs).filter(d -> d != readerDb).toArray(Database[]::new);
        for (int round = 0; round < 12; round++) {
            put(writers[round % 2], "big", large(100 + round));
        }
        Map<Object, Object> now = contents(dbs[0]);

        // the reader must stay a follower: a leader's compaction pardons the condemned segments its own readers
        // reach (they are live for it), and under load leadership may move to it
        ClusterFileStorage readerNode = cluster.node(reader);
        for (int round = 0; round < 6; round++) {
            readerNode.transferLeadershipIfLeading();
            compactEverywhere();
        }
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            readerNode.transferLeadershipIfLeading();
            compactEverywhere();
            assertThat(readerNode.isLeader()).as("node " + reader + " leads").isFalse();
            assertThat(cluster.node(1).condemnedSegments()).as("segments wait for node " + reader + "'s readers")
                    .isNotEmpty();
        });
        Set<Long> waiting = new HashSet<>(cluster.node(1).condemnedSegments());
        assertThat(waiting).as("segments wait for node " + reader + "'s readers").isNotEmpty();
        assertThat(contents(tx)).as("the open transaction").isEqualTo(old);
        assertThat(contents(view[0])).as("the history view").isEqualTo(old);
        for (int id = 1; id <= 3; id++) {
            assertThat(cluster.node(id).deletedSegments()).as("node " + id).doesNotContainAnyElementsOf(waiting);
        }

        tx.close();
        view[0] = null;
        clock.advance(Duration.ofMinutes(2));
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            System.gc(); // the view is unreachable: its pin goes once the collector has seen it
            compactEverywhere();
            for (int id = 1; id <= 3; id++) {
                assertThat(cluster.node(id).deletedSegments()).as("node " + id).containsAll(waiting);
            }
        });
        for (Database db : dbs) {
            assertThat(contents(db)).isEqualTo(now);
        }
    }

    @Test
    void aNodeCrashedBetweenGoneAndDeleteRestartsReadsEverythingAndNothingReleasedComesBack() {
        cluster = startCluster();
        Database[] dbs = new Database[3];
        for (int i = 0; i < 3; i++) {
            dbs[i] = open(i + 1).getDatabase("db");
        }
        for (int round = 0; round < 30; round++) {
            put(dbs[round % 3], "big" + (round % 3), large(round));
        }
        Map<Object, Object> expected = contents(dbs[0]);
        ObjectSpace node2 = spaces.get(2);

        // every node gives the segments up; the last pass deletes everywhere but on node 2
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            compactEverywhere();
            assertThat(cluster.node(1).deletedSegments()).isNotEmpty();
            assertThat(cluster.node(1).condemnedSegments()).isEmpty();
        });
        spaces.get(1).compact();
        spaces.get(3).compact();
        Set<Long> gone = cluster.node(1).deletedSegments();

        // crash node 2 whatever it deleted by now, open it again
        node2.close();
        spaces.remove(2);
        cluster.crash(2);
        cluster.restart(2);
        ObjectSpace reopened = open(2);
        Database db2 = reopened.getDatabase("db");
        assertThat(contents(db2)).isEqualTo(expected);

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            reopened.compact();
            assertThat(cluster.node(2).deletedSegments()).containsAll(gone);
        });
        Set<String> goneFiles = new HashSet<>();
        gone.forEach(id -> goneFiles.add(String.format("%016x.seg", id)));
        assertThat(segmentFiles(2).stream().map(p -> p.getFileName().toString()))
                .as("no released segment on node 2").doesNotContainAnyElementsOf(goneFiles);

        // and once more after it deleted them: a restart applying the log again does not bring them back
        reopened.close();
        spaces.remove(2);
        cluster.crash(2);
        cluster.restart(2);
        ObjectSpace again = open(2);
        assertThat(contents(again.getDatabase("db"))).isEqualTo(expected);
        assertThat(segmentFiles(2).stream().map(p -> p.getFileName().toString()))
                .as("no released segment after a restart").doesNotContainAnyElementsOf(goneFiles);
        assertThat(cluster.node(2).deletedSegments()).containsAll(gone);
        put(again.getDatabase("db"), "after", "restart");
        assertThat(contents(dbs[0])).containsEntry("after", "restart");
    }

    /**
     * A node that stops after a segment went gone and before its compaction deleted the file: Ratis takes a
     * snapshot as the node stops, which leaves the gone segment out, so the restart removes the file. The node
     * records that deletion as its own compaction would (in the journal, {@code deletedSegments()}), so that it
     * counts the segment as deleted here rather than waiting forever for a release of a segment it no longer
     * lists.
     */
    @Test
    void aNodeStoppedAfterASegmentWentGoneAndBeforeItDeletedTheFileRecordsTheDeletionWhenItRestarts() {
        cluster = startCluster();
        ClusterFileStorage writer = cluster.node(1);
        int victim = 3;
        writer.reclaimer().orElseThrow().limitSegmentSize(SMALL);
        for (int i = 0; i < 8; i++) {
            writer.push(new byte[16 * 1024]);
        }
        TestCluster.commit(writer, new byte[] {1});
        long sealed = condemnSealedSegmentOf(1);
        String name = String.format("%016x.seg", sealed);
        // every node gives it up, as its compaction does once it read a root that does not reach it; the last
        // acknowledgement makes it gone, after every node's release, so no node deleted the file yet
        for (ClusterFileStorage n : cluster.running()) {
            n.readRoot();
            n.reclaimer().orElseThrow().release(List.of(sealed));
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> cluster.running().stream()
                .allMatch(n -> n.replica().gone(sealed)));
        assertThat(cluster.node(victim).deletedSegments()).doesNotContain(sealed);
        assertThat(segmentFiles(victim).stream().map(p -> p.getFileName().toString())).contains(name);

        cluster.stop(victim);
        ClusterFileStorage back = cluster.restart(victim);
        back.readRoot();
        // what the node's compaction does: release every segment nothing reaches
        back.reclaimer().orElseThrow().release(List.of(sealed));
        assertThat(segmentFiles(victim).stream().map(p -> p.getFileName().toString())).doesNotContain(name);
        assertThat(back.deletedSegments()).as("deleted on node " + victim).contains(sealed);
        assertThat(back.reclaimer().orElseThrow().retiring(sealed)).isTrue();
    }

    @Test
    void aNodeDownDuringAReleaseCatchesUpFromASnapshotWithoutTheGoneSegments() {
        // snapshots every few entries, so that the log a node misses is purged and it catches up from a snapshot
        cluster = TestCluster.start(3, o -> o.withMaxEntryBytes(SMALL).withSegmentSize(SMALL)
                .withSnapshotInterval(8));
        Database[] dbs = new Database[3];
        for (int i = 0; i < 3; i++) {
            dbs[i] = open(i + 1).getDatabase("db");
        }
        for (int round = 0; round < 24; round++) {
            put(dbs[round % 3], "big" + (round % 3), large(round));
        }
        int down = cluster.leader() == cluster.node(3) ? 2 : 3;
        spaces.remove(down).close();
        cluster.stop(down);
        Database[] up = java.util.stream.IntStream.rangeClosed(1, 3).filter(id -> id != down)
                .mapToObj(id -> dbs[id - 1]).toArray(Database[]::new);
        for (int round = 0; round < 40; round++) {
            put(up[round % 2], "big" + (round % 3), large(1000 + round));
        }
        for (int round = 0; round < 3; round++) {
            compactEverywhere();
        }
        int live = down == 3 ? 1 : 3;
        assertThat(cluster.node(live).condemnedSegments()).as("condemned, waiting for node " + down).isNotEmpty();
        Map<Object, Object> expected = contents(up[0]);

        cluster.restart(down);
        Database back = open(down).getDatabase("db");
        assertThat(contents(back)).isEqualTo(expected);
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
            compactEverywhere();
            for (int id = 1; id <= 3; id++) {
                assertThat(cluster.node(id).condemnedSegments()).as("condemned on node " + id + ": " + states())
                        .isEmpty();
            }
            Set<Long> gone = new HashSet<>(cluster.node(live).deletedSegments());
            gone.addAll(cluster.node(down).deletedSegments());
            for (int id = 1; id <= 3; id++) {
                Set<String> names = new HashSet<>();
                segmentFiles(id).forEach(f -> names.add(f.getFileName().toString()));
                for (long g : gone) {
                    assertThat(names).as("node " + id).doesNotContain(String.format("%016x.seg", g));
                }
            }
        });
        for (int id = 1; id <= 3; id++) {
            assertThat(contents(spaces.get(id).getDatabase("db"))).isEqualTo(expected);
        }
        assertDigestsEqual();
    }

    @Test
    void aNodeThatReferencesACondemnedSegmentAgainWithdrawsItsAcknowledgementAndItsCommitMakesTheOthersStale() {
        cluster = startCluster();
        ClusterFileStorage leader = await().atMost(Duration.ofMinutes(1)).until(cluster::leader,
                java.util.Objects::nonNull);
        int other = leader == cluster.node(3) ? 2 : 3;
        ClusterFileStorage node = cluster.node(other);
        leader.reclaimer().orElseThrow().limitSegmentSize(SMALL);
        for (int i = 0; i < 8; i++) {
            leader.push(new byte[16 * 1024]);
        }
        TestCluster.commit(leader, new byte[] {1});
        long sealed = condemnSealedSegmentOf(leader.options().nodeId());
        for (ClusterFileStorage n : List.of(leader, node)) {
            n.readRoot();
            n.reclaimer().orElseThrow().release(List.of(sealed));
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> Boolean.TRUE.equals(
                node.replica().acknowledgement(sealed, leader.options().nodeId()))
                && Boolean.TRUE.equals(node.replica().acknowledgement(sealed, other)));

        // a commit of this node references an atom of the segment: not refused, but the acknowledgement goes first
        assertThat(node.reclaimer().orElseThrow().retiring(sealed)).isFalse();
        TestCluster.commit(node, new byte[] {2});

        assertThat(node.replica().acknowledgement(sealed, other)).as("withdrawn before the commit").isNull();
        assertThat(node.replica().acknowledgement(sealed, leader.options().nodeId()))
                .as("the leader's acknowledgement is stale after a commit of a node without one").isFalse();
        assertThat(node.condemnedSegments()).contains(sealed);
    }

    /** A clock the test moves. */
    static class MutableClock extends Clock {
        private final AtomicLong millis;

        MutableClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }
}
