package io.protobase.storage.cloud;

import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory object store with S3 semantics, for tests and local development: thread-safe, with
 * atomic conditional writes (unlike some S3-compatible test servers), ETags that are the MD5 of
 * the bytes as on S3, and injectable faults — a "down" switch, an error rate, latency, and
 * one-shot faults (HTTP 500/503, a timeout before or after the write landed).
 *
 * <pre>{@code
 * MockS3Client s3 = new MockS3Client();
 * var storage = new CloudFileStorage(new CloudBlockProvider(s3, "db/", cacheDir), CloudFileStorage.Options.defaults());
 * s3.setDown(true);   // every request now fails with StorageUnavailableException
 * }</pre>
 *
 * Nothing in the product falls back to this class: it is used only where it is passed in.
 */
public final class MockS3Client implements ObjectStore {

    /** Kinds of request, for {@link #requests(Operation)}. */
    public enum Operation { GET, GET_RANGE, HEAD, LIST, DELETE, PUT }

    /** A one-shot fault, see {@link #failNext}. */
    public enum Fault {
        /** HTTP 500 before anything happens. */
        HTTP_500,
        /** HTTP 503 Slow Down before anything happens. */
        HTTP_503,
        /** The request times out and was never applied. */
        TIMEOUT,
        /**
         * A put is applied, then the reply is lost (the caller sees a timeout). Other requests: as
         * {@link #TIMEOUT}.
         */
        TIMEOUT_AFTER_WRITE
    }

    private record Entry(byte[] data, String etag, Map<String, String> metadata) {
    }

    private final String bucket;
    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();
    private final Map<Operation, AtomicLong> counts = new EnumMap<>(Operation.class);
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private volatile boolean down;
    private volatile double errorRate;
    private volatile java.util.Set<Operation> errorOperations = java.util.EnumSet.allOf(Operation.class);
    private volatile Duration latency = Duration.ZERO;

    /** An empty store named {@code mock-bucket}. */
    public MockS3Client() {
        this("mock-bucket");
    }

    /** An empty store; {@code bucket} only appears in messages. */
    public MockS3Client(String bucket) {
        this.bucket = bucket;
        for (Operation op : Operation.values()) {
            counts.put(op, new AtomicLong());
        }
    }

    /** While {@code true}, every request fails with {@link StorageUnavailableException} (connection refused). */
    public void setDown(boolean down) {
        this.down = down;
    }

    /** Fraction (0..1) of requests failing at random with HTTP 503. */
    public void setErrorRate(double rate) {
        setErrorRate(rate, java.util.EnumSet.allOf(Operation.class));
    }

    /** Fraction (0..1) of requests of the given kinds failing at random with HTTP 503. */
    public void setErrorRate(double rate, java.util.Set<Operation> operations) {
        if (rate < 0 || rate > 1) {
            throw new IllegalArgumentException("error rate must be within 0..1, got " + rate);
        }
        this.errorOperations = java.util.EnumSet.copyOf(operations);
        this.errorRate = rate;
    }

    /** Delay added to every request. */
    public void setLatency(Duration latency) {
        this.latency = latency;
    }

    /** Makes the next {@code count} requests fail with {@code fault}. */
    public void failNext(int count, Fault fault) {
        for (int i = 0; i < count; i++) {
            faults.add(fault);
        }
    }

    /** How many requests of this kind were made (including failed ones). */
    public long requests(Operation op) {
        return counts.get(op).get();
    }

    /** Resets every request counter. */
    public void resetCounts() {
        counts.values().forEach(c -> c.set(0));
    }

    /** Keys of every object, in order. */
    public List<String> keys() {
        return new ArrayList<>(objects.keySet());
    }

    /** User metadata of an object, or empty; no request is counted. */
    public Optional<Map<String, String>> metadata(String key) {
        return Optional.ofNullable(objects.get(key)).map(Entry::metadata);
    }

    /** Total bytes stored. */
    public long storedBytes() {
        return objects.values().stream().mapToLong(e -> e.data.length).sum();
    }

