package io.protobase.storage.file;

import org.junit.jupiter.api.Tag;
import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A flipped bit in committed data never comes back as different data. In an older segment it is
 * found when the damaged atom is read ({@link CorruptionException} naming the segment file and the
 * record's offset; the rest of the data stays readable). After a crash, recovery scans the last
 * segment: damage to records that were fsynced before a later commit record was written fails the
 * open, since it cannot be a torn tail; damage to the last commit itself cannot be told from a write
 * torn by a power loss, and recovery keeps the commit before. After a clean close the open reads only
 * the close record at the end, and damage anywhere is found when the damaged atom is read. Sweeps over
 * every segment of both images check that each flip ends in the correct data (or, in the last commit
 * after a crash, the state before it) or a {@code CorruptionException} naming file and offset, and
 * nothing else.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "^Recovering ")
@Tag("slow")
class BitFlipDetectionTest {

    private static final long SEGMENT_SIZE = 64 * 1024;
    private static final int ITEMS = 1_000;

    @TempDir
    Path work;

    /** The segments and manifest as a crash right after the last commit leaves them. */
    private Path pristine;
    /** The segments after a clean close, ending in a close record. */
    private Path closed;
    private Path dir;

    /** The committed state: the items, the counter and the blob of the last commit, and of the one before. */
    private Stored last;
    private Stored beforeLast;

    /** Everything the test data holds, as read back from storage. */
    record Stored(Map<Integer, String> items, long counter, String blob) {
    }

