package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/**
 * The child process of {@link CompactionKillNineTest}: opens a file storage ({@code fsync=commit},
 * 64 KiB segments so the log rotates often) and commits {@link Bank} transfers with notes of up to
 * {@value #MAX_NOTE} characters, while a second thread compacts in a loop, until it is killed. No
 * history is retained, so each compaction releases the segments the last transfers superseded. It
 * prints {@code ready} once the storage is open, then the counter of every commit after
 * {@code commit()} returned: each printed number is an acknowledged commit.
 *
 * <p>Arguments: the storage directory and a random seed.
 */
public final class CompactingWriterMain {

    static final int MAX_NOTE = 2000;

    private CompactingWriterMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[1]));
        PrintStream out = System.out;
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.COMMIT).withSegmentSize(64 * 1024));
        ObjectSpace space = ObjectSpace.builder(storage).historyRetention(Duration.ZERO).compactionMinDeadBytes(0)
                .build();
        Database db = space.getDatabase(Bank.DATABASE);
        Thread compactor = new Thread(() -> {
            while (true) {
                space.compact();
            }
        }, "compactor");
        compactor.setDaemon(true);
        compactor.start();
        out.println("ready");
        out.flush();
        while (true) {
            long counter = Bank.Transfer.random(rnd, MAX_NOTE).commit(db);
            out.println(counter);
            out.flush();
        }
    }
}
