package io.protobase.storage.file;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bytes missing from a log are damage, not a torn tail, wherever the storage can know it: in the
 * last segment of a cleanly closed log (the manifest records its length), in any sealed segment
 * (the next segment's checkpoint records its length), and below the commit the manifest recorded
 * as durable. Each such open fails with a {@link CorruptionException} naming the file and changes
 * nothing, so opening again fails again. A torn tail after a crash still recovers.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "^Recovering ")
class LogTruncationDetectionTest {

    private static final long SEGMENT_SIZE = 64 * 1024;
    private static final int COMMITS = 200;
    private static final int TRIALS = 40;

    @TempDir
    Path work;

    /** The log after {@link #COMMITS} commits and a clean close. */
    private Path closed;
    /** The same log as a crash right after the last commit leaves it (manifest still open). */
    private Path crashed;
    private Bank.Snapshot last;

    @BeforeEach
    void commitIntoSeveralSegments() {
        closed = work.resolve("closed");
        crashed = work.resolve("crashed");
        Random rnd = new Random(11);
        try (ObjectSpace space = open(closed)) {
            Database db = space.getDatabase(Bank.DATABASE);
            for (int i = 0; i < COMMITS; i++) {
                Bank.Transfer.random(rnd, 3_000).commit(db);
            }
            last = Bank.read(db);
            WalFiles.copyWithManifest(closed, crashed);
        }
        assertThat(WalFiles.segments(closed)).hasSizeGreaterThan(2);
        assertThat(last.counter()).isEqualTo(COMMITS);
    }

    @Test
    void truncatingTheLastSegmentOfACleanlyClosedLogAtAnyOffsetFailsTheOpenNamingTheFile() {
        Path segment = WalFiles.lastSegment(closed);
        long length = WalFiles.read(segment).length;
        Random rnd = new Random(5);
        List<Long> cuts = new ArrayList<>(List.of(0L, 1L, (long) WalFormat.HEADER_SIZE,
                length - WalFormat.ROOT_RECORD_SIZE, length - 1));
        for (int i = 0; i < TRIALS; i++) {
            cuts.add((long) rnd.nextInt((int) length));
        }
        for (long cut : cuts) {
            Path copy = WalFiles.copyWithManifest(closed, work.resolve("cut-" + cut));
            WalFiles.truncate(copy.resolve(segment.getFileName()), cut);

            assertOpenFailsNaming(copy, segment.getFileName(), "cut at " + cut);
            WalFiles.deleteRecursively(copy);
        }
    }

    @Test
    void truncatingASealedSegmentAtAnyOffsetFailsTheOpenNamingTheFileAfterACleanCloseAndAfterACrash() {
        List<Path> segments = WalFiles.segments(closed);
        Random rnd = new Random(6);
        for (Path image : List.of(closed, crashed)) {
            for (int i = 0; i < TRIALS; i++) {
                Path sealed = segments.get(rnd.nextInt(segments.size() - 1)).getFileName();
                long cut = rnd.nextInt(WalFiles.read(image.resolve(sealed)).length);
                Path copy = WalFiles.copyWithManifest(image, work.resolve("cut-" + i));
                WalFiles.truncate(copy.resolve(sealed), cut);

                assertOpenFailsNaming(copy, sealed, image.getFileName() + ", " + sealed + " cut at " + cut);
                WalFiles.deleteRecursively(copy);
            }
        }
    }

    @Test
    void aSealedSegmentCutShortIsFoundEvenWithoutAManifest() {
        Path sealed = WalFiles.segments(crashed).get(1).getFileName();
        Path copy = WalFiles.copy(crashed, work.resolve("no-manifest"));
        WalFiles.truncate(copy.resolve(sealed), WalFiles.read(copy.resolve(sealed)).length - 1);

        assertOpenFailsNaming(copy, sealed, "without a manifest");
    }

    @Test
    void deletingTheLastSegmentFailsTheOpenNamingItAfterACleanCloseAndAfterACrash() {
        Path lastSegment = WalFiles.lastSegment(closed).getFileName();
        for (Path image : List.of(closed, crashed)) {
            Path copy = WalFiles.copyWithManifest(image, work.resolve("deleted-" + image.getFileName()));
            WalFiles.delete(copy.resolve(lastSegment));

            assertOpenFailsNaming(copy, lastSegment, image.getFileName().toString());
        }
    }

    @Test
    void aSegmentTheManifestNamesAsCreatedIsNotTakenForTheResidueOfAnInterruptedCreation() {
        Path lastSegment = WalFiles.lastSegment(crashed).getFileName();
        // the same cut without the manifest is what a crash while creating the segment leaves
        Path withoutManifest = WalFiles.copy(crashed, work.resolve("without-manifest"));
        WalFiles.truncate(withoutManifest.resolve(lastSegment), 0);
        try (ObjectSpace space = open(withoutManifest)) {
            assertThat(Bank.read(space.getDatabase(Bank.DATABASE)).counter()).isLessThan(COMMITS);
        }

        // the manifest was written once the segment was complete (at rotation): it was cut short since
        Path copy = WalFiles.copyWithManifest(crashed, work.resolve("emptied"));
        WalFiles.truncate(copy.resolve(lastSegment), 0);

        assertOpenFailsNaming(copy, lastSegment, "last segment emptied");
    }

