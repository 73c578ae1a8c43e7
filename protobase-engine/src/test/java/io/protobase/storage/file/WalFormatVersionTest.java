package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A directory written by a newer WAL format fails to open with a message that says so, and is left
 * untouched; a header whose version field was damaged is reported as corruption, not as a newer
 * format.
 */
class WalFormatVersionTest {

    @TempDir
    Path dir;

    @BeforeEach
    void writeTwoSegments() {
        Random rnd = new Random(5);
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withSegmentSize(64 * 1024)))) {
            var db = space.getDatabase(Bank.DATABASE);
            while (WalFiles.segments(dir).size() < 2) {
                Bank.transfer(db, rnd);
            }
            Bank.transfer(db, rnd);
        }
    }

    @Test
    void openingFailsWhenTheLastSegmentWasWrittenByANewerFormatVersion() {
        Path last = WalFiles.lastSegment(dir);
        rewriteVersion(last, 2, true);
        byte[] before = WalFiles.read(last);

        assertThatThrownBy(this::open)
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("newer")
                .hasMessageContaining(last.getFileName().toString())
                .hasMessageContaining("WAL format 2");
        assertThat(WalFiles.read(last)).as("the segment is left as it was").isEqualTo(before);
    }

    @Test
    void openingFailsWhenAnOlderSegmentWasWrittenByANewerFormatVersion() {
        Path first = WalFiles.segments(dir).get(0);
        rewriteVersion(first, 2, true);

        assertThatThrownBy(this::open)
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("newer")
                .hasMessageContaining(first.getFileName().toString());
    }

    @Test
    void aDamagedVersionFieldIsReportedAsAChecksumMismatchNotAsANewerFormat() {
        for (Path segment : List.of(WalFiles.segments(dir).get(0), WalFiles.lastSegment(dir))) {
            byte[] original = WalFiles.read(segment);
            rewriteVersion(segment, 1 | 1 << 8, false);

            assertThatThrownBy(this::open)
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(segment.getFileName().toString())
                    .hasMessageContaining("at offset 0")
                    .hasMessageContaining("checksum")
                    .hasMessageNotContaining("newer");
            WalFiles.write(segment, original);
        }
        open();
    }

    /** Writes {@code version} into the header of {@code segment}, fixing the header CRC if asked. */
    private static void rewriteVersion(Path segment, int version, boolean fixCrc) {
        byte[] bytes = WalFiles.read(segment);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.putShort(8, (short) version);
        if (fixCrc) {
            b.putInt(32, WalFormat.crc(bytes, 0, 32));
        }
        WalFiles.write(segment, bytes);
    }

    private void open() {
        new StandaloneFileStorage(new FileBlockProvider(dir)).close();
    }
}
