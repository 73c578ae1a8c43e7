package io.protobase.benchmarks;

import java.nio.file.Path;

/**
 * File (f), not a JMH benchmark: builds the {@link Dataset} store of {@code size} entries (default 1,000,000)
 * on disk with each engine, exactly as the file benchmarks do ({@link FileStores}), and prints the bytes on
 * disk (sum of the sizes of the files in the store's directory). ProtoBase is measured after {@code close()} (its
 * commit is already durable). MVStore is built with each of its {@link FileStores.MVStoreSettings} (tuned, the
 * fair peer, first) and measured after {@code commit()} + {@code sync()} (with its fill rate: the share of the
 * file that live chunks use), after {@code close()}, and after the offline compaction a user would run on a
 * bulk-loaded file ({@link FileStores.MVStoreFile#compact}); the figure to compare is the last. EclipseStore
 * ({@link FileStores.EclipseStoreFile}: {@code Lazy} shard maps of {@code Item} objects, writes forced by the
 * benchmarks' emulation) is measured after its one store and again after {@code shutdown()}. Each store is
 * reopened and its count checked. Deletes everything it created.
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.DiskFootprint [size]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class DiskFootprint {

    private DiskFootprint() {
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0].replace("_", ""))
                : Integer.parseInt(Dataset.DEFAULT_SIZE);
        System.out.printf("Bytes on disk of %,d entries (stores under %s)%n", size, FileStores.baseDir());

        Path pb = FileStores.newDir("protobase-footprint-");
        try {
            long t0 = System.nanoTime();
            FileStores.ProtoBaseFile.load(pb, size).close();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long bytes = FileStores.bytesOnDisk(pb);
            System.out.printf("ProtoBase (StandaloneFileStorage, fsync=commit): %,d bytes (%.1f bytes/entry; %s; "
                    + "load+close %,d ms)%n", bytes, bytes / (double) size, FileStores.listFiles(pb), ms);
            try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(pb)) {
                reopened.checkCount(size);
            }
        } finally {
            FileStores.delete(pb);
        }

        for (FileStores.MVStoreSettings settings : FileStores.MVStoreSettings.values()) {
            Path mv = FileStores.newDir("mvstore-footprint-");
            try {
                long t0 = System.nanoTime();
                FileStores.MVStoreFile f = FileStores.MVStoreFile.load(mv, size, settings);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                long synced = FileStores.bytesOnDisk(mv);
                int fillRate = f.store.getFillRate();
                f.close();
                long closed = FileStores.bytesOnDisk(mv);
                t0 = System.nanoTime();
                FileStores.MVStoreFile.compact(mv);
                long compactMs = (System.nanoTime() - t0) / 1_000_000;
                long compacted = FileStores.bytesOnDisk(mv);
                System.out.printf("MVStore (file, %s): %,d bytes after commit+sync (%.1f bytes/entry, fill rate "
                        + "%d%%), %,d bytes after close, %,d bytes after compaction (%.1f bytes/entry); load %,d ms, "
                        + "compaction %,d ms%n", settings, synced, synced / (double) size, fillRate, closed,
                        compacted, compacted / (double) size, ms, compactMs);
                try (FileStores.MVStoreFile reopened = FileStores.MVStoreFile.open(mv)) {
                    reopened.checkCount(size);
                }
            } finally {
                FileStores.delete(mv);
            }
        }

        Path es = FileStores.newDir("eclipsestore-footprint-");
        try {
            long t0 = System.nanoTime();
            FileStores.EclipseStoreFile f = FileStores.EclipseStoreFile.load(es, size);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long stored = FileStores.bytesOnDisk(es);
            f.close();
            long closed = FileStores.bytesOnDisk(es);
            System.out.printf("EclipseStore (storage-embedded, writes forced by the emulation): %,d bytes after the "
                    + "store (%.1f bytes/entry), %,d bytes after shutdown (%.1f bytes/entry; %s); load %,d ms%n",
                    stored, stored / (double) size, closed, closed / (double) size, FileStores.listFiles(es), ms);
            try (FileStores.EclipseStoreFile reopened = FileStores.EclipseStoreFile.open(es)) {
                reopened.checkCount(size);
            }
        } finally {
            FileStores.delete(es);
        }
    }
}
