package io.protobase.collection;

import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.internal.CollectionLayer;
import io.protobase.collection.internal.Tracking;
import io.protobase.storage.SharedStorage;

/** This package's implementations of the engine's plumbing, installed in {@link CollectionLayer}. */
final class CollectionProvider implements CollectionLayer.Provider {

    @Override
    public AtomStore atomStore(SharedStorage storage, long cacheBytes) {
        return new TreeStore(storage, cacheBytes);
    }

    @Override
    public Tracking tracking() {
        return LineageTracking.INSTANCE;
    }
}
