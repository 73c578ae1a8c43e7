package io.protobase.collection;

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
