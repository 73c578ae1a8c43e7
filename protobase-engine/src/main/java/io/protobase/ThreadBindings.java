package io.protobase;

import java.util.HashMap;
import java.util.Map;

/**
 * The transactions an integration layer bound to a thread ({@link Database#bind}), per database name,
 * for {@link Database#currentTransaction()}: one per thread and database, so that a thread can work in
 * two databases of the space at once.
 *
 * <p>The per-thread map is dropped as soon as it is empty: a pooled thread that served a transaction
 * keeps nothing of the space alive. The binder owns the transaction and unbinds it when it ends
 * (the Spring transaction manager does, on completion); this class never ends one.
 */
final class ThreadBindings {

    private final ThreadLocal<Map<String, Transaction>> bound = new ThreadLocal<>();

    /** The transaction bound to the calling thread for database {@code name}, or {@code null}. */
    Transaction bound(String name) {
        Map<String, Transaction> map = bound.get();
        return map == null ? null : map.get(name);
    }

    /** Binds {@code tx} to the calling thread for database {@code name}, replacing any. */
    void bind(String name, Transaction tx) {
        Map<String, Transaction> map = bound.get();
        if (map == null) {
            map = new HashMap<>(4);
            bound.set(map);
        }
        map.put(name, tx);
    }

    /** Unbinds the calling thread's transaction for database {@code name}; returns it, or {@code null}. */
    Transaction unbind(String name) {
        Map<String, Transaction> map = bound.get();
        if (map == null) {
            return null;
        }
        Transaction tx = map.remove(name);
        if (map.isEmpty()) {
            bound.remove();
        }
        return tx;
    }
}