    @BeforeEach
    void writeSeveralSegments() {
        closed = work.resolve("closed");
        pristine = work.resolve("pristine");
        Random rnd = new Random(97);
        TreeMap<Integer, String> items = new TreeMap<>();
        try (ObjectSpace space = open(closed)) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int i = 0; i < ITEMS; i++) {
                    String v = String.format("item-%05d-%s", i, "x".repeat(30));
                    b.setAt(i, v);
                    items.put(i, v);
                }
                tx.setRootObject("items", b.build());
                return null;
            });
            // later commits touch only the highest keys, so most leaves stay in the first segment
            for (int j = 0; WalFiles.segments(closed).size() < 4 || commitsInLastSegment(closed) < 3; j++) {
                int key = ITEMS - 1 - (j % 50);
                String value = "updated-" + j;
                String blob = randomText(rnd, 3_000);
                long counter = j + 1;
                db.write(tx -> {
                    tx.setRootObject("items", tx.getRootObject("items", Dictionary.class).setAt(key, value));
                    tx.setRootObject("counter", counter);
                    tx.setRootObject("blob", blob);
                    return null;
                });
                beforeLast = last;
                items.put(key, value);
                last = new Stored(new TreeMap<>(items), counter, blob);
            }
            WalFiles.copyWithManifest(closed, pristine);
        }
        dir = WalFiles.copyWithManifest(pristine, work.resolve("damaged"));
    }

    @Test
    void aFlippedBitInAnOlderSegmentFailsTheReadOfThatAtomNamingFileAndOffsetWhileOtherDataStaysReadable() {
        Path first = WalFiles.segments(dir).get(0);
        long at = indexOf(WalFiles.read(first), "item-00000-");
        WalFiles.Rec damaged = recordAt(WalFiles.records(first), at);
        assertThat(damaged.kind()).isEqualTo(WalFormat.KIND_ATOM);
        WalFiles.flipBit(first, at + 3, 2);

        try (ObjectSpace space = open(dir)) {
            Database db = space.getDatabase("db");
            assertThatThrownBy(() -> db.read(tx -> tx.getRootObject("items", Dictionary.class).getAt(0)))
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(first.getFileName().toString())
                    .hasMessageContaining("offset " + damaged.offset());
            Object highest = db.read(tx -> tx.getRootObject("items", Dictionary.class).getAt(ITEMS - 1));
            Object blob = db.read(tx -> tx.getRootObject("blob"));
            assertThat(highest).isEqualTo(last.items().get(ITEMS - 1));
            assertThat(blob).isEqualTo(last.blob());
        }
    }

    @Test
    void aFlippedBitInACommittedRecordOfTheLastSegmentFollowedByALaterCommitFailsTheOpenNamingFileAndOffset() {
        Path segment = WalFiles.lastSegment(dir);
        List<WalFiles.Rec> records = WalFiles.records(segment);
        WalFiles.Rec checkpoint = records.get(0);
        assertThat(checkpoint.kind()).isEqualTo(WalFormat.KIND_CHECKPOINT);
        WalFiles.Rec previousCommit = previousCommit(records);
        int checked = 0;
        // every byte of the header, the checkpoint and the commit record before the last commit,
        // and every 61st byte of the records between them
        for (long at = 0; at < previousCommit.end(); at++) {
            if (at >= checkpoint.end() && at < previousCommit.offset() && at % 61 != 0) {
                continue;
            }
            restoreAll();
            WalFiles.flipBit(segment, at, (int) (at % 8));
            if (at >= 36 && at < WalFormat.HEADER_SIZE) {
                // the header's last 4 bytes are reserved, outside its CRC and never interpreted
                storage(dir).close();
                continue;
            }
            long offset = at < WalFormat.HEADER_SIZE ? 0 : recordAt(records, at).offset();
            Throwable failure = catchThrowable(() -> storage(dir).close());
            assertThat(failure).as("bit flipped at offset %d of %s", at, segment.getFileName())
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(segment.getFileName().toString())
                    .hasMessageContaining("at offset " + offset);
            checked++;
        }
        assertThat(checked).isGreaterThan(WalFormat.HEADER_SIZE + 2 * WalFormat.COMMIT_PAYLOAD);
    }

    /**
     * The records of the last commit were not yet all fsynced when its commit record was written, so
     * damage there looks exactly like a write that a power loss tore or reordered: recovery keeps the
     * commit before (never anything else) rather than refusing to start.
     */
    @Test
    void aFlippedBitInTheLastCommitIsTakenForATornWriteAndRecoversTheCommitBefore() {
        Path segment = WalFiles.lastSegment(dir);
        List<WalFiles.Rec> records = WalFiles.records(segment);
        WalFiles.Rec lastCommit = records.get(records.size() - 1);
        assertThat(lastCommit.kind()).isEqualTo(WalFormat.KIND_COMMIT);
        int checked = 0;
        for (long at = previousCommit(records).end(); at < lastCommit.end(); at++) {
            if (at < lastCommit.offset() && at % 17 != 0) {
                continue;
            }
            restoreAll();
            WalFiles.flipBit(segment, at, (int) (at % 8));
            Outcome outcome = openAndReadEverything();
            assertThat(outcome.failure).as("bit flipped at offset %d", at).isNull();
            assertThat(outcome.stored).as("bit flipped at offset %d", at).isEqualTo(beforeLast);
            checked++;
        }
        assertThat(checked).isGreaterThan(WalFormat.COMMIT_PAYLOAD);
    }

    @Test
    void sweepingFlipsOverEverySegmentGivesEitherTheCorrectDataOrACorruptionException() {
        int correct = 0;
        int failedOpen = 0;
        int failedRead = 0;
        Path lastSegment = WalFiles.lastSegment(dir);
        long lastCommitStart = previousCommit(WalFiles.records(lastSegment)).end();
        List<Path> segments = WalFiles.segments(dir);
        for (int i = 0; i < segments.size(); i++) {
            Path segment = segments.get(i);
            long size = WalFiles.read(segment).length;
            for (long at : sweepPositions(size, i, 97)) {
                WalFiles.flipBit(segment, at, (int) (at % 8));
                Outcome outcome = openAndReadEverything();
                String where = segment.getFileName() + " offset " + at;
                if (outcome.failure != null) {
                    assertThat(outcome.failure).as(where).isInstanceOf(CorruptionException.class)
                            .hasMessageMatching("(?s).*wal-[0-9a-f]{16}\\.pbl.* at offset \\d+.*");
                    if (outcome.opened) {
                        failedRead++;
                    } else {
                        failedOpen++;
                    }
                } else if (segment.equals(lastSegment) && at >= lastCommitStart) {
                    // damage to the last commit is indistinguishable from a torn write of it
                    assertThat(outcome.stored).as(where).isIn(last, beforeLast);
                } else {
                    assertThat(outcome.stored).as(where).isEqualTo(last);
                    correct++;
                }
                restoreAll();
            }
        }
        assertThat(correct).isPositive();
        assertThat(failedOpen).isPositive();
        assertThat(failedRead).isPositive();
    }

    @Test
    void aCleanCloseEndsTheLogInACloseRecordThatCountsEverythingBeforeItAsDurable() {
        List<WalFiles.Rec> records = WalFiles.records(WalFiles.lastSegment(closed));
        WalFiles.Rec end = records.get(records.size() - 1);
        assertThat(end.kind()).isEqualTo(WalFormat.KIND_CLOSE);
        assertThat(records.get(records.size() - 2).kind()).isEqualTo(WalFormat.KIND_COMMIT);
        restoreAll(closed);
        assertThat(openAndReadEverything().stored).isEqualTo(last);
    }

    @Test
    void afterACleanCloseAFlippedBitInTheLastSegmentIsReportedWhenTheDamagedAtomIsRead() {
        restoreAll(closed);
        Path segment = WalFiles.lastSegment(dir);
        List<WalFiles.Rec> records = WalFiles.records(segment);
        WalFiles.Rec lastCommit = records.get(records.size() - 2);
        // the last atom before the last commit record: part of the last commit (the counter, blob or catalog)
        WalFiles.Rec atom = records.get(records.size() - 3);
        assertThat(atom.kind()).isEqualTo(WalFormat.KIND_ATOM);
        assertThat(lastCommit.kind()).isEqualTo(WalFormat.KIND_COMMIT);
        WalFiles.flipBit(segment, atom.offset() + 7, 3);

        Outcome outcome = openAndReadEverything();

        assertThat(outcome.failure).isInstanceOf(CorruptionException.class)
                .hasMessageContaining(segment.getFileName().toString())
                .hasMessageContaining("at offset " + atom.offset());
    }

    @Test
    void aFlippedBitInTheCloseRecordFallsBackToTheRecoveryScanAndKeepsTheLastCommit() {
        restoreAll(closed);
        Path segment = WalFiles.lastSegment(dir);
        List<WalFiles.Rec> records = WalFiles.records(segment);
        WalFiles.Rec end = records.get(records.size() - 1);
        for (long at = end.offset(); at < end.end(); at++) {
            restoreAll(closed);
            WalFiles.flipBit(segment, at, (int) (at % 8));
            Outcome outcome = openAndReadEverything();
            assertThat(outcome.failure).as("bit flipped at offset %d", at).isNull();
            assertThat(outcome.stored).as("bit flipped at offset %d", at).isEqualTo(last);
        }
    }

    @Test
    void sweepingFlipsOverACleanlyClosedStoreGivesEitherTheCorrectDataOrACorruptionException() {
        int correct = 0;
        int failed = 0;
        restoreAll(closed);
        List<Path> segments = WalFiles.segments(dir);
        for (int i = 0; i < segments.size(); i++) {
            Path segment = segments.get(i);
            long size = WalFiles.read(segment).length;
            for (long at : sweepPositions(size, i, 193)) {
                WalFiles.flipBit(segment, at, (int) (at % 8));
                Outcome outcome = openAndReadEverything();
                String where = segment.getFileName() + " offset " + at;
                if (outcome.failure != null) {
                    assertThat(outcome.failure).as(where).isInstanceOf(CorruptionException.class)
                            .hasMessageMatching("(?s).*wal-[0-9a-f]{16}\\.pbl.* at offset \\d+.*");
                    failed++;
                } else {
                    assertThat(outcome.stored).as(where).isEqualTo(last);
                    correct++;
                }
                restoreAll(closed);
            }
        }
        assertThat(correct).isPositive();
        assertThat(failed).isPositive();
    }

    private record Outcome(boolean opened, Stored stored, Throwable failure) {
    }

    private Outcome openAndReadEverything() {
        StandaloneFileStorage storage;
        ObjectSpace space;
        try {
            storage = storage(dir);
        } catch (RuntimeException e) {
            return new Outcome(false, null, e);
        }
        try {
            space = new ObjectSpace(storage);
        } catch (RuntimeException e) {
            storage.close();
            return new Outcome(false, null, e);
        }
        try (space) {
            Stored[] read = new Stored[1];
            Throwable failure = catchThrowable(() -> read[0] = space.getDatabase("db").read(tx -> {
                Map<Integer, String> items = new TreeMap<>();
                tx.getRootObject("items", Dictionary.class)
                        .forEach(e -> items.put(((Number) e.getKey()).intValue(), (String) e.getValue()));
                return new Stored(items, ((Number) tx.getRootObject("counter")).longValue(),
                        (String) tx.getRootObject("blob"));
            }));
            return new Outcome(true, read[0], failure);
        }
    }

    /**
     * Puts back the undamaged segments and the manifest (recovery may also have truncated or removed
     * a segment, and each open rewrites the manifest).
     */
    private void restoreAll() {
        restoreAll(pristine);
    }

    private void restoreAll(Path image) {
        try {
            for (Path s : WalFiles.segments(dir)) {
                Files.delete(s);
            }
            Files.deleteIfExists(dir.resolve(LogManifest.FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        WalFiles.copyWithManifest(image, dir);
    }

    /** Every byte of the header, then every 97th byte, starting at another phase in each segment. */
    private static long[] sweepPositions(long size, int segmentIndex, int stride) {
        return LongStream.concat(LongStream.range(0, WalFormat.HEADER_SIZE),
                LongStream.iterate(WalFormat.HEADER_SIZE + 13L * segmentIndex, at -> at < size, at -> at + stride))
                .toArray();
    }

    /** The commit record before the last one. */
    private static WalFiles.Rec previousCommit(List<WalFiles.Rec> records) {
        List<WalFiles.Rec> commits = records.stream().filter(r -> r.kind() == WalFormat.KIND_COMMIT).toList();
        return commits.get(commits.size() - 2);
    }

    private static long commitsInLastSegment(Path dir) {
        return WalFiles.records(WalFiles.lastSegment(dir)).stream()
                .filter(r -> r.kind() == WalFormat.KIND_COMMIT).count();
    }

    private static WalFiles.Rec recordAt(List<WalFiles.Rec> records, long at) {
        return records.stream().filter(r -> r.offset() <= at && at < r.end()).findFirst()
                .orElseThrow(() -> new AssertionError("no record at " + at));
    }

    private static long indexOf(byte[] bytes, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + t.length <= bytes.length; i++) {
            for (int j = 0; j < t.length; j++) {
                if (bytes[i + j] != t[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("'" + text + "' is not in the segment");
    }

    private static String randomText(Random rnd, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    private static StandaloneFileStorage storage(Path dir) {
        return new StandaloneFileStorage(new FileBlockProvider(dir, NoFsyncFileAccess.INSTANCE),
                StandaloneFileStorage.Options.defaults().withSegmentSize(SEGMENT_SIZE));
    }

    private static ObjectSpace open(Path dir) {
        return new ObjectSpace(storage(dir));
    }
}
