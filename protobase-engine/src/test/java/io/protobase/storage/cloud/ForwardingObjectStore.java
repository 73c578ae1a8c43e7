package io.protobase.storage.cloud;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A bucket seen through another store, so a test can change what one kind of request does. */
public class ForwardingObjectStore implements ObjectStore {

    private final ObjectStore delegate;

    public ForwardingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<StoredObject> get(String key) {
        return delegate.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        return delegate.getRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return delegate.head(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public String putIfAbsent(String key, byte[] data, Map<String, String> metadata) {
        return delegate.putIfAbsent(key, data, metadata);
    }

    @Override
    public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
        return delegate.putIfMatch(key, data, etag, metadata);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }
}
