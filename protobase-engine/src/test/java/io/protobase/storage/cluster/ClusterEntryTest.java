package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The cloud cluster's log entries (restore, mark, uploaded) survive their byte layout, as the data entries do. */
class ClusterEntryTest {

    @Test
    void aRestoreFromTheBucketKeepsItsSourceRootAndSegmentLengths() {
        ClusterEntry.Restore restore = new ClusterEntry.Restore("orders", "h-1", 3, (2L << 32) | 9, 4711,
                new AtomPointer(5, 40), Map.of(5L, 100L, 6L, 7L));
        ClusterEntry back = ClusterEntry.decode(ByteBuffer.wrap(ClusterEntry.restore(restore).encode()));
        assertThat(back.kind()).isEqualTo(ClusterEntry.RESTORE);
        assertThat(back.restore()).isEqualTo(restore);
        assertThat(back.restore().fromBucket()).isTrue();
        assertThat(back.data()).isFalse();
    }

    @Test
    void aRestoreKeepsTheSegmentsTheBucketReleasedAndReadsAnEntryWrittenWithoutThem() {
        ClusterEntry.Restore restore = new ClusterEntry.Restore("orders", "h-3", 2, 1L << 32 | 4, 90,
                new AtomPointer(5, 40), Map.of(5L, 100L), Set.of(3L, 4L));
        byte[] bytes = ClusterEntry.restore(restore).encode();
        assertThat(ClusterEntry.decode(ByteBuffer.wrap(bytes)).restore()).isEqualTo(restore);
        // the layout before released segments ends after the lengths: such an entry names none
        byte[] older = Arrays.copyOf(bytes, bytes.length - 4 - 2 * 8);
        assertThat(ClusterEntry.decode(ByteBuffer.wrap(older)).restore().released()).isEmpty();
    }

    @Test
    void theStateOfSpaceReclamationAMarkCarriesSurvivesItsTextForm() {
        String text = "4294967298:1:57:1/2/3:1+/2-,4294967299:2:60::;4294967297,8589934593-8589934596";
        Map<Long, Integer> gone = new TreeMap<>();
        Map<Long, SegmentReplica.Condemned> condemned = new TreeMap<>();
        SegmentReplica.decodeReclaim(text, condemned, gone);
        assertThat(condemned).containsOnlyKeys(4294967298L, 4294967299L);
        assertThat(gone).containsOnlyKeys(4294967297L, 8589934593L, 8589934594L, 8589934595L, 8589934596L);
        assertThat(SegmentReplica.encodeReclaim(condemned, gone.keySet())).isEqualTo(text);
        assertThat(SegmentReplica.encodeReclaim(Map.of(), Set.of())).isEmpty();
    }

    @Test
    void anEmptyStartHasNoSourceAndNoRoot() {
        ClusterEntry.Restore restore = new ClusterEntry.Restore("orders", "h-2", 1, -1, -1, null, Map.of());
        ClusterEntry back = ClusterEntry.decode(ByteBuffer.wrap(ClusterEntry.restore(restore).encode()));
        assertThat(back.restore()).isEqualTo(restore);
        assertThat(back.restore().fromBucket()).isFalse();
    }

    @Test
    void marksAndUploadNoticesAreTheirKindAndIndexOnly() {
        assertThat(ClusterEntry.decode(ByteBuffer.wrap(ClusterEntry.mark().encode())).kind())
                .isEqualTo(ClusterEntry.MARK);
        ClusterEntry uploaded = ClusterEntry.decode(ByteBuffer.wrap(ClusterEntry.uploaded(77).encode()));
        assertThat(uploaded.kind()).isEqualTo(ClusterEntry.UPLOADED);
        assertThat(uploaded.markIndex()).isEqualTo(77);
    }

    @Test
    void aCommitStillCarriesItsPiecesAndRoots() {
        ClusterEntry commit = ClusterEntry.commit(List.of(new ClusterEntry.Piece(9, 0, new byte[] {1, 2, 3})),
                null, new AtomPointer(9, 0));
        ClusterEntry back = ClusterEntry.decode(ByteBuffer.wrap(commit.encode()));
        assertThat(back.commit()).isTrue();
        assertThat(back.data()).isTrue();
        assertThat(back.pieces().get(0).bytes()).containsExactly(1, 2, 3);
        assertThat(back.newRoot()).isEqualTo(new AtomPointer(9, 0));
        assertThat(back.expected()).isNull();
    }
}
