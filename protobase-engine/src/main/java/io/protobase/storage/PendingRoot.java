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
}
