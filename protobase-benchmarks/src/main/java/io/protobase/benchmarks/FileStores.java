package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.eclipse.serializer.concurrency.StripeLockedExecutor;
import org.eclipse.serializer.reference.Lazy;
import org.eclipse.store.storage.embedded.types.EmbeddedStorage;
import org.eclipse.store.storage.embedded.types.EmbeddedStorageFoundation;
import org.eclipse.store.storage.embedded.types.EmbeddedStorageManager;
import org.eclipse.store.storage.types.StorageFile;
import org.eclipse.store.storage.types.StorageFileProvider;
import org.eclipse.store.storage.types.StorageFileWriter;
import org.eclipse.store.storage.types.StorageLiveDataFile;
import org.eclipse.store.storage.types.StorageWriteController;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The engines on files, for the file benchmarks ({@code File*Benchmark}, {@link DiskFootprint}): the same
 * {@link Dataset} entries in a ProtoBase {@link StandaloneFileStorage} (default options: {@code fsync=commit},
 * 64 MiB segments; default {@link ObjectSpace} cache) and in an MVStore file (the same
 * {@code MVMap<String, Object[]>} as {@link Dataset.MVStoreMap}, configured as a user loading a large data set
 * would: see {@link MVStoreSettings}); where practical also in an EclipseStore storage ({@link EclipseStoreFile}:
 * its data model, and the emulated durability the benchmarks add to it, are described there).
 *
 * <p>Every store lives in its own new directory under {@link #baseDir()}: the system property
 * {@value #DIR_PROPERTY} if set, else {@code java.io.tmpdir}. Both engines therefore write to the same disk.
 * To move them, pass the property to JMH's forked JVM together with the heap settings, since a command-line
 * {@code -jvmArgsAppend} replaces the one of {@code @Fork}:
 * {@code -jvmArgsAppend "-Xms4g -Xmx4g -Dprotobase.bench.dir=/some/dir"}.
 */
public final class FileStores {

    /** System property naming the parent directory of the benchmark stores. */
    public static final String DIR_PROPERTY = "protobase.bench.dir";
    /** File name of the MVStore file inside its directory. */
    public static final String MVSTORE_FILE = "items.mv.db";

    private FileStores() {
    }

    /** The parent directory of every benchmark store. */
    public static Path baseDir() {
        return Path.of(System.getProperty(DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
    }

    /** A new empty directory under {@link #baseDir()}. */
    public static Path newDir(String prefix) {
        try {
            Path base = baseDir();
            Files.createDirectories(base);
            return Files.createTempDirectory(base, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a benchmark directory under " + baseDir(), e);
        }
    }

    /** Deletes {@code dir} and everything in it; does nothing when it is {@code null} or missing. */
    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the benchmark directory " + dir, e);
        }
    }

    /** Sum of the sizes of the regular files under {@code dir}, in bytes. */
    public static long bytesOnDisk(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    /** The files under {@code dir} with their sizes, for logs. */
    public static String listFiles(Path dir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).sorted().forEach(p -> {
                try {
                    sb.append(sb.length() == 0 ? "" : ", ").append(p.getFileName()).append('=').append(Files.size(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
        return sb.toString();
    }

    /** Prints one line to stdout, so that it appears in the JMH output of the fork. */
    static void log(String format, Object... args) {
        System.out.println("# [file-bench] " + String.format(format, args));
        System.out.flush();
    }

    // ------------------------------------------------------------------ ProtoBase

    /**
     * A ProtoBase object space on a {@link StandaloneFileStorage} with default options, and its database
     * {@link Dataset#NAME} (created on first open).
     */
    public static final class ProtoBaseFile implements AutoCloseable {
        public final Path dir;
        public final StandaloneFileStorage storage;
        public final ObjectSpace space;
        public final Database db;

        private ProtoBaseFile(Path dir, FsyncPolicy fsync, Duration groupCommitDelay) {
            this(dir, fsync, groupCommitDelay, null);
        }

        private ProtoBaseFile(Path dir, FsyncPolicy fsync, Duration groupCommitDelay, Duration retention) {
            this(dir, fsync, groupCommitDelay, retention, Duration.ZERO);
        }

        private ProtoBaseFile(Path dir, FsyncPolicy fsync, Duration groupCommitDelay, Duration retention,
                Duration compactionInterval) {
            this.dir = dir;
            this.storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                    StandaloneFileStorage.Options.defaults().withFsync(fsync));
            ObjectSpace s = null;
            try {
                ObjectSpace.Builder builder = ObjectSpace.builder(storage).groupCommitDelay(groupCommitDelay)
                        .compactionInterval(compactionInterval);
                s = (retention == null ? builder : builder.historyRetention(retention)).build();
                this.space = s;
                this.db = s.getDatabase(Dataset.NAME);
            } catch (RuntimeException e) {
                if (s != null) {
                    s.close();
                } else {
                    storage.close();
                }
                throw e;
            }
        }

        /** Opens (creating or recovering) the store in {@code dir}: storage, object space and database. */
        public static ProtoBaseFile open(Path dir) {
            if (StandaloneFileStorage.Options.defaults().fsync() != FsyncPolicy.COMMIT) {
                throw new IllegalStateException("the default fsync policy is no longer COMMIT");
            }
            return new ProtoBaseFile(dir, FsyncPolicy.COMMIT, Duration.ZERO);
        }

        /** Opens the store in {@code dir} with another fsync policy (diagnostics: {@code NONE} shows the CPU cost). */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync) {
            return new ProtoBaseFile(dir, fsync, Duration.ZERO);
        }

        /** Opens the store in {@code dir} with an fsync policy and a group commit delay (see ObjectSpace.Builder). */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync, Duration groupCommitDelay) {
            return new ProtoBaseFile(dir, fsync, groupCommitDelay);
        }

        /**
         * Opens the store in {@code dir} with an fsync policy and a history retention other than the
         * engine's default (how long replaced atoms stay live before compaction may reclaim them).
         */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync, Duration groupCommitDelay, Duration retention) {
            return new ProtoBaseFile(dir, fsync, groupCommitDelay, retention);
        }

        /**
         * Opens the store in {@code dir} as {@link #open(Path, FsyncPolicy, Duration, Duration)} does, with the
         * background compactor running every {@code compactionInterval} (and whenever commits wrote enough).
         */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync, Duration groupCommitDelay, Duration retention,
                Duration compactionInterval) {
            return new ProtoBaseFile(dir, fsync, groupCommitDelay, retention, compactionInterval);
        }

        /** A new store in {@code dir} holding entries {@code 1..size}, built in one transaction and committed. */
        public static ProtoBaseFile load(Path dir, int size) {
            ProtoBaseFile f = open(dir);
            try {
                int[] ids = Dataset.shuffledIds(size, Dataset.INSERT_SEED);
                try (Transaction tx = f.db.newTransaction()) {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int id : ids) {
                        b.setAt(Dataset.key(id), Dataset.protobaseRecord(id));
                    }
                    tx.setRootObject(Dataset.NAME, b.build());
                    tx.commit();
                }
                f.checkCount(size);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }

        /** Fails unless the dictionary holds {@code size} entries. */
        public void checkCount(long size) {
            long count = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
            if (count != size) {
                throw new IllegalStateException("ProtoBase file store holds " + count + " entries, expected " + size);
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Dataset.checkPrice(db, id, price);
        }

        @Override
        public void close() {
            space.close();
        }
    }

    // ------------------------------------------------------------------ MVStore

    /**
     * How an {@link MVStoreFile} is opened. MVStore commits in the background whenever about
     * {@code autoCommitBufferSize} of changes is pending (1 MB by default); during a load in random key order
     * each such commit rewrites most of the tree, so a user loading a large data set raises the buffer.
     */
    public enum MVStoreSettings {
        /** A 64 MB auto-commit buffer ({@code autoCommitBufferSize(64 * 1024)}), otherwise default: the fair peer. */
        TUNED,
        /** MVStore's defaults, including the 1 MB auto-commit buffer. */
        DEFAULT,
        /** {@code autoCommitDisabled()}: nothing is written before {@code commit()}. */
        NO_AUTO_COMMIT;

        /** The setting named {@code tuned}, {@code default} or {@code noAutoCommit} (JMH parameter values). */
        public static MVStoreSettings of(String name) {
            return switch (name) {
                case "tuned" -> TUNED;
                case "default" -> DEFAULT;
                case "noAutoCommit" -> NO_AUTO_COMMIT;
                default -> throw new IllegalArgumentException(
                        "MVStore settings must be tuned, default or noAutoCommit, not " + name);
            };
        }
    }

    /**
     * An MVStore file {@value #MVSTORE_FILE} in a directory with the map {@link Dataset#NAME}; opened with
     * {@link MVStoreSettings#TUNED} unless told otherwise.
     */
    public static final class MVStoreFile implements AutoCloseable {
        /** The auto-commit buffer of {@link MVStoreSettings#TUNED}, in KB (the unit of the builder). */
        public static final int TUNED_AUTO_COMMIT_BUFFER_KB = 64 * 1024;

        public final Path dir;
        public final MVStore store;
        public final MVMap<String, Object[]> map;

        private MVStoreFile(Path dir, MVStoreSettings settings) {
            this.dir = dir;
            MVStore.Builder b = new MVStore.Builder().fileName(dir.resolve(MVSTORE_FILE).toString());
            switch (settings) {
                case TUNED -> b.autoCommitBufferSize(TUNED_AUTO_COMMIT_BUFFER_KB);
                case DEFAULT -> { }
                case NO_AUTO_COMMIT -> b.autoCommitDisabled();
                default -> throw new IllegalArgumentException("No MVStore builder settings for " + settings);
            }
            this.store = b.open();
            this.map = store.openMap(Dataset.NAME);
        }

        /** Opens (creating when missing) the store in {@code dir} and its map, {@link MVStoreSettings#TUNED}. */
        public static MVStoreFile open(Path dir) {
            return new MVStoreFile(dir, MVStoreSettings.TUNED);
        }

        /** Opens (creating when missing) the store in {@code dir} and its map with {@code settings}. */
        public static MVStoreFile open(Path dir, MVStoreSettings settings) {
            return new MVStoreFile(dir, settings);
        }

        /**
         * A new store in {@code dir} holding entries {@code 1..size}: put in random order, committed and synced
         * once, {@link MVStoreSettings#TUNED}.
         */
        public static MVStoreFile load(Path dir, int size) {
            return load(dir, size, MVStoreSettings.TUNED);
        }

        /** As {@link #load(Path, int)}, with {@code settings}. */
        public static MVStoreFile load(Path dir, int size, MVStoreSettings settings) {
            MVStoreFile f = open(dir, settings);
            try {
                for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                    f.map.put(Dataset.key(id), Dataset.mvstoreRecord(id));
                }
                f.store.commit();
                f.store.sync();
                f.checkCount(size);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }

        /**
         * Rewrites the closed store in {@code dir} to hold only its live chunks, without compression
         * ({@code MVStoreTool.compact(file, false)}: a copy into a temporary file that then replaces the original).
         * A load in random order leaves most of the file to superseded chunks, which MVStore's own background
         * compaction reclaims only slowly.
         */
        public static void compact(Path dir) {
            MVStoreTool.compact(dir.resolve(MVSTORE_FILE).toString(), false);
        }

        /** Fails unless the map holds {@code size} entries. */
        public void checkCount(long size) {
            if (map.sizeAsLong() != size) {
                throw new IllegalStateException("MVStore file holds " + map.sizeAsLong() + " entries, expected "
                        + size);
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Object[] r = map.get(Dataset.key(id));
            if (r == null || (Double) r[Dataset.MV_PRICE] != price) {
                throw new IllegalStateException("MVStore key " + id + " holds a wrong record, expected price " + price);
            }
        }

        @Override
        public void close() {
            store.close();
        }
    }

    // ------------------------------------------------------------------ EclipseStore

    /**
     * An EclipseStore embedded storage ({@code storage-embedded}, local file system, default configuration: one
     * channel, default data file sizes and housekeeping) in a directory, holding the {@link Dataset} entries.
     *
     * <p><b>Data model.</b> EclipseStore persists the application's object graph as it is, one record per object,
     * and a {@code store(x)} writes {@code x} (plus objects reachable from it that were never stored), not the
     * whole graph. Its documentation recommends, for a large collection, splitting it into {@link Lazy}-loaded
     * parts, and storing the object that changed ("the object that has been modified has to be stored"). So the
     * root ({@link Items}) holds {@value #SHARDS} shards, each a {@code Lazy<HashMap<String, Item>>} (key → shard
     * by {@code key.hashCode()}), and every entry is a mutable {@link Item} object ({@code int id},
     * {@code String name}, {@code double price}). A commit changing one entry sets the item's price and stores
     * that item alone ({@code storage.store(item)}: one small record); a new key would store the item and its
     * shard's map (about {@code size / }{@value #SHARDS} entries), never the whole data set. A load creates
     * the shard maps and items and stores them with one {@code store} of the root's shard array. (GigaMap,
     * EclipseStore's own indexed big collection, only exists from 3.x on; 2.1.3 is used, see below.)
     *
     * <p><b>Durability: emulated.</b> EclipseStore 2.1.3 does <em>not</em> fsync on {@code store()}: the call
     * returns once its storage channel has written the data chunk to the head data file and the store entry to
     * the transactions file ({@code StorageFileManager.Default.storeChunks}: {@code writer.writeStore(headFile, ..)}
     * then {@code writeTransactionsEntryStore}), both through {@code StorageFileWriter.write} →
     * {@code StorageFile.writeBytes} → {@code XIO.write(FileChannel, Iterable)}, a plain {@code FileChannel.write}
     * loop with no {@code FileChannel.force} on the path. Durable stores came upstream with eclipse-store/store pull
     * request #751, released in EclipseStore 4.2.0, which is not on the Maven repository this build resolves from;
     * so the benchmarks stay on 2.1.3 and, by default ({@link #open(Path)}), install a writer of their own
     * ({@code EmbeddedStorageFoundation.setWriterProvider}, the documented customizing hook) that forces each file
     * it wrote ({@link ForcingWriter}). That writer is <b>our emulation, not EclipseStore's behaviour</b>: a
     * {@code store()} returns after two fsyncs (the data file, then the transactions file), and with one storage
     * channel the stores of concurrent threads are written and forced one after the other, with no group commit.
     * Its figures say what durability costs on this design, not what 4.2.0 achieves. {@link #open(Path, boolean)}
     * with {@code false} keeps EclipseStore's own writer (no fsync), published beside it. Housekeeping copies
     * ({@code writeTransfer}), truncations and the directory entries of new files are not forced; they are not on
     * the commit path.
     *
     * <p><b>Threads.</b> EclipseStore leaves synchronizing the object graph to the application: "modifying the
     * object graph and storing the changes must happen under the same lock" (docs: Concurrent Access, Locking).
     * Storing from several threads into one storage manager is allowed; the channel threads serialize the writes.
     * {@link #update} therefore changes and stores an item under {@link #locks} (a {@code StripeLockedExecutor},
     * the helper the docs suggest), keyed by the item.
     */
    public static final class EclipseStoreFile implements AutoCloseable {
        /** Number of {@code Lazy} shards of the root. */
        public static final int SHARDS = 1024;

        /** The root object. */
        public static final class Items {
            final Lazy<HashMap<String, Item>>[] shards;

            @SuppressWarnings("unchecked")
            Items() {
                this.shards = (Lazy<HashMap<String, Item>>[]) new Lazy<?>[SHARDS];
            }
        }

        /** One entry's record, mutable, stored as its own object. */
        public static final class Item {
            int id;
            String name;
            double price;

            Item(int id, String name, double price) {
                this.id = id;
                this.name = name;
                this.price = price;
            }

            public int id() {
                return id;
            }

            public double price() {
                return price;
            }
        }

        public final Path dir;
        public final EmbeddedStorageManager storage;
        public final Items root;
        /** The lock under which an item is changed and stored (see the class comment). */
        public final StripeLockedExecutor locks = StripeLockedExecutor.New(1024);
        /** Files forced by this store's writer. */
        public final AtomicLong fsyncs = new AtomicLong();
        /** The forcing writer, or {@code null} with EclipseStore's own. */
        private final ForcingWriter writer;

        private EclipseStoreFile(Path dir, boolean fsync) {
            this.dir = dir;
            EmbeddedStorageFoundation<?> foundation = EmbeddedStorage.Foundation(dir);
            this.writer = fsync ? new ForcingWriter(fsyncs) : null;
            if (writer != null) {
                foundation.setWriterProvider(() -> writer);
            }
            this.storage = foundation.createEmbeddedStorageManager();
            try {
                storage.start();
                Object r = storage.root();
                if (r == null) {
                    Items items = new Items();
                    for (int i = 0; i < SHARDS; i++) {
                        items.shards[i] = Lazy.Reference(new HashMap<>());
                    }
                    storage.setRoot(items);
                    storage.storeRoot();
                    r = items;
                }
                this.root = (Items) r;
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** Opens (creating when missing) the storage in {@code dir}, every store forced by {@link ForcingWriter}. */
        public static EclipseStoreFile open(Path dir) {
            return new EclipseStoreFile(dir, true);
        }

        /** Opens the storage in {@code dir}; with {@code fsync} false, with EclipseStore's default writer. */
        public static EclipseStoreFile open(Path dir, boolean fsync) {
            return new EclipseStoreFile(dir, fsync);
        }

        /** A new storage in {@code dir} holding entries {@code 1..size}, stored in one store ({@link #loadAll}). */
        public static EclipseStoreFile load(Path dir, int size) {
            EclipseStoreFile f = open(dir);
            try {
                int[] ids = Dataset.shuffledIds(size, Dataset.INSERT_SEED);
                Item[] items = new Item[size];
                String[] keys = new String[size];
                for (int i = 0; i < size; i++) {
                    keys[i] = Dataset.key(ids[i]);
                    items[i] = record(ids[i]);
                }
                f.loadAll(keys, items);
                f.checkCount(size);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }

        /** The record of entry {@code id}. */
        public static Item record(int id) {
            return new Item(id, Dataset.name(id), Dataset.price(id));
        }

        static int shardOf(String key) {
            return (key.hashCode() & 0x7fffffff) % SHARDS;
        }

        /**
         * Puts all entries into a new set of shard maps, sets them in the root's shard array and stores that array
         * in one {@code store} (every map and item is new, so all of it is written in that one store).
         */
        public void loadAll(String[] keys, Item[] items) {
            @SuppressWarnings("unchecked")
            HashMap<String, Item>[] maps = (HashMap<String, Item>[]) new HashMap<?, ?>[SHARDS];
            int expected = keys.length / SHARDS + 1;
            for (int i = 0; i < SHARDS; i++) {
                maps[i] = new HashMap<>(expected * 4 / 3 + 1);
            }
            for (int i = 0; i < keys.length; i++) {
                maps[shardOf(keys[i])].put(keys[i], items[i]);
            }
            for (int i = 0; i < SHARDS; i++) {
                root.shards[i] = Lazy.Reference(maps[i]);
            }
            storage.store(root.shards);
        }

        /** The item of {@code key}, or {@code null}; loads its shard when not loaded. */
        public Item get(String key) {
            return root.shards[shardOf(key)].get().get(key);
        }

        /** Sets the price of {@code item} and stores the item, under its lock; durable on return. */
        public void update(Item item, double price) {
            locks.write(item, () -> {
                item.price = price;
                storage.store(item);
            });
        }

        /** Number of entries (loads every shard). */
        public long count() {
            long n = 0;
            for (Lazy<HashMap<String, Item>> shard : root.shards) {
                n += shard.get().size();
            }
            return n;
        }

        /** Fails unless the storage holds {@code size} entries. */
        public void checkCount(long size) {
            long count = count();
            if (count != size) {
                throw new IllegalStateException("EclipseStore holds " + count + " entries, expected " + size);
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Item r = get(Dataset.key(id));
            if (r == null || r.id != id || r.price != price) {
                throw new IllegalStateException("EclipseStore key " + id + " holds "
                        + (r == null ? "nothing" : "price " + r.price) + ", expected price " + price);
            }
        }

        @Override
        public void close() {
            try {
                if (storage.isRunning()) {
                    storage.shutdown();
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
        }

        /**
         * EclipseStore's default writer plus {@code FileChannel.force(false)} after every write
         * ({@code StorageFileWriter.write} is what {@code writeStore} and {@code writeTransactionEntry*} call). The
         * storage's own file channel is private to it, so the writer keeps one channel of its own open per file and
         * forces through that (on Linux fsync flushes a file's data whichever descriptor wrote it); opening a
         * channel per write would add an open and a close to every commit. {@link #close()} closes them.
         */
        static final class ForcingWriter implements StorageFileWriter, AutoCloseable {
            private final AtomicLong fsyncs;
            private final Map<Path, FileChannel> channels = new ConcurrentHashMap<>();

            ForcingWriter(AtomicLong fsyncs) {
                this.fsyncs = fsyncs;
            }

            @Override
            public long write(StorageFile file, Iterable<? extends ByteBuffer> buffers) {
                long written = file.writeBytes(buffers);
                Path path = Path.of(file.file().toPathString());
                try {
                    channels.computeIfAbsent(path, ForcingWriter::openChannel).force(false);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot force " + path, e);
                }
                fsyncs.incrementAndGet();
                return written;
            }

            @Override
            public void delete(StorageLiveDataFile file, StorageWriteController writeController,
                    StorageFileProvider fileProvider) {
                closeChannel(Path.of(file.file().toPathString()));
                StorageFileWriter.super.delete(file, writeController, fileProvider);
            }

            private static FileChannel openChannel(Path path) {
                try {
                    return FileChannel.open(path, StandardOpenOption.WRITE);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot open " + path + " to force it", e);
                }
            }

            private void closeChannel(Path path) {
                FileChannel channel = channels.remove(path);
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException("Cannot close the forcing channel of " + path, e);
                    }
                }
            }

            @Override
            public void close() {
                for (Path path : List.copyOf(channels.keySet())) {
                    closeChannel(path);
                }
            }
        }
    }
}
