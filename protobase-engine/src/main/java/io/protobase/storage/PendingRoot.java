package io.protobase.storage;

/**
 * A root update written but perhaps not yet durable, from
 * {@link SharedStorage#compareAndSetRootPipelined}. {@link #await()} returns once it is durable and
 * visible through {@link SharedStorage#readRoot()}, or throws if it can never become so.
 */
@FunctionalInterface
public interface PendingRoot {

    /** An update that was durable when returned. */
    PendingRoot DURABLE = () -> {
    };

    /** Blocks until the update is durable; throws a {@link io.protobase.StorageException} if it failed. */
    void await();

    /**
     * Like {@link #await()}, but when this caller is the one that starts the work making the update
     * durable (an fsync), it first runs {@code beforeStart}: a group commit uses it to let other
     * committers write their updates so that the same fsync covers them. The default ignores it.
     */
    default void await(Runnable beforeStart) {
        await();
    }
}
