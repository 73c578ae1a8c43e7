package io.protobase.benchmarks;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FsyncPolicy;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Space (1), not a JMH benchmark: bytes written per durable one-key commit, on files, ProtoBase beside MVStore.
 * Each commit replaces the small record of one existing key (a new price every time) and returns once durable:
 * ProtoBase {@code db.write} on a {@code StandaloneFileStorage} with its default {@code fsync=commit}; MVStore
 * {@code put}, {@code commit()}, {@code sync()} (opened as {@link FileStores.MVStoreSettings#TUNED}; the auto-commit
 * buffer only matters to the load, since every commit here is explicit).
 *
 * <p>Two workloads:
 * <ul>
 *   <li><b>(a) beside large values</b>: a dictionary of {@code blobs} (20) values of {@code blobKb} (1,024 KB,
 *       random bytes, a {@code byte[]} on both sides) and {@code records} small {@link Dataset} records, the
 *       large values spread evenly among them; each commit changes a random small record. Run for each count of
 *       {@code blobRecords}: with 1 record the key committed always shares a leaf with the large values (a
 *       ProtoBase leaf holds up to 64 entries, each inline), with 1,000 it does when it falls near one;</li>
 *   <li><b>(b) many small records</b>: the {@link Dataset} dictionary of {@code size} (100,000) records; each
 *       commit changes a random one.</li>
 * </ul>
 *
 * <p>Per commit it prints: the bytes the process handed to write calls ({@link ProcessWrites}, the one figure
 * measured the same way for both engines; ProtoBase's includes the zeros it preallocates ahead of its log end,
 * about as many bytes again as it appends); the growth of the store's directory between its closed state after
 * the load and after the commits (ProtoBase's log only grows today; MVStore reuses free space in its file, so
 * its growth says little); and for ProtoBase the atom bytes pushed to the storage
 * ({@code ObjectSpace.statistics().bytesWritten()}, the encoded nodes and values without log framing). Each
 * store is reopened and its last commit checked, then deleted.
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.WriteAmplification \
 *     [blobs=20] [blobKb=1024] [blobRecords=1,1000] [blobCommits=30] [size=100000] [commits=2000] [workloads=a,b]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class WriteAmplification {

    private WriteAmplification() {
    }

    /**
     * A dictionary's content and the commits run on it.
     *
     * @param name what the report calls it
     * @param entries entries {@code 1..entries}
     * @param blobIds the sorted ids holding a large value; every other id holds a small record
     * @param blobBytes size of each large value
     * @param commitIds the id each commit changes, in order (never a large value's)
     */
    record Workload(String name, int entries, int[] blobIds, int blobBytes, int[] commitIds) {

        boolean isBlob(int id) {
            return Arrays.binarySearch(blobIds, id) >= 0;
        }

        /** The large value of {@code id}: random bytes, a different stream per id. */
        byte[] blob(int id) {
            byte[] b = new byte[blobBytes];
            new Random(id).nextBytes(b);
            return b;
        }

        /** The price commit {@code n} (0-based) sets: differs from the load's and from every other commit's. */
        double price(int n) {
            return Dataset.price(commitIds[n]) + n + 1;
        }

        /** Workload (a): {@code blobs} large values spread evenly among {@code records} small records. */
        static Workload besideBlobs(int blobs, int blobKb, int records, int commits, long seed) {
            int entries = blobs + records;
            int[] blobIds = new int[blobs];
            for (int i = 0; i < blobs; i++) {
                blobIds[i] = 1 + (int) ((long) i * entries / blobs);
            }
            int[] recordIds = new int[records];
            int r = 0;
            for (int id = 1; id <= entries; id++) {
                if (Arrays.binarySearch(blobIds, id) < 0) {
                    recordIds[r++] = id;
                }
            }
            Random random = new Random(seed);
            int[] commitIds = new int[commits];
            for (int n = 0; n < commits; n++) {
                commitIds[n] = recordIds[random.nextInt(records)];
            }
            return new Workload(String.format("(a) %d values of %,d KB beside %,d small record%s", blobs, blobKb,
                    records, records == 1 ? "" : "s"), entries, blobIds, blobKb * 1024, commitIds);
        }

        /** Workload (b): {@code size} small records. */
        static Workload smallRecords(int size, int commits, long seed) {
            Random random = new Random(seed);
            int[] commitIds = new int[commits];
            for (int n = 0; n < commits; n++) {
                commitIds[n] = 1 + random.nextInt(size);
            }
            return new Workload(String.format("(b) %,d small records", size), size, new int[0], 0, commitIds);
        }
    }

    public static void main(String[] args) {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("blobs", "20");
        defaults.put("blobKb", "1024");
        defaults.put("blobRecords", "1,1000");
        defaults.put("blobCommits", "30");
        defaults.put("size", "100000");
        defaults.put("commits", "2000");
        defaults.put("workloads", "a,b");
        MainArgs a = new MainArgs("WriteAmplification", args, defaults);
        if (!ProcessWrites.available()) {
            System.out.println("/proc/self/io is not readable here: the bytes handed to write calls are not measured");
        }
        System.out.printf("Bytes written per durable one-key commit (%s; stores under %s)%n", a.describe(),
                FileStores.baseDir());
        Set<String> workloads = Set.of(a.string("workloads").split(","));
        if (workloads.contains("a")) {
            for (String records : a.string("blobRecords").split(",")) {
                int n = Integer.parseInt(records.trim().replace("_", ""));
                if (n < 1) {
                    throw new IllegalArgumentException("WriteAmplification: blobRecords must be at least 1, the "
                            + "commits change a small record; got " + records);
                }
                run(Workload.besideBlobs(a.count("blobs"), a.count("blobKb"), n, a.count("blobCommits"),
                        Dataset.UPDATE_SEED));
            }
        }
        if (workloads.contains("b")) {
            run(Workload.smallRecords(a.count("size"), a.count("commits"), Dataset.UPDATE_SEED));
        }
    }

    private static void run(Workload w) {
        System.out.println(w.name() + ", " + w.commitIds().length + " commits:");
        protobase(w);
        mvstore(w);
    }

    private static void protobase(Workload w) {
        Path dir = FileStores.newDir("protobase-amplification-");
        try {
            loadProtoBase(dir, w);
            long loaded = FileStores.bytesOnDisk(dir);
            int commits = w.commitIds().length;
            long atoms;
            long written;
            long nanos;
            try (FileStores.ProtoBaseFile f = FileStores.ProtoBaseFile.open(dir, FsyncPolicy.COMMIT)) {
                long atoms0 = f.space.statistics().bytesWritten();
                long written0 = ProcessWrites.bytes();
                long t0 = System.nanoTime();
                for (int n = 0; n < commits; n++) {
                    String key = Dataset.key(w.commitIds()[n]);
                    DbObject record = record(w.commitIds()[n], w.price(n));
                    Dataset.replace(f.db, key, record);
                }
                nanos = System.nanoTime() - t0;
                written = ProcessWrites.bytes() - written0;
                atoms = f.space.statistics().bytesWritten() - atoms0;
            }
            long grown = FileStores.bytesOnDisk(dir) - loaded;
            try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                reopened.checkPrice(w.commitIds()[commits - 1], w.price(commits - 1));
            }
            report("ProtoBase (StandaloneFileStorage, fsync=commit)", loaded, commits, written, grown, nanos,
                    String.format("; %,.0f atom bytes pushed per commit", atoms / (double) commits));
        } finally {
            FileStores.delete(dir);
        }
    }

    private static void loadProtoBase(Path dir, Workload w) {
        try (FileStores.ProtoBaseFile f = FileStores.ProtoBaseFile.open(dir)) {
            int[] ids = Dataset.shuffledIds(w.entries(), Dataset.INSERT_SEED);
            f.db.write(tx -> {
                Dictionary.Builder b = Dictionary.builder();
                for (int id : ids) {
                    b.setAt(Dataset.key(id), w.isBlob(id) ? w.blob(id) : Dataset.protobaseRecord(id));
                }
                tx.setRootObject(Dataset.NAME, b.build());
                return null;
            });
        }
    }

    private static DbObject record(int id, double price) {
        return Dataset.protobaseRecord(id, price);
    }

    private static void mvstore(Workload w) {
        Path dir = FileStores.newDir("mvstore-amplification-");
        try {
            try (MVStore store = openMVStore(dir)) {
                MVMap<String, Object> map = store.openMap(Dataset.NAME);
                for (int id : Dataset.shuffledIds(w.entries(), Dataset.INSERT_SEED)) {
                    map.put(Dataset.key(id), w.isBlob(id) ? w.blob(id) : Dataset.mvstoreRecord(id));
                }
                store.commit();
            }
            long loaded = FileStores.bytesOnDisk(dir);
            int commits = w.commitIds().length;
            long written;
            long nanos;
            try (MVStore store = openMVStore(dir)) {
                MVMap<String, Object> map = store.openMap(Dataset.NAME);
                long written0 = ProcessWrites.bytes();
                long t0 = System.nanoTime();
                for (int n = 0; n < commits; n++) {
                    int id = w.commitIds()[n];
                    map.put(Dataset.key(id), Dataset.mvstoreRecord(id, w.price(n)));
                    store.commit();
                    store.sync();
                }
                nanos = System.nanoTime() - t0;
                written = ProcessWrites.bytes() - written0;
            }
            long grown = FileStores.bytesOnDisk(dir) - loaded;
            try (MVStore store = openMVStore(dir)) {
                MVMap<String, Object> map = store.openMap(Dataset.NAME);
                Object[] last = (Object[]) map.get(Dataset.key(w.commitIds()[commits - 1]));
                if (last == null || (Double) last[Dataset.MV_PRICE] != w.price(commits - 1)) {
                    throw new IllegalStateException("MVStore lost the last commit of " + w.name());
                }
            }
            report("MVStore (file, 64 MB auto-commit buffer, commit+sync)", loaded, commits, written, grown, nanos, "");
        } finally {
            FileStores.delete(dir);
        }
    }

    private static MVStore openMVStore(Path dir) {
        return new MVStore.Builder().fileName(dir.resolve(FileStores.MVSTORE_FILE).toString())
                .autoCommitBufferSize(FileStores.MVStoreFile.TUNED_AUTO_COMMIT_BUFFER_KB).open();
    }

    private static void report(String engine, long loaded, int commits, long written, long grown, long nanos,
            String extra) {
        System.out.printf("  %s: %,.0f bytes handed to write calls per commit; the closed store grew from %,d by %,d "
                + "bytes (%,.0f per commit)%s; %,.2f ms per commit%n", engine,
                written < 0 ? Double.NaN : written / (double) commits, loaded, grown, grown / (double) commits, extra,
                nanos / 1e6 / commits);
    }
}
