package io.protobase.storage.file;

import org.junit.jupiter.api.Tag;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write torn by a crash leaves the last segment cut short, or extended with bytes that never got
 * their data (zeros). For every byte offset inside the last commits of the log, a copy of the
 * directory is damaged that way; opening it must recover exactly the state of the last commit
 * whose record lies wholly before the cut (derived from the records on disk and checked against a
 * model of every committed state), and the recovered store must take new commits.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "^Recovering ")
@Tag("slow")
class TornWriteRecoveryTest {

    private static final long SEGMENT_SIZE = 64 * 1024;

    @TempDir
    Path work;

    /** Committed states by storage sequence number. */
    private final Map<Long, Bank.Snapshot> committed = new HashMap<>();

    @Test
    void truncatingTheLastSegmentAtEveryOffsetOfItsLastTwoCommitsRecoversTheLastCompleteCommit() {
        Path original = work.resolve("original");
        commit(original, 6, seg -> false);
        List<WalFiles.Rec> last = rootRecords(WalFiles.lastSegment(original));
        long from = last.get(last.size() - 3).end();
        long to = WalFiles.read(WalFiles.lastSegment(original)).length;

        int checked = sweep(original, from, to, Damage.TRUNCATE);

        assertThat(checked).isEqualTo(to - from + 1);
    }

    @Test
    void zerosAfterEveryOffsetOfTheLastCommitAreATornTailAndRecoverTheLastCompleteCommit() {
        Path original = work.resolve("original");
        commit(original, 6, seg -> false);
        List<WalFiles.Rec> last = rootRecords(WalFiles.lastSegment(original));
        long from = last.get(last.size() - 2).end();
        long to = WalFiles.read(WalFiles.lastSegment(original)).length;

        int checked = sweep(original, from, to, Damage.ZERO_FILL);

        assertThat(checked).isEqualTo(to - from);
    }

    @Test
    void truncatingASegmentJustStartedByRotationAtEveryOffsetRecoversTheLastCompleteCommit() {
        Path original = work.resolve("original");
        // commit until a commit record lands in a second segment: its header, checkpoint, the
        // rest of that commit's atoms and its commit record are all in the last segment
        commit(original, 10_000, segments -> segments > 1);
        assertThat(WalFiles.segments(original)).hasSize(2);
        long to = WalFiles.read(WalFiles.lastSegment(original)).length;

        int checked = sweep(original, 0, to, Damage.TRUNCATE);

        assertThat(checked).isEqualTo(to + 1);
    }

    @Test
    void aStoreTornWhileItsFirstSegmentWasBeingCreatedOpensEmptyAtEveryOffset() {
        Path live = work.resolve("live");
        Path original = work.resolve("original");
        // the image a crash right after creation leaves (a clean close would append a close record)
        try (ObjectSpace space = open(live)) {
            WalFiles.copy(live, original);
        }
        committed.put(0L, Bank.Snapshot.EMPTY);
        // header and checkpoint, then the zeros the log keeps allocated ahead of its end
        byte[] image = WalFiles.read(WalFiles.lastSegment(original));
        long to = WalFormat.HEADER_SIZE + WalFormat.RECORD_OVERHEAD + WalFormat.COMMIT_PAYLOAD;
        assertThat(image.length).isGreaterThan((int) to);
        assertThat(java.util.Arrays.copyOfRange(image, (int) to, image.length)).containsOnly(0);

        int checked = sweep(original, 0, to, Damage.TRUNCATE) + sweep(original, image.length, image.length,
                Damage.TRUNCATE);

        assertThat(checked).isEqualTo(to + 2);
    }

    private enum Damage { TRUNCATE, ZERO_FILL }

