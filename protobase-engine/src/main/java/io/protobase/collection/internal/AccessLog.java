package io.protobase.collection.internal;

import io.protobase.codec.ValueOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What one transaction read of one root collection: the keys it looked up (present or absent) and
 * whether it read "everything" (iteration, counts, ranges, positions). The transaction validates
 * exactly these reads against concurrent commits; see {@code docs/concepts.md}. Thread-safe.
 */
public final class AccessLog {

    private final String root;
    private final TreeSet<Object> keys = new TreeSet<>(ValueOrder.INSTANCE);
    private boolean all;

    public AccessLog(String root) {
        this.root = root;
    }

    /** The root name this log belongs to. */
    public String root() {
        return root;
    }

    /** Records a lookup of one key. */
    public synchronized void readKey(Object key) {
        if (!all) {
            keys.add(key);
        }
    }

    /** Records a read that depends on the whole collection. */
    public synchronized void readAll() {
        all = true;
        keys.clear();
    }

    /** Whether a read depended on the whole collection. */
    public synchronized boolean readsAll() {
        return all;
    }

    /** The keys looked up, in key order. */
    public synchronized List<Object> keys() {
        return new ArrayList<>(keys);
    }

    /** Whether nothing was read. */
    public synchronized boolean isEmpty() {
        return !all && keys.isEmpty();
    }
}
