package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;

import java.util.Arrays;
import java.util.Random;

/**
 * Write amplification of a one-key commit, not a JMH benchmark: the atom bytes a commit that changes
 * one entry pushes to the storage ({@code ObjectSpace.statistics().bytesWritten()}, the bytes every
 * backend then stores, before its own framing), side by side for two dictionaries:
 * <ol>
 *   <li>20 values of 1 MiB ({@code byte[]}) and a few small ones: each commit sets one small entry;</li>
 *   <li>the {@link Dataset} of 100,000 small records: each commit replaces one record, chosen at random.</li>
 * </ol>
 * Each dictionary is built in one commit, then {@code commits} one-key commits run (default 200) and
 * their mean, median and largest cost are printed. The storage is {@link MemoryStorage}: the figure is
 * what the engine writes, the same on every backend, without the machine's disk in it.
 *
 * <pre>
 * java -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.OneKeyCommitWriteCost [commits]
 * </pre>
 */
public final class OneKeyCommitWriteCost {

    private static final int MIB = 1024 * 1024;
    private static final int LARGE_VALUES = 20;
    private static final int RECORDS = 100_000;

    private OneKeyCommitWriteCost() {
    }

    public static void main(String[] args) {
        int commits = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 200;
        System.out.printf("Atom bytes pushed by one-key commits (%,d commits per case)%n", commits);
        report("beside " + LARGE_VALUES + " values of 1 MiB", besideLargeValues(commits));
        report("on " + String.format("%,d", RECORDS) + " small records", onSmallRecords(commits));
    }

    private static long[] besideLargeValues(int commits) {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            Database db = space.getDatabase(Dataset.NAME);
            Random random = new Random(Dataset.INSERT_SEED);
            try (Transaction tx = db.newTransaction()) {
                Dictionary.Builder b = Dictionary.builder();
                for (int i = 0; i < LARGE_VALUES; i++) {
                    byte[] value = new byte[MIB];
                    random.nextBytes(value);
                    b.setAt("file-" + i, value);
                }
                tx.setRootObject(Dataset.NAME, b.build());
                tx.commit();
            }
            long[] cost = new long[commits];
            for (int c = 0; c < commits; c++) {
                String key = "note-" + (c % 10);
                String value = "note " + c;
                cost[c] = written(space, () -> db.write(tx -> {
                    Dictionary d = tx.getRootObject(Dataset.NAME, Dictionary.class);
                    tx.setRootObject(Dataset.NAME, d.setAt(key, value));
                    return null;
                }));
            }
            return cost;
        }
    }

    private static long[] onSmallRecords(int commits) {
        try (Dataset.ProtoBaseMap m = Dataset.ProtoBaseMap.load(RECORDS)) {
            int[] ids = Dataset.shuffledIds(RECORDS, Dataset.UPDATE_SEED);
            long[] cost = new long[commits];
            for (int c = 0; c < commits; c++) {
                int id = ids[c % ids.length];
                cost[c] = written(m.space, () -> m.db.write(tx -> {
                    Dictionary d = tx.getRootObject(Dataset.NAME, Dictionary.class);
                    tx.setRootObject(Dataset.NAME,
                            d.setAt(Dataset.key(id), Dataset.protobaseRecord(id).with("price", id * 2.5)));
                    return null;
                }));
            }
            return cost;
        }
    }

    private static long written(ObjectSpace space, Runnable commit) {
        long before = space.statistics().bytesWritten();
        commit.run();
        return space.statistics().bytesWritten() - before;
    }

    private static void report(String what, long[] cost) {
        long[] sorted = cost.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(cost).average().orElse(0);
        System.out.printf("one-key commit %-32s mean %,10.0f B   median %,10d B   max %,10d B%n", what, mean,
                sorted[sorted.length / 2], sorted[sorted.length - 1]);
    }
}
