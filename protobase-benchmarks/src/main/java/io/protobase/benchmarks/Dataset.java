package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.util.Random;

/**
 * The one data set every benchmark uses, and the code that loads it into each engine, so both engines
 * always hold exactly the same entries.
 *
 * <p>Entry {@code i} (1-based) is key {@code "key-%07d"} mapped to a small record with an {@code int}
 * id, a short {@code String} name and a {@code double} price:
 * <ul>
 *   <li>ProtoBase: {@code DbObject.of("id", i, "name", "Item " + i, "price", i * 1.5)};</li>
 *   <li>MVStore: {@code Object[] {i, "Item " + i, i * 1.5}} in an {@code MVMap<String, Object[]>} with the
 *       default data types ({@code ObjectDataType}), the closest equivalent it stores without a custom type.</li>
 * </ul>
 * Keys are inserted in a random order drawn from a fixed seed ({@link #INSERT_SEED}).
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

    private Dataset() {
    }

    /** The key of entry {@code id}: {@code "key-0000001"} for 1. A new String instance on every call. */
    public static String key(int id) {
        char[] c = {'k', 'e', 'y', '-', '0', '0', '0', '0', '0', '0', '0'};
        int v = id;
        for (int p = c.length - 1; v > 0 && p >= 4; p--) {
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

    /** The price attribute of entry {@code id}. */
    public static double price(int id) {
        return id * 1.5;
    }

    /** The ProtoBase record of entry {@code id}. */
    public static DbObject protobaseRecord(int id) {
        return DbObject.of("id", id, "name", name(id), "price", price(id));
    }

    /** The MVStore record of entry {@code id}: {@code {id, name, price}}. */
    public static Object[] mvstoreRecord(int id) {
        return new Object[] {id, name(id), price(id)};
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

    /** A ProtoBase object space on {@link MemoryStorage} whose database {@link #NAME} has root {@link #NAME}. */
    public static final class ProtoBaseMap implements AutoCloseable {
        public final ObjectSpace space;
        public final Database db;

        private ProtoBaseMap() {
            this.space = new ObjectSpace(new MemoryStorage());
            this.db = space.getDatabase(NAME);
        }

        /** An empty space and database. */
        public static ProtoBaseMap empty() {
            return new ProtoBaseMap();
        }

        /** A space whose dictionary holds entries {@code 1..size}, built in one transaction. */
        public static ProtoBaseMap load(int size) {
            ProtoBaseMap m = new ProtoBaseMap();
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
        }

        @Override
        public void close() {
            space.close();
        }
    }

    /** An in-memory MVStore ({@code MVStore.open(null)}) with the map {@link #NAME}. */
    public static final class MVStoreMap implements AutoCloseable {
        public final MVStore store;
        public final MVMap<String, Object[]> map;

        private MVStoreMap() {
            this.store = MVStore.open(null);
            this.map = store.openMap(NAME);
        }

        /** An empty in-memory store and map. */
        public static MVStoreMap empty() {
            return new MVStoreMap();
        }

        /** A store whose map holds entries {@code 1..size}, put in random order and committed once. */
        public static MVStoreMap load(int size) {
            MVStoreMap m = new MVStoreMap();
            for (int id : shuffledIds(size, INSERT_SEED)) {
                m.map.put(key(id), mvstoreRecord(id));
            }
            m.store.commit();
            if (m.map.size() != size) {
                throw new IllegalStateException("MVStore map holds " + m.map.size() + " entries, expected " + size);
            }
            return m;
        }

        @Override
        public void close() {
            store.close();
        }
    }
}
