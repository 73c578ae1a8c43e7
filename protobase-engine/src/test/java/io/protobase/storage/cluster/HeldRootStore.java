package io.protobase.storage.cluster;

import io.protobase.storage.cloud.ForwardingObjectStore;
import io.protobase.storage.cloud.ObjectStore;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node's view of a shared bucket, whose root-object replacements can be held back (as a paused process
 * or a slow link would hold them) and whose deletions are counted: what a leader deposed in the middle of its
 * upload does to the bucket.
 */
final class HeldRootStore extends ForwardingObjectStore {

    private final Duration wait;
    private volatile CountDownLatch hold;
    private final CountDownLatch held = new CountDownLatch(1);
    private final AtomicLong deletes = new AtomicLong();

    /**
     * @param bucket the shared bucket
     * @param wait how long a held update waits at most, and {@link #awaitHeld} for one
     */
    HeldRootStore(ObjectStore bucket, Duration wait) {
        super(bucket);
        this.wait = wait;
    }

    /** Holds back the next root update until {@link #release()}. */
    void holdRootUpdates() {
        hold = new CountDownLatch(1);
    }

    void release() {
        hold.countDown();
    }

    /** Waits until a root update is held back; returns whether one was in time. */
    boolean awaitHeld() throws InterruptedException {
        return held.await(wait.toSeconds(), TimeUnit.SECONDS);
    }

    /** The objects this node deleted through this store. */
    long deletes() {
        return deletes.get();
    }

    @Override
    public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
        CountDownLatch h = hold;
        if (h != null && key.endsWith("root")) {
            held.countDown();
            try {
                h.await(wait.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return super.putIfMatch(key, data, etag, metadata);
    }

    @Override
    public void delete(String key) {
        deletes.incrementAndGet();
        super.delete(key);
    }
}