    /**
     * For every cut in [from, to] of the last segment: damages a copy, opens it, checks the
     * recovered state and that the store takes a new commit that survives another reopen.
     */
    private int sweep(Path original, long from, long to, Damage damage) {
        Path lastOriginal = WalFiles.lastSegment(original);
        long lastId = WalFiles.segmentId(lastOriginal);
        List<WalFiles.Rec> roots = WalFiles.allRecords(original).stream().filter(WalFiles.Rec::isRoot).toList();
        Set<Long> boundaries = WalFiles.records(lastOriginal).stream().map(WalFiles.Rec::end)
                .collect(Collectors.toSet());
        byte[] image = WalFiles.read(lastOriginal);
        int checked = 0;
        long end = damage == Damage.ZERO_FILL ? to - 1 : to;
        for (long cut = from; cut <= end; cut++) {
            // zeros written over bytes that are zero already change nothing: the damage starts at the first
            // byte from the cut on that was not zero (a record whose last bytes are zeros stays whole)
            long c = damage == Damage.ZERO_FILL ? firstNonZero(image, cut) : cut;
            long expected = roots.stream()
                    .filter(r -> r.segmentId() < lastId || r.end() <= c)
                    .mapToLong(WalFiles.Rec::sequence).max().orElse(0);
            Path copy = WalFiles.copy(original, work.resolve("cut-" + cut));
            Path segment = copy.resolve(lastOriginal.getFileName());
            if (damage == Damage.TRUNCATE) {
                WalFiles.truncate(segment, cut);
            } else {
                WalFiles.zeroFrom(segment, cut);
            }

            long next;
            try (ObjectSpace space = open(copy)) {
                StandaloneFileStorage storage = (StandaloneFileStorage) space.storage();
                assertThat(storage.sequence()).as("%s at offset %d: recovered sequence", damage, cut)
                        .isEqualTo(expected);
                Database db = space.getDatabase(Bank.DATABASE);
                assertThat(Bank.read(db)).as("%s at offset %d: recovered state", damage, cut)
                        .isEqualTo(committed.get(expected));
                next = Bank.transfer(db, new Random(cut));
            }
            // each reopen costs an fsync of the lock file: check the commit made after recovery at
            // the record boundaries and at every 8th offset between them
            if (boundaries.contains(cut) || cut % 8 == 0) {
                try (ObjectSpace space = open(copy)) {
                    Bank.Snapshot after = Bank.read(space.getDatabase(Bank.DATABASE));
                    assertThat(after.counter()).as("%s at offset %d: the commit after recovery", damage, cut)
                            .isEqualTo(next);
                    assertThat(after.total()).isEqualTo(Bank.TOTAL);
                }
            }
            WalFiles.deleteRecursively(copy);
            checked++;
        }
        return checked;
    }

    /** Commits up to {@code count} transfers into a new store, stopping when {@code stop} accepts the segment count. */
    private void commit(Path dir, int count, IntPredicate stop) {
        Random rnd = new Random(7);
        try (ObjectSpace space = open(dir)) {
            StandaloneFileStorage storage = (StandaloneFileStorage) space.storage();
            Database db = space.getDatabase(Bank.DATABASE);
            committed.put(storage.sequence(), Bank.read(db));
            for (int i = 0; i < count && !stop.test(WalFiles.segments(dir).size()); i++) {
                Bank.transfer(db, rnd);
                committed.put(storage.sequence(), Bank.read(db));
            }
        }
    }

    /** The offset of the first byte from {@code from} on that is not zero, or the length when none is. */
    private static long firstNonZero(byte[] image, long from) {
        for (long i = from; i < image.length; i++) {
            if (image[(int) i] != 0) {
                return i;
            }
        }
        return image.length;
    }

    private static List<WalFiles.Rec> rootRecords(Path segment) {
        return WalFiles.records(segment).stream().filter(WalFiles.Rec::isRoot).toList();
    }

    private static ObjectSpace open(Path dir) {
        return new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir, NoFsyncFileAccess.INSTANCE),
                StandaloneFileStorage.Options.defaults().withSegmentSize(SEGMENT_SIZE)));
    }
}
