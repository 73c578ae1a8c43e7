package io.protobase.spring.storage;

import io.protobase.CompactionResult;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compaction on a leased file storage (what Spring contexts use): it gives disk space back while
 * one lease holds the directory, and releases nothing while several share it, since the other
 * lease's space may still read versions this space's compaction does not know of.
 */
class LeasedFileStorageCompactionTests {

    private static final StandaloneFileStorage.Options OPTIONS = StandaloneFileStorage.Options.defaults()
            .withFsync(FsyncPolicy.NONE).withSegmentSize(64 * 1024);

    @TempDir
    Path dir;

    private static ObjectSpace space(LeasedFileStorage storage) {
        return ObjectSpace.builder(storage).historyRetention(Duration.ZERO).compactionMinDeadBytes(0).build();
    }

    /** Rewrites one large value often enough to leave several segments of superseded versions. */
    private static void churn(Database db) {
        for (int i = 0; i < 20; i++) {
            String value = ("value " + i + " ").repeat(2000);
            db.write(tx -> {
                tx.setRootObject("v", value);
                return null;
            });
        }
    }

    private List<Path> segmentFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pbl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aSoleLeaseCompactsAndTheReleasedSegmentFilesLeaveTheDirectory() {
        try (ObjectSpace space = space(FileStorageRegistry.lease(dir, OPTIONS))) {
            Database db = space.getDatabase("db");
            churn(db);
            int before = segmentFiles().size();

            CompactionResult result = space.compact();

            assertThat(result.segmentsReleased()).isPositive();
            assertThat(segmentFiles()).hasSizeLessThan(before);
            assertThat((String) db.read(tx -> tx.getRootObject("v"))).startsWith("value 19 ");
        }
    }

    @Test
    void whileAnotherLeaseSharesTheDirectoryCompactionReleasesNothingAndResumesOnceItIsGone() {
        try (ObjectSpace space = space(FileStorageRegistry.lease(dir, OPTIONS))) {
            Database db = space.getDatabase("db");
            LeasedFileStorage other = FileStorageRegistry.lease(dir, OPTIONS);
            try (ObjectSpace second = new ObjectSpace(other)) {
                churn(db);
                List<Path> before = segmentFiles();

                assertThat(space.compact().segmentsReleased()).isZero();
                assertThat(segmentFiles()).containsAll(before);
                assertThat((String) second.getDatabase("db").read(tx -> tx.getRootObject("v"))).startsWith("value 19 ");
            }

            assertThat(space.compact().segmentsReleased()).isPositive();
        }
    }
}
