package io.protobase.storage.cloud;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.protobase.CorruptionException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Where a {@link CloudFileStorage} keeps its bytes: the bucket layout under a key prefix, and the
 * local cache directory holding the write-ahead log and a disk cache of downloaded blocks.
 *
 * <pre>{@code
 * var provider = new CloudBlockProvider(new S3ObjectStore(s3Client, "my-bucket"), "orders/",
 *         Path.of("/var/cache/protobase"));
 * }</pre>
 *
 * <h2>Layout</h2> (specified in {@code docs/cloud.md})
 * <ul>
 *   <li>{@code <prefix>root} — the root object: writer epoch, the current root pointer and how far
 *       the log is uploaded; replaced only with {@code If-Match};</li>
 *   <li>{@code <prefix>segments/<segment id, 16 hex>/<offset, 16 hex>} — a chunk: the WAL bytes of
 *       that segment from that offset, ending at a record boundary; written once with
 *       {@code If-None-Match: *}, never overwritten.</li>
 * </ul>
 * Locally, {@code <cache-dir>/wal} holds the log (the file storage's format), and
 * {@code <cache-dir>/blocks} blocks of chunks fetched by ranged GETs.
 *
 * <h2>Cache</h2>
 * A Caffeine cache weighted by bytes ({@code cache-size}) tracks every evictable file: downloaded
 * blocks, and WAL segments that are sealed and uploaded. Bytes not yet uploaded are never entered,
 * so they can never be evicted. Eviction deletes the file (a segment is released by the log first).
 * At open the cache is rebuilt from the directory. A block is at most {@code min(1 MiB, object-size)}
 * bytes, so the directory stays within {@code cache-size} plus the un-uploaded log.
 */
public final class CloudBlockProvider {

    private static final Logger LOG = LoggerFactory.getLogger(CloudBlockProvider.class);

    /** Default bound of the disk cache: 500 MiB. */
    public static final long DEFAULT_CACHE_SIZE = 500L * 1024 * 1024;
    /** Default size of segment objects: 5 MiB. */
    public static final long DEFAULT_OBJECT_SIZE = 5L * 1024 * 1024;
    private static final int MAX_BLOCK = 1 << 20;

    private final CountingObjectStore store;
    private final String prefix;
    private final Path cacheDirectory;
    private final long cacheSize;
    private final long objectSize;
    private final int blockSize;
    /** Segment id → (chunk offset → chunk size), for the chunks known to be in the bucket. */
    private final Map<Long, ConcurrentSkipListMap<Long, Long>> chunks = new ConcurrentHashMap<>();
    private final AtomicLong blockFetches = new AtomicLong();
    private final AtomicLong fetchedBytes = new AtomicLong();
    private volatile Cache<CacheKey, Long> cache;
    private volatile LongPredicate segmentReleaser = id -> true;

    /** A provider with the default cache size (500 MiB) and object size (5 MiB). */
    public CloudBlockProvider(ObjectStore store, String prefix, Path cacheDirectory) {
        this(store, prefix, cacheDirectory, DEFAULT_CACHE_SIZE, DEFAULT_OBJECT_SIZE);
    }

    /**
     * @param store the bucket
     * @param prefix key prefix of this storage in the bucket ("" for none; a trailing '/' is added)
     * @param cacheDirectory local directory for the log and the disk cache
     * @param cacheSize bound of the disk cache in bytes
     * @param objectSize size at which a log segment is sealed (64 KiB .. 1 GiB)
     */
    public CloudBlockProvider(ObjectStore store, String prefix, Path cacheDirectory, long cacheSize, long objectSize) {
        this.store = new CountingObjectStore(Objects.requireNonNull(store, "store"));
        this.prefix = normalize(prefix);
        this.cacheDirectory = cacheDirectory.toAbsolutePath().normalize();
        if (cacheSize < 0) {
            throw new IllegalArgumentException("cache size must not be negative, got " + cacheSize);
        }
        if (objectSize < 64 * 1024 || objectSize > (1L << 30)) {
            throw new IllegalArgumentException("object size must be between 64 KiB and 1 GiB, got " + objectSize);
        }
        this.cacheSize = cacheSize;
        this.objectSize = objectSize;
        this.blockSize = (int) Math.min(MAX_BLOCK, objectSize);
    }

    private static String normalize(String prefix) {
        if (prefix == null || prefix.isEmpty() || prefix.equals("/")) {
            return "";
        }
        String p = prefix.startsWith("/") ? prefix.substring(1) : prefix;
        return p.endsWith("/") ? p : p + "/";
    }

    public ObjectStore store() {
        return store;
    }

    public String prefix() {
        return prefix;
    }

    public Path cacheDirectory() {
        return cacheDirectory;
    }

    public long cacheSize() {
        return cacheSize;
    }

    public long objectSize() {
        return objectSize;
    }

    /** Key of the root object. */
    public String rootKey() {
        return prefix + "root";
    }

    /** Key of the chunk of segment {@code segmentId} starting at {@code offset}. */
    public String chunkKey(long segmentId, long offset) {
        return segmentPrefix(segmentId) + String.format("%016x", offset);
    }

    /** The prefix of the chunk keys of segment {@code segmentId}. */
    public String segmentPrefix(long segmentId) {
        return segmentsPrefix() + String.format("%016x", segmentId) + "/";
    }

    /** The prefix every chunk key starts with. */
    public String segmentsPrefix() {
        return prefix + "segments/";
    }

    /** The segment id of a chunk key, or -1 for a key that is not a chunk of this layout. */
    public long segmentOfChunk(String key) {
        String p = segmentsPrefix();
        if (!key.startsWith(p) || key.length() != p.length() + 16 + 1 + 16 || key.charAt(p.length() + 16) != '/') {
            return -1;
        }
        try {
            Long.parseUnsignedLong(key.substring(p.length() + 17), 16);
            return Long.parseUnsignedLong(key.substring(p.length(), p.length() + 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    Path walDirectory() {
        return cacheDirectory.resolve("wal");
    }

    Path blockDirectory() {
        return cacheDirectory.resolve("blocks");
    }

    /** Bytes of evictable files the cache holds now (downloaded blocks and uploaded segments). */
    public long cachedBytes() {
        Cache<CacheKey, Long> c = cache;
        if (c == null) {
            return 0;
        }
        c.cleanUp();
        return c.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    /** GET requests (whole and ranged) made through this provider. */
    public long getRequests() {
        return store.gets.get();
    }

    /** PUT requests made through this provider. */
    public long putRequests() {
        return store.puts.get();
    }

    /** Bytes sent to the bucket with PUT requests made through this provider (retried ones each time). */
    public long putBytes() {
        return store.putBytes.get();
    }

    /** How many blocks were fetched from the bucket (ranged GETs) since this provider was created. */
    public long blockFetches() {
        return blockFetches.get();
    }

    /** Bytes of chunks fetched from the bucket (ranged GETs of blocks) since this provider was created. */
    public long fetchedBytes() {
        return fetchedBytes.get();
    }

    /**
     * Reads bytes {@code [offset, offset + length)} of segment {@code segmentId} from its chunks in the bucket,
     * through the disk cache (block by block, each fetched once while cached; the range may span chunks), for
     * a storage that keeps its segments elsewhere than in the log under {@code cache-dir/wal} (the cloud
     * cluster storage).
     * Opens the cache at the first call.
     *
     * @throws io.protobase.CorruptionException when no chunk in the bucket holds those bytes
     * @throws io.protobase.StorageUnavailableException when the bucket cannot be reached
     */
    public byte[] readRange(long segmentId, long offset, int length) {
        if (cache == null) {
            synchronized (this) {
                if (cache == null) {
                    openCache(id -> true);
                }
            }
        }
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            // the range may span chunks: read each one's part
            long at = offset + done;
            Map.Entry<Long, Long> chunk = chunkOf(segmentId, at, 1);
            int n = (int) Math.min(length - done, chunk.getKey() + chunk.getValue() - at);
            System.arraycopy(read(segmentId, at, n), 0, out, done, n);
            done += n;
        }
        return out;
    }

    // ------------------------------------------------------------------ cache

    /** Cache entry: a block of a chunk, or ({@code block == -1}) a whole local WAL segment. */
    private record CacheKey(long segmentId, long chunkOffset, int block) {
        boolean isSegment() {
            return block < 0;
        }
    }

    /**
     * Creates the cache and re-enters the blocks found on disk; {@code releaser} is asked to give
     * up a WAL segment the cache evicts.
     */
    void openCache(LongPredicate releaser) {
        this.segmentReleaser = releaser;
        try {
            Files.createDirectories(blockDirectory());
        } catch (IOException e) {
            throw new StorageException("Cannot create the cache directory " + blockDirectory() + ": " + e.getMessage()
                    + "; check protobase.storage.cloud.cache-dir and its permissions", e);
        }
        cache = Caffeine.newBuilder()
                .maximumWeight(cacheSize)
                .weigher((CacheKey k, Long size) -> (int) Math.min(Integer.MAX_VALUE, Math.max(1, size)))
                .executor(Runnable::run)
                .removalListener((CacheKey k, Long size, RemovalCause cause) -> {
                    if (k != null && cause.wasEvicted()) {
                        evicted(k);
                    }
                })
                .build();
        try (Stream<Path> files = Files.list(blockDirectory())) {
            files.forEach(p -> {
                String name = p.getFileName().toString();
                CacheKey key = parseBlockName(name);
                try {
                    if (key == null) {
                        Files.deleteIfExists(p); // a download interrupted by a crash
                    } else {
                        cache.put(key, Files.size(p));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("Cannot read the cache directory " + blockDirectory() + ": " + e.getMessage(),
                    e);
        }
    }

    /** A sealed, uploaded WAL segment becomes evictable. */
    void cacheSegment(long segmentId, long length) {
        cache.put(new CacheKey(segmentId, 0, -1), length);
    }

    private void evicted(CacheKey k) {
        if (k.isSegment()) {
            segmentReleaser.test(k.segmentId());
        } else {
            try {
                Files.deleteIfExists(blockPath(k));
            } catch (IOException e) {
                LOG.warn("Cannot delete the evicted cache file {}: {}", blockPath(k), e.toString());
            }
        }
    }

    private Path blockPath(CacheKey k) {
        return blockDirectory().resolve(String.format("%016x-%016x-%08x.blk", k.segmentId, k.chunkOffset, k.block));
    }

    private static CacheKey parseBlockName(String name) {
        if (name.length() != 16 + 1 + 16 + 1 + 8 + 4 || !name.endsWith(".blk")) {
            return null;
        }
        try {
            return new CacheKey(Long.parseUnsignedLong(name.substring(0, 16), 16),
                    Long.parseUnsignedLong(name.substring(17, 33), 16), Integer.parseInt(name.substring(34, 42), 16));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ chunks

    /** Records that the bucket holds the chunk of {@code segmentId} at {@code offset} of {@code size} bytes. */
    void registerChunk(long segmentId, long offset, long size) {
        chunks.computeIfAbsent(segmentId, id -> new ConcurrentSkipListMap<>()).put(offset, size);
    }

    /**
     * Registers a chunk found by a LIST of the bucket and returns its segment id, or -1 for a key
     * that is not a chunk of this layout.
     */
    long registerListed(ObjectStore.ObjectInfo info) {
        long segment = segmentOfChunk(info.key());
        if (segment >= 0) {
            registerChunk(segment, Long.parseUnsignedLong(info.key().substring(segmentPrefix(segment).length()), 16),
                    info.size());
        }
        return segment;
    }

    /** Bytes of the chunks of a segment known to be in the bucket. */
    long chunkBytes(long segmentId) {
        ConcurrentSkipListMap<Long, Long> m = chunks.get(segmentId);
        return m == null ? 0 : m.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Forgets the chunks of a segment whose objects were deleted. */
    void forgetChunks(long segmentId) {
        chunks.remove(segmentId);
    }

    /**
     * Drops every cached copy of a segment: its downloaded blocks are deleted and its WAL file, if
     * cached, leaves the cache (the caller releases it from the log).
     */
    void dropSegment(long segmentId) {
        Cache<CacheKey, Long> c = cache;
        if (c == null) {
            return;
        }
        for (CacheKey k : List.copyOf(c.asMap().keySet())) {
            if (k.segmentId != segmentId) {
                continue;
            }
            c.invalidate(k);
            if (!k.isSegment()) {
                try {
                    Files.deleteIfExists(blockPath(k));
                } catch (IOException e) {
                    LOG.warn("Cannot delete the cache file {} of a released segment: {}", blockPath(k), e.toString());
                }
            }
        }
    }

    /** The chunk holding {@code [offset, offset + length)} of a segment, listing the bucket when it is not known. */
    private Map.Entry<Long, Long> chunkOf(long segmentId, long offset, int length) {
        Map.Entry<Long, Long> e = covering(segmentId, offset, length);
        if (e != null) {
            return e;
        }
        List<ObjectStore.ObjectInfo> listed = store.list(segmentPrefix(segmentId));
        for (ObjectStore.ObjectInfo o : listed) {
            String tail = o.key().substring(segmentPrefix(segmentId).length());
            try {
                registerChunk(segmentId, Long.parseUnsignedLong(tail, 16), o.size());
            } catch (NumberFormatException ignored) {
                // not a chunk of ours
            }
        }
        e = covering(segmentId, offset, length);
        if (e == null) {
            throw new CorruptionException("No object in " + store.describe() + " under " + segmentPrefix(segmentId)
                    + " holds bytes " + offset + ".." + (offset + length) + " of segment " + segmentId
                    + "; the bucket lost objects, the reference is damaged, or garbage collection deleted the segment "
                    + "(a root older than gc-grace was read)");
        }
        return e;
    }

    private Map.Entry<Long, Long> covering(long segmentId, long offset, int length) {
        ConcurrentSkipListMap<Long, Long> m = chunks.get(segmentId);
        if (m == null) {
            return null;
        }
        Map.Entry<Long, Long> e = m.floorEntry(offset);
        return e != null && offset + length <= e.getKey() + e.getValue() ? e : null;
    }

    /** Reads an atom record from the bucket (through the disk cache) and checks it as the log does. */
    byte[] readAtom(AtomPointer pointer) {
        long segment = pointer.segmentId();
        long offset = pointer.offset();
        if (offset < 40) {
            throw new CorruptionException("Corrupt reference " + pointer + ": it points into a segment header");
        }
        byte[] head = read(segment, offset, 5);
        int length = ByteBuffer.wrap(head).getInt(0);
        if (head[4] != 1 || length < 0 || length > (1 << 30)) {
            throw new CorruptionException("Corrupt " + pointer + " in " + store.describe()
                    + ": not an atom record (kind "
                    + head[4] + ", length " + length + ")");
        }
        byte[] rest = read(segment, offset + 5, length + 4);
        CRC32C crc = new CRC32C();
        crc.update(head, 0, 5);
        crc.update(rest, 0, length);
        if ((int) crc.getValue() != ByteBuffer.wrap(rest).getInt(length)) {
            throw new CorruptionException("Corrupt " + pointer + " in " + store.describe() + ": checksum mismatch; "
                    + "if the disk cache is damaged, delete " + cacheDirectory.resolve("blocks"));
        }
        return Arrays.copyOf(rest, length);
    }

    /** Reads bytes of the log that live only in the bucket, through the disk cache. */
    byte[] read(long segmentId, long offset, int length) {
        Map.Entry<Long, Long> chunk = chunkOf(segmentId, offset, length);
        long chunkOffset = chunk.getKey();
        long chunkSize = chunk.getValue();
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long rel = offset + done - chunkOffset;
            int block = (int) (rel / blockSize);
            int inBlock = (int) (rel % blockSize);
            int n = Math.min(length - done, blockSize - inBlock);
            CacheKey key = new CacheKey(segmentId, chunkOffset, block);
            readBlock(key, chunkSize, inBlock, out, done, n);
            done += n;
        }
        return out;
    }

    private void readBlock(CacheKey key, long chunkSize, int from, byte[] into, int at, int n) {
        {
            cache.get(key, k -> download(k, chunkSize));
            try (FileChannel c = FileChannel.open(blockPath(key), StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.wrap(into, at, n);
                long pos = from;
                while (b.hasRemaining()) {
                    int r = c.read(b, pos);
                    if (r < 0) {
                        throw new CorruptionException("Cache file " + blockPath(key) + " is shorter than expected; "
                                + "delete it and retry");
                    }
                    pos += r;
                }
                return;
            } catch (NoSuchFileException e) {
                // evicted between the lookup and the read (a cache smaller than a block evicts at
                // once): read these bytes straight from the bucket
                byte[] direct = store.getRange(chunkKey(key.segmentId, key.chunkOffset),
                        (long) key.block * blockSize + from, n);
                blockFetches.incrementAndGet();
                fetchedBytes.addAndGet(n);
                System.arraycopy(direct, 0, into, at, n);
                return;
            } catch (IOException e) {
                throw new StorageException("Cannot read the cache file " + blockPath(key) + ": " + e.getMessage(), e);
            }
        }
    }

    private Long download(CacheKey k, long chunkSize) {
        long start = (long) k.block * blockSize;
        int n = (int) Math.min(blockSize, chunkSize - start);
        byte[] bytes = store.getRange(chunkKey(k.segmentId, k.chunkOffset), start, n);
        blockFetches.incrementAndGet();
        fetchedBytes.addAndGet(n);
        Path target = blockPath(k);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StorageException("Cannot write the cache file " + target + ": " + e.getMessage()
                    + "; check free space in protobase.storage.cloud.cache-dir", e);
        }
        return (long) n;
    }

    @Override
    public String toString() {
        return store.describe() + " prefix '" + prefix + "' cached in " + cacheDirectory;
    }
}
