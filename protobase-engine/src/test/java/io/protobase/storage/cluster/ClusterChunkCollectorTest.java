package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.RootObjectWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cloud cluster's chunk collector on its own, over {@link MockS3Client} and a fixed clock: a leader deletes
 * the chunks of a released segment once the grace has passed, and a leader whose epoch is no longer the root
 * object's (deposed after its last root update, before its deletions) deletes nothing.
 */
class ClusterChunkCollectorTest {

    private static final long SEGMENT = (1L << 40) | (1L << 20) | 1;
    private static final long LIVE = (2L << 40) | (1L << 20) | 1;

    @TempDir
    Path dir;

    private static RootObject root(long epoch, String writer, long releasedAt) {
        TreeMap<Long, Long> lengths = new TreeMap<>(Map.of(LIVE, 10L));
        TreeMap<Long, Long> released = new TreeMap<>(Map.of(SEGMENT, releasedAt));
        return RootObject.ofCluster("c", epoch, writer, "c/h", 7, 1, new AtomPointer(LIVE, 0), lengths, new TreeMap<>())
                .withSegments(new TreeSet<>(lengths.keySet()), released);
    }

    @Test
    void aReleasedSegmentsChunksGoAfterTheGraceOnlyWhileTheRootObjectCarriesTheLeadersEpoch() {
        MockS3Client bucket = new MockS3Client();
        CloudBlockProvider provider = new CloudBlockProvider(bucket, "c/", dir);
        String released = provider.chunkKey(SEGMENT, 0);
        String live = provider.chunkKey(LIVE, 0);
        bucket.putIfAbsent(released, new byte[] {1}, Map.of());
        bucket.putIfAbsent(live, new byte[10], Map.of());
        long epoch = 1L << 32 | 3;
        RootObjectWriter leader = new RootObjectWriter(provider, "leader", Map.of());
        RootObject written = root(epoch, "leader", 1_000);
        try {
            leader.publish(written);
        } catch (RootObjectWriter.TakenOver e) {
            throw new AssertionError(e);
        }
        SegmentReplica replica = new SegmentReplica(id -> false, (id, from, to) -> { }, null);
        ClusterCompactionTest.MutableClock clock =
                new ClusterCompactionTest.MutableClock(Instant.ofEpochMilli(1_500));
        ClusterChunkCollector deposed = new ClusterChunkCollector(provider, replica, 1_000, clock);
        deposed.adopt(written);
        assertThat(deposed.pendingSegmentDeletions()).isEqualTo(1);

        // within the grace: nothing goes
        deposed.collect(leader, epoch, () -> true);
        assertThat(bucket.keys()).contains(released, live);

        // past the grace, but another leader claimed the root object meanwhile: the deposed one deletes nothing,
        // though it still believes it leads (paused after its last root update, before its deletions)
        clock.advance(Duration.ofSeconds(1));
        RootObjectWriter successor = new RootObjectWriter(provider, "successor", Map.of());
        RootObject claimed = successor.adopt().orElseThrow().claimedBy(epoch + 1, "successor", "c/h");
        try {
            successor.publish(claimed);
        } catch (RootObjectWriter.TakenOver e) {
            throw new AssertionError(e);
        }
        deposed.collect(leader, epoch, () -> true);
        assertThat(bucket.keys()).contains(released, live);
        assertThat(deposed.deletedSegments()).isZero();

        // the new leader took the released list over from the root object: it deletes that segment's chunks only
        ClusterChunkCollector collector = new ClusterChunkCollector(provider, replica, 1_000, clock);
        collector.adopt(claimed);
        collector.collect(successor, epoch + 1, () -> true);
        assertThat(bucket.keys()).contains(live).doesNotContain(released);
        assertThat(collector.deletedSegments()).isEqualTo(1);
        assertThat(collector.pendingSegmentDeletions()).isZero();
        assertThat(collector.rootStale()).as("the next root drops it from released=").isTrue();
        assertThat(collector.next(new UploadMarks.Mark(9, 1, new AtomPointer(LIVE, 0),
                new TreeMap<>(Map.of(LIVE, 10L)), new TreeMap<>(), "")).released()).isEmpty();
    }

    @Test
    void aPassStopsStartingDeletionsOnceItsBudgetIsSpentAndTheNextPassesGoOn() {
        MockS3Client bucket = new MockS3Client();
        CloudBlockProvider provider = new CloudBlockProvider(bucket, "c/", dir);
        TreeMap<Long, Long> released = new TreeMap<>();
        for (long i = 0; i < 6; i++) {
            long id = SEGMENT + (i << 20);
            released.put(id, 1_000L);
            bucket.putIfAbsent(provider.chunkKey(id, 0), new byte[] {1}, Map.of());
        }
        long epoch = 1L << 32 | 3;
        RootObjectWriter leader = new RootObjectWriter(provider, "leader", Map.of());
        TreeMap<Long, Long> lengths = new TreeMap<>(Map.of(LIVE, 10L));
        RootObject written = RootObject.ofCluster("c", epoch, "leader", "c/h", 7, 1, new AtomPointer(LIVE, 0), lengths,
                new TreeMap<>()).withSegments(new TreeSet<>(lengths.keySet()), released);
        try {
            leader.publish(written);
        } catch (RootObjectWriter.TakenOver e) {
            throw new AssertionError(e);
        }
        // every look at the clock finds it 400 ms later: a bucket that takes that long per request
        ClusterCompactionTest.MutableClock clock = new ClusterCompactionTest.MutableClock(Instant.ofEpochMilli(5_000)) {
            @Override
            public Instant instant() {
                Instant now = super.instant();
                advance(Duration.ofMillis(400));
                return now;
            }
        };
        SegmentReplica replica = new SegmentReplica(id -> false, (id, from, to) -> { }, null);
        ClusterChunkCollector collector = new ClusterChunkCollector(provider, replica, 1_000, clock);
        collector.adopt(written);

        collector.collect(leader, epoch, () -> true);
        long first = collector.deletedSegments();
        assertThat(first).as("deleted in the first pass").isBetween(1L, 5L);
        assertThat(collector.pendingSegmentDeletions()).isEqualTo(6 - (int) first);
        assertThat(collector.rootStale()).isTrue();

        for (int pass = 0; pass < 6 && collector.pendingSegmentDeletions() > 0; pass++) {
            collector.collect(leader, epoch, () -> true);
        }
        assertThat(collector.deletedSegments()).isEqualTo(6);
        assertThat(bucket.keys()).noneMatch(k -> released.keySet().stream()
                .anyMatch(id -> k.equals(provider.chunkKey(id, 0))));
    }
}
