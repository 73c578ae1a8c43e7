package io.protobase.storage.cloud;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the requests a storage makes, for metrics (S3 bills per request). */
final class CountingObjectStore implements ObjectStore {

    private final ObjectStore delegate;
    final AtomicLong gets = new AtomicLong();
    final AtomicLong puts = new AtomicLong();
    final AtomicLong others = new AtomicLong();
    /** Bytes sent with PUT requests (chunks, segments and root objects), whatever their outcome. */
    final AtomicLong putBytes = new AtomicLong();

    CountingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<StoredObject> get(String key) {
        gets.incrementAndGet();
        return delegate.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        gets.incrementAndGet();
        return delegate.getRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        others.incrementAndGet();
        return delegate.head(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        others.incrementAndGet();
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) {
        others.incrementAndGet();
        delegate.delete(key);
    }

    @Override
    public String putIfAbsent(String key, byte[] data, Map<String, String> metadata) {
        puts.incrementAndGet();
        putBytes.addAndGet(data.length);
        return delegate.putIfAbsent(key, data, metadata);
    }

    @Override
    public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
        puts.incrementAndGet();
        putBytes.addAndGet(data.length);
        return delegate.putIfMatch(key, data, etag, metadata);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }
}
