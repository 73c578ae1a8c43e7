package io.protobase.benchmarks;

import io.protobase.BackupResult;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Online backup against {@code cp -r}, a measured program rather than a JMH benchmark (a backup of a
 * million entries is one long shot, repeated a few times). It loads {@link Dataset} ({@code size}
 * entries, default 1,000,000) into a file storage ({@code fsync=commit}), starts {@code threads}
 * writers (default 8) committing one-key price updates in a loop, and while they commit takes
 * {@code rounds} backups (default 3) with {@link ObjectSpace#backup}; then stops the writers, takes
 * one more backup of the quiet store, closes it and copies its directory with {@code cp -r}. Every
 * backup is opened and checked to hold {@code size} entries. Both sides read from a warm page cache.
 *
 * <pre>
 * ./mvnw -B -q package -DskipTests -pl protobase-benchmarks -am
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.BackupBenchmark [size] [threads]
 * [rounds]
 * </pre>
 */
public final class BackupBenchmark {

    private BackupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : Integer.parseInt(Dataset.DEFAULT_SIZE);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path dir = FileStores.newDir("backup-bench");
        try {
            run(dir, size, threads, rounds);
        } finally {
            FileStores.delete(dir);
        }
    }

    private static void run(Path dir, int size, int threads, int rounds) throws Exception {
        Path storeDir = dir.resolve("store");
        long loadStart = System.nanoTime();
        FileStores.ProtoBaseFile store = FileStores.ProtoBaseFile.load(storeDir, size);
        System.out.printf("loaded %,d entries in %,d ms; store %,d bytes on disk%n", size,
                ms(System.nanoTime() - loadStart), FileStores.bytesOnDisk(storeDir));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong commits = new AtomicLong();
        CountDownLatch warm = new CountDownLatch(threads * 50);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    int id = 1 + rnd.nextInt(size);
                    double price = rnd.nextInt(100_000) / 100.0;
                    store.db.write(tx -> {
                        Dictionary items = tx.getRootObject(Dataset.NAME, Dictionary.class);
                        DbObject r = (DbObject) items.getAt(Dataset.key(id));
                        tx.setRootObject(Dataset.NAME, items.setAt(Dataset.key(id), r.with("price", price)));
                        return null;
                    });
                    commits.incrementAndGet();
                    warm.countDown();
                }
            }, "writer-" + t);
            w.start();
            writers.add(w);
        }
        if (!warm.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the writers did not commit");
        }
        for (int r = 1; r <= rounds; r++) {
            long before = commits.get();
            long start = System.nanoTime();
            BackupResult b = store.space.backup(dir.resolve("backup-" + r));
            long took = System.nanoTime() - start;
            long during = commits.get() - before;
            System.out.printf("backup %d while %d threads commit: %,d ms, %,d atoms, %,d bytes of atoms, %,d bytes on "
                    + "disk; sequence %d; %,d commits during it (%,.0f/s)%n", r, threads, ms(took), b.atoms(),
                    b.bytes(), FileStores.bytesOnDisk(b.directory()), b.sequence(), during, during / (took / 1e9));
            check(b.directory(), size);
        }
        long before = commits.get();
        long idleStart = System.nanoTime();
        Thread.sleep(2_000); // a measuring window for the commit rate without a backup, not synchronisation
        long idleTook = System.nanoTime() - idleStart;
        System.out.printf("commits without a backup: %,.0f/s%n", (commits.get() - before) / (idleTook / 1e9));
        stop.set(true);
        for (Thread w : writers) {
            w.join();
        }
        long start = System.nanoTime();
        BackupResult quiet = store.space.backup(dir.resolve("backup-quiet"));
        System.out.printf("backup of the quiet store: %,d ms%n", ms(System.nanoTime() - start));
        check(quiet.directory(), size);
        store.close();

        long storeBytes = FileStores.bytesOnDisk(storeDir);
        start = System.nanoTime();
        Process cp = new ProcessBuilder("cp", "-r", storeDir.toString(), dir.resolve("cp-copy").toString())
                .inheritIO().start();
        if (cp.waitFor() != 0) {
            throw new IOException("cp -r failed with status " + cp.exitValue());
        }
        long cpTook = System.nanoTime() - start;
        start = System.nanoTime();
        Process sync = new ProcessBuilder("sync").inheritIO().start();
        sync.waitFor();
        long syncTook = System.nanoTime() - start;
        System.out.printf("cp -r of the closed store (%,d bytes, after %,d commits): %,d ms, + %,d ms for sync%n",
                storeBytes, commits.get(), ms(cpTook), ms(syncTook));
    }

    private static void check(Path backup, int size) {
        try (ObjectSpace restored = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(backup)))) {
            long count = restored.getDatabase(Dataset.NAME)
                    .read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
            if (count != size) {
                throw new IllegalStateException("the backup " + backup + " holds " + count + " entries, expected "
                        + size);
            }
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
