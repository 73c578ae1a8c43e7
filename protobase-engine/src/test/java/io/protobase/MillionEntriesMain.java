package io.protobase;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Random;

/**
 * Child-JVM program of {@link MillionEntriesTest}: builds a dictionary of one million records in
 * ONE transaction, commits it, reads it back through a second object space (cold caches, every node
 * decoded from storage) and prints {@code OK <count>} on success, plus heap figures.
 */
public final class MillionEntriesMain {

    private MillionEntriesMain() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        long start = System.nanoTime();
        try {
            run(n, start);
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e.getMessage());
            printHeap("at OOM", start);
            System.exit(3);
        } catch (Throwable e) {
            System.out.println("FAIL " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void run(int n, long start) {
        MemoryStorage storage = new MemoryStorage();
        ObjectSpace space = new ObjectSpace(storage);
        Database db = space.getDatabase("big");
        try (Transaction tx = db.newTransaction()) {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < n; i++) {
                b.setAt(key(i), record(i));
            }
            printHeap("built", start);
            tx.setRootObject("entries", b.build());
            b = null;
            tx.commit();
        }
        printHeap("committed", start);
        System.out.println("STORAGE " + storage.describe());

        // a second space on the same storage: nothing cached, every node read and decoded
        ObjectSpace reader = new ObjectSpace(storage);
        long count = reader.getDatabase("big").read(tx -> {
            Dictionary d = tx.getRootObject("entries", Dictionary.class);
            Random rnd = new Random(1);
            for (int s = 0; s < 2_000; s++) {
                int i = s < 2 ? s * (n - 1) : rnd.nextInt(n);
                Object v = d.getAt(key(i));
                if (!record(i).equals(v)) {
                    throw new AssertionError("entry " + key(i) + " read back as " + v);
                }
            }
            if (d.getAt("key-missing") != null || !d.firstKey().equals(key(0)) || !d.lastKey().equals(key(n - 1))) {
                throw new AssertionError("wrong bounds: " + d.firstKey() + " .. " + d.lastKey());
            }
            long[] scanned = {0};
            d.keys().forEach(k -> scanned[0]++);
            if (scanned[0] != d.count()) {
                throw new AssertionError("scan saw " + scanned[0] + " keys, count() says " + d.count());
            }
            return d.count();
        });
        printHeap("read back", start);
        System.out.println("OK " + count);
    }

    private static String key(int i) {
        return String.format("key-%07d", i);
    }

    private static DbObject record(int i) {
        return DbObject.of("id", i, "name", "Item " + i, "score", i * 0.5);
    }

    private static void printHeap(String phase, long start) {
        Runtime rt = Runtime.getRuntime();
        long usedNow = rt.totalMemory() - rt.freeMemory();
        System.gc();
        long usedAfterGc = rt.totalMemory() - rt.freeMemory();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("HEAP %-10s t=%5.1fs used=%4d MiB usedAfterGC=%4d MiB peakPoolsSum=%4d MiB "
                + "committed=%4d MiB max=%4d MiB%n",
                phase, (System.nanoTime() - start) / 1e9, usedNow >> 20, usedAfterGc >> 20, peak >> 20,
                rt.totalMemory() >> 20, rt.maxMemory() >> 20);
    }
}
