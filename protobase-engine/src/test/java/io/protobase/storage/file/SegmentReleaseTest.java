package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SegmentReclaimer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The file storage's {@link SegmentReclaimer}: released segment files leave the directory, only
 * once no read uses them, and stay released across a reopen and a crash in the middle of a release.
 */
class SegmentReleaseTest {

    private static final long SEGMENT_SIZE = 64 * 1024;

    @TempDir
    Path dir;

    private StandaloneFileStorage open() {
        return open(FileAccess.DEFAULT);
    }

    private StandaloneFileStorage open(FileAccess access) {
        return new StandaloneFileStorage(new FileBlockProvider(dir, access),
                StandaloneFileStorage.Options.defaults().withSegmentSize(SEGMENT_SIZE));
    }

    private static SegmentReclaimer reclaimer(StandaloneFileStorage storage) {
        return storage.reclaimer().orElseThrow();
    }

    /** Pushes 4 KiB atoms until {@code segments} segments are sealed; returns their pointers. */
    private static List<AtomPointer> fill(StandaloneFileStorage storage, int segments) {
        List<AtomPointer> pushed = new ArrayList<>();
        byte[] atom = new byte[4096];
        for (int i = 0; storage.log().currentSegmentId() < segments + 1; i++) {
            atom[0] = (byte) i;
            pushed.add(storage.push(atom));
        }
        return pushed;
    }

    private static AtomPointer firstIn(List<AtomPointer> pushed, long segment) {
        return pushed.stream().filter(p -> p.segmentId() == segment).findFirst().orElseThrow();
    }

    private static void commit(StandaloneFileStorage storage, AtomPointer expected, AtomPointer root) {
        try (var lock = storage.acquireCommitLock(java.time.Duration.ofSeconds(10))) {
            assertThat(storage.compareAndSetRoot(lock, expected, root)).isTrue();
        }
    }

    private Path segmentFile(long id) {
        return dir.resolve(WalFormat.fileName(id));
    }

    @Test
    void releasedSegmentFilesLeaveTheDirectoryAndReadsIntoThemFailAsReleasedAlsoAfterReopen() {
        AtomPointer gone;
        AtomPointer kept;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 3);
            gone = firstIn(pushed, 2);
            kept = firstIn(pushed, 3);
            commit(storage, null, kept);

            reclaimer(storage).release(List.of(1L, 2L));

