package io.protobase.storage.cloud;

import io.protobase.StorageException;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The few object-store operations the cloud storage needs, with S3 semantics: strongly consistent
 * reads after writes, and conditional puts that either happen or fail with
 * {@link PreconditionFailedException}. Keys are full keys (prefix included).
 *
 * <p>Errors: an unreachable or failing service (timeouts, HTTP 5xx, connection loss) is a
 * {@link io.protobase.StorageUnavailableException}; after it the outcome of a put is unknown and
 * the caller re-reads. Anything else (missing bucket, access denied) is a
 * {@link StorageException} whose message says how to fix it. Implementations are thread-safe.
 */
public interface ObjectStore {

    /** What a HEAD or LIST tells about an object. */
    record ObjectInfo(String key, long size, String etag, Map<String, String> metadata) {
    }

    /** An object's bytes with its ETag and user metadata. */
    record StoredObject(byte[] data, String etag, Map<String, String> metadata) {
    }

    /** A conditional put found the object not in the state it required (HTTP 412, or 404 for If-Match). */
    final class PreconditionFailedException extends StorageException {
        private static final long serialVersionUID = 1L;

        public PreconditionFailedException(String message) {
            super(message);
        }
    }

    /** Reads a whole object, or empty when there is none. */
    Optional<StoredObject> get(String key);

    /**
     * Reads {@code length} bytes from {@code offset} (a ranged GET); a missing object is a {@link
     * StorageException}.
     */
    byte[] getRange(String key, long offset, int length);

    /** Reads an object's size, ETag and metadata, or empty when there is none. */
    Optional<ObjectInfo> head(String key);

    /** Lists every object whose key starts with {@code prefix}, in key order (metadata not filled). */
    List<ObjectInfo> list(String prefix);

    /** Deletes an object; deleting a missing one is not an error. */
    void delete(String key);

    /** Creates an object only if none exists ({@code If-None-Match: *}); returns its ETag. */
    String putIfAbsent(String key, byte[] data, Map<String, String> metadata);

    /** Replaces an object only if its ETag is still {@code etag} ({@code If-Match}); returns the new ETag. */
    String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata);

    /** A short description for messages: the service and bucket, never credentials. */
    String describe();
}
