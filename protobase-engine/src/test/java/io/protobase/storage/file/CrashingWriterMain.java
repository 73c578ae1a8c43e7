package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Random;

/**
 * The child process of {@link KillNineRecoveryTest}: opens a file storage ({@code fsync=commit},
 * 64 KiB segments so the log rotates often) and commits {@link Bank} transfers until it is killed.
 * It prints {@code ready} once the storage is open, then the counter of every commit after
 * {@code commit()} returned: each printed number is an acknowledged commit.
 *
 * <p>Arguments: the storage directory and a random seed.
 */
public final class CrashingWriterMain {

    private CrashingWriterMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[1]));
        PrintStream out = System.out;
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.COMMIT).withSegmentSize(64 * 1024));
        ObjectSpace space = new ObjectSpace(storage);
        Database db = space.getDatabase(Bank.DATABASE);
        out.println("ready");
        out.flush();
        while (true) {
            long counter = Bank.transfer(db, rnd);
            out.println(counter);
            out.flush();
        }
    }
}
