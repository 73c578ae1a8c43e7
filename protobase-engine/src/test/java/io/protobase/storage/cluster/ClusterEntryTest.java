package io.protobase.storage.cluster;

import io.protobase.storage.AtomPointer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

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
