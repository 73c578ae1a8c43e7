package io.protobase;

import io.protobase.collection.Dictionary;

import java.util.Map;
import java.util.TreeMap;

/**
 * The workload of the space-reclamation tests: one root dictionary {@code data} of values small or large enough to
 * fill segments, written one key per commit and read back whole.
 */
public final class DataRoot {

    private DataRoot() {
    }

    /** A value small enough that a segment holds several leaves of them. */
    public static String medium(int seed) {
        return ("medium value " + seed + " ").repeat(100);
    }

    /** A value stored out of line, about 20 KB. */
    public static String large(int seed) {
        return ("large value " + seed + " ").repeat(1500);
    }

    /** Sets {@code key} to {@code value} in the root dictionary {@code data}, in one commit. */
    public static void put(Database db, Object key, Object value) {
        db.write(tx -> {
            Dictionary d = tx.getRootObject("data", Dictionary.class);
            tx.setRootObject("data", (d == null ? Dictionary.empty() : d).setAt(key, value));
            return null;
        });
    }

    /** The root dictionary {@code data} as a sorted map (empty when there is none yet). */
    public static Map<Object, Object> contents(Database db) {
        return db.read(DataRoot::contents);
    }

    /** The root dictionary {@code data} as {@code tx} sees it, as a sorted map. */
    public static Map<Object, Object> contents(Transaction tx) {
        Dictionary d = tx.getRootObject("data", Dictionary.class);
        Map<Object, Object> m = new TreeMap<>();
        if (d != null) {
            d.forEach(e -> m.put(e.getKey(), e.getValue()));
        }
        return m;
    }
}
