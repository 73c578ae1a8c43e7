package io.protobase.collection;

import io.protobase.collection.internal.AccessLog;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a tracked collection came from: the root version a transaction read ({@code base}), the
 * log of what it read, and the logical operations applied since, newest first. On a concurrent
 * commit the transaction replays {@code ops} onto the fresh root version (rebase).
 */
record Lineage(AccessLog log, Tree base, Ops ops) {

    /** An immutable, newest-first chain of logical operations on a builder. */
    record Ops(Consumer<Object> op, Ops previous) {
    }

    /** Records a key lookup in the log of {@code lineage}, if the collection is tracked. */
    static void readKey(Lineage lineage, Object key) {
        if (lineage != null) {
            lineage.log.readKey(key);
        }
    }

    /** Records a whole-collection read in the log of {@code lineage}, if the collection is tracked. */
    static void readAll(Lineage lineage) {
        if (lineage != null) {
            lineage.log.readAll();
        }
    }

    Lineage then(Consumer<Object> op) {
        return new Lineage(log, base, new Ops(op, ops));
    }

    List<Consumer<Object>> oldestFirst() {
        List<Consumer<Object>> list = new ArrayList<>();
        for (Ops o = ops; o != null; o = o.previous()) {
            list.add(o.op());
        }
        Collections.reverse(list);
        return list;
    }
}
