package io.protobase.collection.internal;

import io.protobase.collection.ProtoCollection;
import io.protobase.storage.SharedStorage;

/**
 * Where the engine gets the implementations of {@link AtomStore} and {@link Tracking}, which live in
 * {@code io.protobase.collection} because they work on the collections' internal state. That package
 * installs its {@link Provider} when its classes initialize; this class triggers that on first use.
 *
 * <p>The JDK reaches its own package-private internals across packages the same way (its "shared
 * secrets"): Java has no visibility between "package-private" and "public", and the alternative,
 * public members on the collections, would put engine plumbing into the API users program against.
 */
public final class CollectionLayer {

    /** What {@code io.protobase.collection} provides to the engine. */
    public interface Provider {

        /**
         * @param storage where atoms live
         * @param cacheBytes bound of the decoded-node cache, in encoded bytes
         * @return a new store
         */
        AtomStore atomStore(SharedStorage storage, long cacheBytes);

        /** @return the tracking of root collections */
        Tracking tracking();
    }

    private static volatile Provider provider;

    private CollectionLayer() {
    }

    /**
     * Installs the collection layer's provider; called once, by {@code io.protobase.collection}.
     *
     * @param implementation the provider
     * @throws IllegalStateException when a provider is installed already, or this one is not the
     *         collection layer's
     */
    public static synchronized void install(Provider implementation) {
        if (provider != null
                || !implementation.getClass().getPackageName().equals(ProtoCollection.class.getPackageName())) {
            throw new IllegalStateException("The collection layer installs its provider itself, once; "
                    + implementation.getClass().getName() + " cannot replace it");
        }
        provider = implementation;
    }

    static Provider provider() {
        Provider p = provider;
        if (p == null) {
            initialize(ProtoCollection.class);
            p = provider;
        }
        return p;
    }

    private static void initialize(Class<?> type) {
        try {
            Class.forName(type.getName(), true, type.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("The collection layer is not on the class path with this class", e);
        }
    }
}