    @Override
    public Optional<StoredObject> get(String key) {
        enter(Operation.GET, key, false);
        Entry e = objects.get(key);
        return e == null ? Optional.empty() : Optional.of(new StoredObject(e.data.clone(), e.etag, e.metadata));
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        enter(Operation.GET_RANGE, key, false);
        Entry e = objects.get(key);
        if (e == null) {
            throw new StorageException("No object " + key + " in " + describe());
        }
        if (offset < 0 || length < 0 || offset + length > e.data.length) {
            throw new StorageException("Range " + offset + "+" + length + " is outside " + key + " (" + e.data.length
                    + " bytes) in " + describe());
        }
        return Arrays.copyOfRange(e.data, (int) offset, (int) offset + length);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        enter(Operation.HEAD, key, false);
        Entry e = objects.get(key);
        return e == null ? Optional.empty() : Optional.of(new ObjectInfo(key, e.data.length, e.etag, e.metadata));
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        enter(Operation.LIST, prefix, false);
        List<ObjectInfo> out = new ArrayList<>();
        for (var en : objects.tailMap(prefix, true).entrySet()) {
            if (!en.getKey().startsWith(prefix)) {
                break;
            }
            out.add(new ObjectInfo(en.getKey(), en.getValue().data.length, en.getValue().etag, Map.of()));
        }
        return out;
    }

    @Override
    public void delete(String key) {
        enter(Operation.DELETE, key, false);
        objects.remove(key);
    }

    @Override
    public String putIfAbsent(String key, byte[] data, Map<String, String> metadata) {
        boolean lostReply = enter(Operation.PUT, key, true);
        Entry e = new Entry(data.clone(), etag(data), Map.copyOf(metadata));
        if (objects.putIfAbsent(key, e) != null) {
            throw new PreconditionFailedException("412 Precondition Failed: " + key + " already exists in "
                    + describe());
        }
        return replied(lostReply, key, e.etag);
    }

    @Override
    public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
        boolean lostReply = enter(Operation.PUT, key, true);
        Entry e = new Entry(data.clone(), etag(data), Map.copyOf(metadata));
        boolean[] applied = {false};
        objects.computeIfPresent(key, (k, old) -> {
            if (old.etag.equals(etag)) {
                applied[0] = true;
                return e;
            }
            return old;
        });
        if (!applied[0]) {
            throw new PreconditionFailedException((objects.containsKey(key) ? "412 Precondition Failed: "
                    : "404 Not Found: ")
                    + key + " is not at ETag " + etag + " in " + describe());
        }
        return replied(lostReply, key, e.etag);
    }

    @Override
    public String describe() {
        return "mock S3 bucket " + bucket;
    }

    private String replied(boolean lostReply, String key, String etag) {
        if (lostReply) {
            throw new StorageUnavailableException("Timed out waiting for the reply to PUT " + key + " on " + describe()
                    + " (the write was applied)");
        }
        return etag;
    }

    /** Counts and applies faults; returns whether a put should be applied but its reply lost. */
    private boolean enter(Operation op, String key, boolean write) {
        counts.get(op).incrementAndGet();
        Duration d = latency;
        if (!d.isZero()) {
            try {
                Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageUnavailableException("Interrupted during " + op + " " + key + " on " + describe());
            }
        }
        if (down) {
            throw new StorageUnavailableException("Cannot " + op + " " + key + ": " + describe() + " is down "
                    + "(connection refused)");
        }
        Fault f = faults.poll();
        if (f == null && errorRate > 0 && errorOperations.contains(op)
                && ThreadLocalRandom.current().nextDouble() < errorRate) {
            f = Fault.HTTP_503;
        }
        if (f == null) {
            return false;
        }
        return switch (f) {
            case HTTP_500 -> throw new StorageUnavailableException("500 Internal Error on " + op + " " + key + " in "
                    + describe());
            case HTTP_503 -> throw new StorageUnavailableException("503 Slow Down on " + op + " " + key + " in "
                    + describe());
            case TIMEOUT -> throw new StorageUnavailableException("Timed out on " + op + " " + key + " in "
                    + describe());
            case TIMEOUT_AFTER_WRITE -> {
                if (!write) {
                    throw new StorageUnavailableException("Timed out on " + op + " " + key + " in " + describe());
                }
                yield true;
            }
        };
    }

    static String etag(byte[] data) {
        try {
            return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JVM", e);
        }
    }
}