            assertThat(segmentFile(1)).doesNotExist();
            assertThat(segmentFile(2)).doesNotExist();
            assertThat(reclaimer(storage).segments()).extracting(SegmentReclaimer.Segment::id).doesNotContain(1L, 2L);
            assertThatThrownBy(() -> storage.read(gone)).isInstanceOf(SegmentReleasedException.class)
                    .hasMessageContaining(WalFormat.fileName(2)).hasMessageContaining("released by compaction");
        }
        try (StandaloneFileStorage reopened = open()) {
            assertThat(reopened.readRoot()).isEqualTo(kept);
            assertThat(reopened.read(kept)).hasSize(4096);
            assertThatThrownBy(() -> reopened.read(gone)).isInstanceOf(SegmentReleasedException.class)
                    .satisfies(e -> assertThat(((SegmentReleasedException) e).segmentId()).isEqualTo(2));
            assertThat(reclaimer(reopened).segments()).extracting(SegmentReclaimer.Segment::id)
                    .doesNotContain(1L, 2L).contains(3L);
        }
    }

    @Test
    void aDeferredReleaseRefusesReadsAtOnceAndDeletesTheFilesOnlyInItsDurableStep() {
        AtomPointer gone;
        AtomPointer kept;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 3);
            gone = firstIn(pushed, 2);
            kept = firstIn(pushed, 3);
            commit(storage, null, kept);

            Runnable durably = reclaimer(storage).releaseDeferred(List.of(2L));

            assertThatThrownBy(() -> storage.read(gone)).isInstanceOf(SegmentReleasedException.class);
            assertThat(reclaimer(storage).segments()).extracting(SegmentReclaimer.Segment::id).doesNotContain(2L);
            assertThat(segmentFile(2)).as("not recorded yet: the file stays").exists();
            durably.run();
            assertThat(segmentFile(2)).doesNotExist();
        }
        try (StandaloneFileStorage reopened = open()) {
            assertThatThrownBy(() -> reopened.read(gone)).isInstanceOf(SegmentReleasedException.class);
            assertThat(reopened.read(kept)).hasSize(4096);
        }
    }

    @Test
    void aDeferredReleaseWhoseDurableStepNeverRanLeavesTheSegmentReadableAfterTheReopen() {
        AtomPointer held;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 3);
            held = firstIn(pushed, 2);
            commit(storage, null, firstIn(pushed, 3));

            reclaimer(storage).releaseDeferred(List.of(2L)); // as if the process died before the step

            assertThatThrownBy(() -> storage.read(held)).isInstanceOf(SegmentReleasedException.class);
        }
        try (StandaloneFileStorage reopened = open()) {
            assertThat(reopened.read(held)).as("garbage a later compaction releases again, never a hole")
                    .hasSize(4096);
            assertThat(reclaimer(reopened).segments()).extracting(SegmentReclaimer.Segment::id).contains(2L);
        }
    }

    @Test
    void aSegmentFileMissingWithoutARecordedReleaseIsStillReportedAsMissing() throws IOException {
        AtomPointer inReleased;
        AtomPointer inMissing;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 3);
            inReleased = firstIn(pushed, 1);
            inMissing = firstIn(pushed, 2);
            reclaimer(storage).release(List.of(1L));
        }
        Files.delete(segmentFile(2));

        try (StandaloneFileStorage reopened = open()) {
            assertThatThrownBy(() -> reopened.read(inReleased)).isInstanceOf(SegmentReleasedException.class);
            assertThatThrownBy(() -> reopened.read(inMissing)).isInstanceOf(CorruptionException.class)
                    .isNotInstanceOf(SegmentReleasedException.class)
                    .hasMessageContaining(WalFormat.fileName(2)).hasMessageContaining("missing");
        }
    }

    @Test
    void theSegmentBeingWrittenIsNeverReleasedAndReleasingTwiceOrUnknownIdsChangesNothing() {
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 2);
            long writing = reclaimer(storage).writingSegment();

            assertThatThrownBy(() -> reclaimer(storage).release(List.of(1L, writing)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("still being written");
            assertThat(storage.read(firstIn(pushed, 1))).hasSize(4096);

            reclaimer(storage).release(List.of(1L));
            reclaimer(storage).release(List.of(1L, 999L));
            assertThat(storage.read(firstIn(pushed, 2))).hasSize(4096);
        }
        assertThat(dir.resolve(ReleaseLog.FILE)).hasSize(ReleaseLog.HEADER_SIZE + 4 + 8 + 4);
    }

    @Test
    void aReadInFlightKeepsAReleasedSegmentFileUntilItEnds() throws Exception {
        BlockingReads access = new BlockingReads();
        try (StandaloneFileStorage storage = open(access)) {
            List<AtomPointer> pushed = fill(storage, 2);
            AtomPointer pointer = firstIn(pushed, 1);
            access.blockNextReadOf(segmentFile(1));
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> storage.read(pointer));
            assertThat(access.blocked.await(10, TimeUnit.SECONDS)).as("the read reached the file").isTrue();

            reclaimer(storage).release(List.of(1L));

            assertThat(segmentFile(1)).as("kept while read").exists();
            assertThatThrownBy(() -> storage.read(pointer)).isInstanceOf(SegmentReleasedException.class);
            access.resume.countDown();
            assertThat(read.get(10, TimeUnit.SECONDS)).hasSize(4096);
            assertThat(segmentFile(1)).as("deleted by the last reader").doesNotExist();
        }
    }

    @Test
    void filesOfAReleaseACrashInterruptedAreDeletedByTheNextOpen() throws IOException {
        AtomPointer gone;
        byte[] leftOver;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 2);
            gone = firstIn(pushed, 1);
            leftOver = Files.readAllBytes(segmentFile(1));
            reclaimer(storage).release(List.of(1L));
        }
        // the release was durable, but the deletion of the file never reached the disk
        Files.write(segmentFile(1), leftOver);

        try (StandaloneFileStorage reopened = open()) {
            assertThat(segmentFile(1)).doesNotExist();
            assertThat(reopened.log().segmentIds()).doesNotContain(1L);
            assertThatThrownBy(() -> reopened.read(gone)).isInstanceOf(SegmentReleasedException.class);
        }
    }

    @Test
    void aReleaseTornByACrashBeforeItWasDurableReleasesNothingAndIsCutOff() throws IOException {
        AtomPointer kept;
        try (StandaloneFileStorage storage = open()) {
            List<AtomPointer> pushed = fill(storage, 3);
            kept = firstIn(pushed, 2);
            reclaimer(storage).release(List.of(1L));
        }
        long durable = Files.size(dir.resolve(ReleaseLog.FILE));
        // the start of a second record: its count and part of an id, without its checksum
        try (FileChannel log = FileChannel.open(dir.resolve(ReleaseLog.FILE), StandardOpenOption.WRITE)) {
            log.write(ByteBuffer.allocate(9).putInt(1).put(new byte[] {0, 0, 0, 0, 0}).flip(), durable);
        }

        try (StandaloneFileStorage reopened = open()) {
            assertThat(reopened.read(kept)).hasSize(4096);
            assertThat(reopened.log().segmentIds()).contains(2L);
        }
        assertThat(dir.resolve(ReleaseLog.FILE)).hasSize(durable);
    }

    @Test
    void aDamagedReleaseRecordFollowedByAValidOneFailsTheOpenAndChangesNothing() throws IOException {
        try (StandaloneFileStorage storage = open()) {
            fill(storage, 3);
            reclaimer(storage).release(List.of(1L));
            reclaimer(storage).release(List.of(2L));
        }
        Path log = dir.resolve(ReleaseLog.FILE);
        byte[] bytes = Files.readAllBytes(log);
        bytes[ReleaseLog.HEADER_SIZE + 4 + 7] ^= 1;
        Files.write(log, bytes);

        assertThatThrownBy(this::open).isInstanceOf(CorruptionException.class)
                .hasMessageContaining(log.toString()).hasMessageContaining("offset " + ReleaseLog.HEADER_SIZE)
                .hasMessageContaining("Restore the directory from a backup");
        assertThat(log).hasBinaryContent(bytes);
        assertThat(segmentFile(3)).exists();
    }

    @Test
    void theManifestMovesToFormat2WithTheFirstReleaseAndStaysAtFormat1Before() throws IOException {
        try (StandaloneFileStorage storage = open()) {
            fill(storage, 2);
            assertThat(manifestVersions()).containsOnly(1);

            reclaimer(storage).release(List.of(1L));

            assertThat(manifestVersions()).contains(2);
        }
        assertThat(manifestVersions()).containsOnly(2);
    }

    /** The format versions of the manifest's valid slots. */
    private List<Integer> manifestVersions() throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve(LogManifest.FILE));
        List<Integer> versions = new ArrayList<>();
        for (int at = 0; at + LogManifest.SLOT_SIZE <= bytes.length; at += LogManifest.SLOT_SIZE) {
            ByteBuffer slot = ByteBuffer.wrap(bytes, at, LogManifest.SLOT_SIZE).slice();
            if (slot.getInt(56) == WalFormat.crc(bytes, at, 56)) {
                versions.add(slot.getShort(8) & 0xFFFF);
            }
        }
        return versions;
    }

    @Test
    void aReleaseLogDeletedAfterAReleaseFailsTheOpenInsteadOfTakingReleasedSegmentsForMissing() throws IOException {
        try (StandaloneFileStorage storage = open()) {
            fill(storage, 3);
            reclaimer(storage).release(List.of(1L));
        }
        byte[] log = Files.readAllBytes(dir.resolve(ReleaseLog.FILE));
        Files.delete(dir.resolve(ReleaseLog.FILE));

        assertThatThrownBy(this::open).isInstanceOf(CorruptionException.class)
                .hasMessageContaining(dir.resolve(ReleaseLog.FILE).toString())
                .hasMessageContaining("deleted or cut short")
                .hasMessageContaining("Restore the directory from a backup");
        assertThat(dir.resolve(ReleaseLog.FILE)).doesNotExist();

        Files.write(dir.resolve(ReleaseLog.FILE), log);
        open().close();
    }

    /** Blocks the next read of one file until {@link #resume} opens, once the read has started. */
    private static final class BlockingReads implements FileAccess {
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        private volatile Path target;

        void blockNextReadOf(Path file) {
            target = file;
        }

        @Override
        public FileChannel open(Path path, OpenOption... options) throws IOException {
            return new ForwardingFileChannel(FileChannel.open(path, options)) {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    if (path.equals(target)) {
                        target = null;
                        blocked.countDown();
                        try {
                            resume.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted while blocked", e);
                        }
                    }
                    return super.read(dst, position);
                }
            };
        }
    }
}
