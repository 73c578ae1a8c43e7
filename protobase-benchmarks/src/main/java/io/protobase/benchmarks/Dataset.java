package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.nio.file.Path;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * The one data set every benchmark uses, and the code that loads it into each engine, so both engines
 * always hold exactly the same entries.
 *
 * <p>Entry {@code i} (1-based) is key {@code "item-%07d"} mapped to a small record with an {@code int}
 * id, a short {@code String} name, a {@code String} category ({@code "cat-" + i % 100}, so one category
 * holds 1 % of the entries) and a {@code double} price:
 * <ul>
 *   <li>ProtoBase: {@code DbObject.of("id", i, "name", "Item " + i, "category", "cat-" + i % 100,
 *       "price", i * 1.5)};</li>
 *   <li>MVStore: {@code Object[] {i, "Item " + i, "cat-" + i % 100, i * 1.5}} in an
 *       {@code MVMap<String, Object[]>} with the default data types ({@code ObjectDataType}), the closest
 *       equivalent it stores without a custom type.</li>
 * </ul>
 * Keys are inserted in a random order drawn from a fixed seed ({@link #INSERT_SEED}).
 *
 * <p>{@link ProtoBaseMap} and {@link MVStoreMap} hold the entries in memory ({@code MemoryStorage}, which
 * encodes every node as a persistent backend would; {@code MVStore.open(null)}) or on files
 * ({@code StandaloneFileStorage} with its defaults; an MVStore file with a 64 MB auto-commit buffer), as
 * the {@link Backing} a benchmark's {@code storage} parameter names, both with caches that hold the whole
 * data set ({@link #CACHE_BYTES}).
 */
public final class Dataset {

    /** Default number of entries ({@code @Param size}). */
    public static final String DEFAULT_SIZE = "1000000";
    /** Seed of the insertion order. */
    public static final long INSERT_SEED = 42;
    /** Seed of the read order. */
    public static final long READ_SEED = 7;
    /** Seed of the update order. */
    public static final long UPDATE_SEED = 99;
    /** Name of the ProtoBase database and of the MVStore map. */
    public static final String NAME = "items";
    /**
     * Cache bound of both engines, 512 MiB: enough for the whole 1,000,000-entry tree, so reads and scans run
     * from the cache. ProtoBase's node cache weighs a node at twice its encoded size (it keeps the decoded
     * entries and the encoded bytes), about 155 MB for this tree, which its default 128 MiB does not hold;
     * MVStore's file store caches 16 MB of pages by default.
     */
    public static final long CACHE_BYTES = 512L << 20;
    /** Index of the price in an MVStore record. */
    public static final int MV_PRICE = 3;

    /** Where a benchmark's stores keep their data: the values of the {@code storage} parameter. */
    public enum Backing {
        /** ProtoBase on {@code MemoryStorage}, MVStore in memory. */
        MEMORY,
        /** ProtoBase on {@code StandaloneFileStorage} (fsync per commit), MVStore on a file. */
        FILE;

        /** The backing named {@code memory} or {@code file}. */
        public static Backing of(String name) {
            return switch (name) {
                case "memory" -> MEMORY;
                case "file" -> FILE;
                default -> throw new IllegalArgumentException("storage must be memory or file, not " + name);
            };
        }
    }

    private Dataset() {
    }

    /** The key of entry {@code id}: {@code "item-0000001"} for 1. A new String instance on every call. */
    public static String key(int id) {
        char[] c = {'i', 't', 'e', 'm', '-', '0', '0', '0', '0', '0', '0', '0'};
        int v = id;
        for (int p = c.length - 1; v > 0 && p >= 5; p--) {
            c[p] = (char) ('0' + v % 10);
            v /= 10;
        }
        if (v > 0) {
            throw new IllegalArgumentException("id " + id + " does not fit in 7 digits");
        }
        return new String(c);
    }

    /** The name attribute of entry {@code id}. */
    public static String name(int id) {
        return "Item " + id;
    }

    /** The category attribute of entry {@code id}: one of 100. */
    public static String category(int id) {
        return "cat-" + id % 100;
    }

    /** The price attribute of entry {@code id}. */
    public static double price(int id) {
        return id * 1.5;
    }

    /** The ProtoBase record of entry {@code id}. */
    public static DbObject protobaseRecord(int id) {
        return protobaseRecord(id, price(id));
    }

    /** The ProtoBase record of entry {@code id} with another price. */
    public static DbObject protobaseRecord(int id, double price) {
        return DbObject.of("id", id, "name", name(id), "category", category(id), "price", price);
    }

    /** The MVStore record of entry {@code id}: {@code {id, name, category, price}}. */
    public static Object[] mvstoreRecord(int id) {
        return mvstoreRecord(id, price(id));
    }

    /** The MVStore record of entry {@code id} with another price. */
    public static Object[] mvstoreRecord(int id, double price) {
        return new Object[] {id, name(id), category(id), price};
    }

    /** One-key commit: replaces the record of {@code key} in the dictionary {@link #NAME} of {@code db}. */
    public static void replace(Database db, String key, DbObject record) {
        db.write(tx -> {
            Dictionary items = tx.getRootObject(NAME, Dictionary.class);
            tx.setRootObject(NAME, items.setAt(key, record));
            return null;
        });
    }

    /**
     * Sets the root {@link #NAME} of {@code db} to a dictionary of entries {@code 1..size}, inserted in the order of
     * {@link #INSERT_SEED}, in one {@code db.write}.
     */
    public static void load(Database db, int size) {
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int id : shuffledIds(size, INSERT_SEED)) {
                b.setAt(key(id), protobaseRecord(id));
            }
            tx.setRootObject(NAME, b.build());
            return null;
        });
    }

    /** Fails unless entry {@code id} of the dictionary {@link #NAME} of {@code db} holds price {@code price}. */
    public static void checkPrice(Database db, int id, double price) {
        DbObject r = (DbObject) db.read(tx -> tx.getRootObject(NAME, Dictionary.class).getAt(key(id)));
        if (r == null || (Double) r.getAt("price") != price) {
            throw new IllegalStateException("ProtoBase key " + id + " holds " + r + ", expected price " + price);
        }
    }

    /** Ids {@code 1..size} in a random order fixed by {@code seed} (Fisher–Yates). */
    public static int[] shuffledIds(int size, long seed) {
        int[] ids = new int[size];
        for (int i = 0; i < size; i++) {
            ids[i] = i + 1;
        }
        Random random = new Random(seed);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        return ids;
    }

    /** Keys of {@code ids}, as new String instances (never the instances stored in a map). */
    public static String[] keys(int[] ids) {
        String[] keys = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = key(ids[i]);
        }
        return keys;
    }

    /** Sum of the ids {@code 1..size}: what a full scan summing {@code id} must find. */
    public static long idSum(int size) {
        return (long) size * (size + 1) / 2;
    }

    // ------------------------------------------------------------------ prebuilt maps

    /**
     * A ProtoBase object space on {@link MemoryStorage} or on a {@link StandaloneFileStorage} in a new
     * directory (deleted on close), whose database {@link #NAME} has root {@link #NAME}.
     */
    public static final class ProtoBaseMap implements AutoCloseable {
        public final ObjectSpace space;
        public final Database db;
        private final Path dir;

        private ProtoBaseMap(Backing backing) {
            this(backing, UnaryOperator.identity());
        }

        private ProtoBaseMap(Backing backing, UnaryOperator<ObjectSpace.Builder> settings) {
            if (backing == Backing.FILE) {
                this.dir = FileStores.newDir("protobase-");
                this.space = settings.apply(ObjectSpace.builder(new StandaloneFileStorage(new FileBlockProvider(dir)))
                        .cacheBytes(CACHE_BYTES)).build();
            } else {
                this.dir = null;
                this.space = settings.apply(ObjectSpace.builder(new MemoryStorage()).cacheBytes(CACHE_BYTES)).build();
            }
            this.db = space.getDatabase(NAME);
        }

        /** An empty space and database in memory. */
        public static ProtoBaseMap empty() {
            return new ProtoBaseMap(Backing.MEMORY);
        }

        /** An empty space and database on {@code backing}. */
        public static ProtoBaseMap empty(Backing backing) {
            return new ProtoBaseMap(backing);
        }

        /** A space in memory whose dictionary holds entries {@code 1..size}, built in one transaction. */
        public static ProtoBaseMap load(int size) {
            return load(size, Backing.MEMORY);
        }

        /** A space on {@code backing} whose dictionary holds entries {@code 1..size}, built in one transaction. */
        public static ProtoBaseMap load(int size, Backing backing) {
            return load(size, backing, UnaryOperator.identity());
        }

        /**
         * As {@link #load(int, Backing)}, with {@code settings} applied to the object space's builder (history
         * retention, background compaction).
         */
        public static ProtoBaseMap load(int size, Backing backing, UnaryOperator<ObjectSpace.Builder> settings) {
            ProtoBaseMap m = new ProtoBaseMap(backing, settings);
            try {
                int[] ids = shuffledIds(size, INSERT_SEED);
                try (Transaction tx = m.db.newTransaction()) {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int id : ids) {
                        b.setAt(key(id), protobaseRecord(id));
                    }
                    tx.setRootObject(NAME, b.build());
                    tx.commit();
                }
                long count = m.db.read(tx -> tx.getRootObject(NAME, Dictionary.class).count());
                if (count != size) {
                    throw new IllegalStateException("ProtoBase map holds " + count + " entries, expected " + size);
                }
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Dataset.checkPrice(db, id, price);
        }

        @Override
        public void close() {
            space.close();
            FileStores.delete(dir);
        }
    }

    /**
     * An MVStore in memory ({@code MVStore.open(null)}) or on a file in a new directory (deleted on close;
     * opened as {@link FileStores.MVStoreFile} opens it, with a 64 MB auto-commit buffer), with the map
     * {@link #NAME}.
     */
    public static final class MVStoreMap implements AutoCloseable {
        public final MVStore store;
        public final MVMap<String, Object[]> map;
        private final Path dir;

        private MVStoreMap(Backing backing) {
            if (backing == Backing.FILE) {
                this.dir = FileStores.newDir("mvstore-");
                this.store = new MVStore.Builder().fileName(dir.resolve(FileStores.MVSTORE_FILE).toString())
                        .autoCommitBufferSize(FileStores.MVStoreFile.TUNED_AUTO_COMMIT_BUFFER_KB)
                        .cacheSize((int) (CACHE_BYTES >> 20)).open();
            } else {
                this.dir = null;
                this.store = MVStore.open(null);
            }
            this.map = store.openMap(NAME);
        }

        /** An empty in-memory store and map. */
        public static MVStoreMap empty() {
            return new MVStoreMap(Backing.MEMORY);
        }

        /** An empty store and map on {@code backing}. */
        public static MVStoreMap empty(Backing backing) {
            return new MVStoreMap(backing);
        }

        /** An in-memory store whose map holds entries {@code 1..size}, put in random order and committed once. */
        public static MVStoreMap load(int size) {
            return load(size, Backing.MEMORY);
        }

        /**
         * A store on {@code backing} whose map holds entries {@code 1..size}, put in random order, committed
         * once (and synced on a file).
         */
        public static MVStoreMap load(int size, Backing backing) {
            MVStoreMap m = new MVStoreMap(backing);
            try {
                for (int id : shuffledIds(size, INSERT_SEED)) {
                    m.map.put(key(id), mvstoreRecord(id));
                }
                m.commit();
                if (m.map.size() != size) {
                    throw new IllegalStateException("MVStore map holds " + m.map.size() + " entries, expected "
                            + size);
                }
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }

        /** Commits the pending changes; on a file also forces them to the disk (a durable commit). */
        public void commit() {
            store.commit();
            if (dir != null) {
                store.sync();
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Object[] r = map.get(key(id));
            if (r == null || (Double) r[MV_PRICE] != price) {
                throw new IllegalStateException("MVStore key " + id + " holds a wrong record, expected price " + price);
            }
        }

        @Override
        public void close() {
            store.close();
            FileStores.delete(dir);
        }
    }
}
