package io.protobase.storage.memory;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The storage contract on the heap backend, plus what only it promises. */
class MemoryStorageTest extends SharedStorageContract {

    @Override
    protected SharedStorage createStorage() {
        return new MemoryStorage();
    }

    @Test
    void pointersOfTwoMemoryStoragesDoNotCollide() {
        MemoryStorage other = (MemoryStorage) track(createStorage());
        AtomPointer mine = storage.push(new byte[] {1});
        AtomPointer theirs = other.push(new byte[] {1});

        assertThat(mine).isNotEqualTo(theirs);
    }

    @Test
    void bytesStoredCountsEveryPushedByte() {
        MemoryStorage memory = (MemoryStorage) storage;
        memory.push(new byte[10]);
        memory.push(new byte[0]);
        memory.push(new byte[1000]);

        assertThat(memory.bytesStored()).isEqualTo(1010);
        assertThat(memory.describe()).contains("memory").contains("1010");
    }

    @Test
    void theSegmentBeingWrittenIsSealedOnceItWouldExceedTheSegmentSize() {
        MemoryStorage memory = new MemoryStorage(100);
        track(memory);
        AtomPointer a = memory.push(new byte[60]);
        AtomPointer b = memory.push(new byte[30]);
        AtomPointer c = memory.push(new byte[20]);

        assertThat(b.segmentId()).isEqualTo(a.segmentId());
        assertThat(c.segmentId()).isEqualTo(a.segmentId() + 1);
        SegmentReclaimer reclaimer = memory.reclaimer().orElseThrow();
        assertThat(reclaimer.segments()).containsExactly(
                new SegmentReclaimer.Segment(a.segmentId(), 90, true),
                new SegmentReclaimer.Segment(c.segmentId(), 20, false));
        assertThat(reclaimer.writingSegment()).isEqualTo(c.segmentId());
    }

    @Test
    void atomsOfEverySizeReadBackExactlyWhileTheirSegmentsGrowAndSeal() {
        MemoryStorage memory = new MemoryStorage(100_000);
        track(memory);
        List<AtomPointer> pointers = new ArrayList<>();
        List<byte[]> atoms = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            byte[] atom = new byte[(i * 7919) % 3_000];
            Arrays.fill(atom, (byte) i);
            atoms.add(atom);
            pointers.add(memory.push(atom));
        }

        assertThat(memory.reclaimer().orElseThrow().segments()).hasSizeGreaterThan(20);
        for (int i = 0; i < atoms.size(); i++) {
            assertThat(memory.read(pointers.get(i))).as("atom %d", i).isEqualTo(atoms.get(i));
        }
    }

    @Test
    void aPointerIntoTheMiddleOfAnAtomIsRefusedAsCorrupt() {
        AtomPointer p = storage.push(new byte[100]);
        AtomPointer inside = new AtomPointer(p.segmentId(), p.offset() + 10);

        assertThatThrownBy(() -> storage.read(inside)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("does not come from this storage");
    }

    @Test
    void releasingASegmentFreesItsBytesAndReadingIntoItFailsNamingTheSegment() {
        MemoryStorage memory = new MemoryStorage(100);
        track(memory);
        AtomPointer gone = memory.push(new byte[100]);
        AtomPointer kept = memory.push(new byte[] {7});
        SegmentReclaimer reclaimer = memory.reclaimer().orElseThrow();

        reclaimer.release(List.of(gone.segmentId()));

        assertThat(memory.bytesStored()).isEqualTo(1);
        assertThat(memory.bytesPushed()).isEqualTo(101);
        assertThat(memory.read(kept)).containsExactly(7);
        assertThat(reclaimer.segments()).extracting(SegmentReclaimer.Segment::id).containsExactly(kept.segmentId());
        assertThatThrownBy(() -> memory.read(gone))
                .isInstanceOf(SegmentReleasedException.class)
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(gone.toString())
                .hasMessageContaining("segment " + gone.segmentId() + " was released by compaction");
    }

    @Test
    void releaseIsIdempotentAndRefusesTheSegmentBeingWritten() {
        MemoryStorage memory = new MemoryStorage(100);
        track(memory);
        AtomPointer old = memory.push(new byte[100]);
        AtomPointer writing = memory.push(new byte[1]);
        SegmentReclaimer reclaimer = memory.reclaimer().orElseThrow();

        reclaimer.release(List.of(old.segmentId()));
        reclaimer.release(List.of(old.segmentId(), 12345L));

        assertThat(memory.bytesStored()).isEqualTo(1);
        assertThatThrownBy(() -> reclaimer.release(List.of(writing.segmentId())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segment " + writing.segmentId())
                .hasMessageContaining("still being written");
        assertThat(memory.read(writing)).hasSize(1);
    }

    @Test
    void aSegmentSizeThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> new MemoryStorage(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segment size must be positive, got 0");
    }
}