    @Test
    void aManifestWrittenByANewerFormatVersionFailsTheOpenAskingForAnUpgrade() {
        Path manifest = closed.resolve(LogManifest.FILE);
        byte[] bytes = WalFiles.read(manifest);
        for (int slot = 0; slot < 2; slot++) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes, slot * LogManifest.SLOT_SIZE, LogManifest.SLOT_SIZE)
                    .slice();
            b.putShort(8, (short) (LogManifest.VERSION + 1));
            b.putInt(56, WalFormat.crc(bytes, slot * LogManifest.SLOT_SIZE, 56));
        }
        WalFiles.write(manifest, bytes);

        assertThatThrownBy(() -> open(closed).close())
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(manifest.toAbsolutePath().toString())
                .hasMessageContaining("newer ProtoBase");
    }

    @Test
    void aTornTailAfterACrashStillRecoversTheLastCompleteCommit() {
        Path segment = WalFiles.lastSegment(crashed);
        List<WalFiles.Rec> commits = WalFiles.records(segment).stream()
                .filter(r -> r.kind() == WalFormat.KIND_COMMIT).toList();
        WalFiles.Rec lastCommit = commits.get(commits.size() - 1);
        for (long cut = lastCommit.offset(); cut < lastCommit.end(); cut += 7) {
            Path copy = WalFiles.copyWithManifest(crashed, work.resolve("torn-" + cut));
            WalFiles.truncate(copy.resolve(segment.getFileName()), cut);

            try (ObjectSpace space = open(copy)) {
                assertThat(Bank.read(space.getDatabase(Bank.DATABASE)).counter()).as("cut at %d", cut)
                        .isEqualTo(COMMITS - 1);
            }
            WalFiles.deleteRecursively(copy);
        }
    }

    @Test
    void afterACrashALogCutBelowTheCommitDurableAtOpenFailsTheOpen() {
        // reopened: the manifest records commit COMMITS as durable; two more commits, then a crash
        Path image = work.resolve("reopened-crash");
        try (ObjectSpace space = open(closed)) {
            Database db = space.getDatabase(Bank.DATABASE);
            Random rnd = new Random(8);
            Bank.transfer(db, rnd);
            Bank.transfer(db, rnd);
            WalFiles.copyWithManifest(closed, image);
        }
        long durableSequence = lastCommitSequence(crashed);
        WalFiles.Rec durableAtOpen = WalFiles.allRecords(image).stream()
                .filter(r -> r.kind() == WalFormat.KIND_COMMIT && r.sequence() == durableSequence)
                .findFirst().orElseThrow();
        Path segment = image.resolve(WalFormat.fileName(durableAtOpen.segmentId()));
        WalFiles.truncate(segment, durableAtOpen.end() - 1);

        assertOpenFailsNaming(image, segment.getFileName(), "cut inside the commit durable at open");
    }

    @Test
    void aCleanlyClosedLogOpensAfterEitherSlotOfItsManifestIsTornAndOnlyBothTornFailTheOpen() {
        Path manifest = closed.resolve(LogManifest.FILE);
        byte[] intact = WalFiles.read(manifest);
        for (int slot = 0; slot < 2; slot++) {
            byte[] torn = intact.clone();
            torn[slot * LogManifest.SLOT_SIZE + 20] ^= 1;
            Path copy = WalFiles.copyWithManifest(closed, work.resolve("slot-" + slot));
            WalFiles.write(copy.resolve(LogManifest.FILE), torn);

            try (ObjectSpace space = open(copy)) {
                assertThat(Bank.read(space.getDatabase(Bank.DATABASE))).as("slot %d torn", slot).isEqualTo(last);
            }
        }
        byte[] bothTorn = intact.clone();
        bothTorn[20] ^= 1;
        bothTorn[LogManifest.SLOT_SIZE + 20] ^= 1;
        Path copy = WalFiles.copyWithManifest(closed, work.resolve("both"));
        WalFiles.write(copy.resolve(LogManifest.FILE), bothTorn);

        assertOpenFailsNaming(copy, Path.of(LogManifest.FILE), "both slots torn");
    }

    @Test
    void aLogWithoutAManifestOpensAndIsProtectedFromItsNextCleanCloseOn() {
        Path copy = WalFiles.copy(closed, work.resolve("earlier-version"));
        try (ObjectSpace space = open(copy)) {
            assertThat(Bank.read(space.getDatabase(Bank.DATABASE))).isEqualTo(last);
        }
        Path segment = WalFiles.lastSegment(copy);
        WalFiles.truncate(segment, WalFiles.read(segment).length - 1);

        assertOpenFailsNaming(copy, segment.getFileName(), "truncated after the first clean close");
    }

    /** Opening fails with a CorruptionException naming the file and changes nothing: the next open fails too. */
    private static void assertOpenFailsNaming(Path dir, Path file, String context) {
        List<byte[]> before = WalFiles.segments(dir).stream().map(WalFiles::read).toList();
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> open(dir).close()).as(context)
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(file.getFileName().toString())
                    .hasMessageContaining(dir.toAbsolutePath().toString());
            assertThat(WalFiles.segments(dir).stream().map(WalFiles::read).toList()).as(context)
                    .containsExactlyElementsOf(before);
        }
    }

    private static long lastCommitSequence(Path dir) {
        return WalFiles.records(WalFiles.lastSegment(dir)).stream().filter(r -> r.kind() == WalFormat.KIND_COMMIT)
                .mapToLong(WalFiles.Rec::sequence).max().orElseThrow();
    }

    private static ObjectSpace open(Path dir) {
        return new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir, NoFsyncFileAccess.INSTANCE),
                StandaloneFileStorage.Options.defaults().withSegmentSize(SEGMENT_SIZE)));
    }
}
