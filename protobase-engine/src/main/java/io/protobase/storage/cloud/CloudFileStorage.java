package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.FencedException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.StorageLockedException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Storage on an S3-compatible bucket, with a local write-ahead log and disk cache.
 *
 * <pre>{@code
 * var store = new S3ObjectStore(s3Client, "my-bucket");
 * SharedStorage storage = new CloudFileStorage(new CloudBlockProvider(store, "orders/", cacheDir),
 *         CloudFileStorage.Options.defaults().withDurability(CloudFileStorage.Durability.SYNC));
 * }</pre>
 *
 * <h2>Design</h2>
 * Commits go to a {@link StandaloneFileStorage} log in {@code <cache-dir>/wal} (same format, fsync
 * at commit), sealed into a new segment at {@code object-size}. A background uploader ships the
 * durable part of the log as <em>chunks</em>: immutable objects written once with
 * {@code If-None-Match: *}, never overwritten, each holding the log bytes of one segment from the
 * previous upload watermark to the end of the last durable commit. Only when every chunk of a round
 * is in the bucket does it replace the root object with {@code If-Match} on the ETag it last wrote:
 * the root never names data the bucket does not hold. Atoms are read from the local log while it
 * has them, else by ranged GETs through the disk cache ({@link CloudBlockProvider}).
 *
 * <h2>Writer epochs and fencing</h2>
 * Opening claims the next writer epoch by rewriting the root object conditionally. Segment ids
 * carry the epoch that created the log ({@code epoch << 32 | n}), so two writers never produce the
 * same object key. An older writer still running finds the root's ETag changed at its next root
 * update: it reads the root, sees a newer epoch, deletes the chunks of that round (which no root
 * references) and fails with {@link FencedException}, now and for every later commit.
 * A put whose reply was lost is resolved by reading back: objects carry the writer's unique id in
 * their metadata, so a put that landed is recognised and not taken for a conflict.
 *
 * <h2>Durability</h2>
 * {@link Durability#ASYNC}: a commit returns once fsynced locally; it reaches the bucket within
 * {@code upload-interval} (sooner when a segment fills). {@link Durability#SYNC}: it returns once
 * the root object naming it is written; when that fails the commit throws
 * {@link StorageUnavailableException} (it stays in the local log and is uploaded later), and while
 * the bucket is known to be unreachable commits fail before writing anything. The upload backlog is
 * bounded ({@link Options#maxBacklog()}); beyond it commits wait. {@link #close()} uploads
 * everything (bounded by {@link Options#closeTimeout()}) and waits for the uploader.
 *
 * <h2>Garbage collection</h2>
 * The storage lends the engine's compaction a {@link #reclaimer()}: its segments are the log
 * segments the root object lists as live plus those of the local log. Releasing one drops its
 * local copies at once (reads into it fail with {@link SegmentReleasedException}); the next root
 * object moves it from its live list to its released list, stamped with that root's time, and
 * its chunks are deleted {@link Options#gcGrace()} later, so a reader holding an older root never
 * meets a hole within the grace. The schedule lives in the root object, so it survives restarts
 * and is inherited by the next writer. Orphans, the chunks of another log that no live list
 * names (a fenced writer's last round, a crashed writer's unpublished one), are deleted once a
 * LIST pass (at open and every grace period) has seen them for the grace, and only after the
 * writer re-read the root object and still holds the current epoch. Deletions run on the uploader
 * thread after a successful round; a failed one is retried at the next pass and never fails a commit.
 *
 * <p>Protocol and layout: {@code docs/cloud.md}. Thread-safe.
 */
public final class CloudFileStorage implements SharedStorage {

    private static final Logger LOG = LoggerFactory.getLogger(CloudFileStorage.class);
    /** Object metadata key carrying the writer's unique id. */
    static final String WRITER_METADATA = "protobase-writer";
    private static final String LOG_ID_FILE = "log-id";
    private static final String LOCK_FILE = "cloud.lock";
    /** Longest pause between failed upload rounds: also how long a recovered bucket may go unnoticed. */
    private static final long MAX_BACKOFF_MS = 5_000;

    /** When a commit returns. */
    public enum Durability {
        /** Once fsynced in the local log; uploaded in the background. */
        ASYNC,
        /** Once in the bucket (the root object names it). */
        SYNC
    }

    /**
     * Settings of a cloud storage.
     *
     * @param durability when a commit returns
     * @param uploadInterval longest time between uploads while there is something to upload
     * @param maxBacklog bytes of log not yet uploaded beyond which commits wait
     * @param commitTimeout how long a commit waits for the upload ({@code sync}) or for backlog room
     * @param closeTimeout how long {@link #close()} keeps trying to upload what is pending
     * @param gcGrace how long the chunks of a released segment, and orphan chunks, stay in the bucket
     *                before they are deleted: the longest time a reader may use a root object it read
     */
    public record Options(Durability durability, Duration uploadInterval, long maxBacklog, Duration commitTimeout,
            Duration closeTimeout, Duration gcGrace) {

        /**
         * Default of {@link #gcGrace()}: one hour. Garbage costs storage only, while a grace shorter than
         * the longest use of an older root (a node or tool that read the root object and still fetches
         * chunks, a copy of the prefix in progress) would make it meet holes; an hour covers those with
         * room for clock skew and costs at most an hour of compacted-away data.
         */
        public static final Duration DEFAULT_GC_GRACE = Duration.ofHours(1);

        /** async, 5 s upload interval, 1 GiB backlog, 30 s commit timeout, 60 s close timeout, 1 h gc grace. */
        public static Options defaults() {
            return new Options(Durability.ASYNC, Duration.ofSeconds(5), 1L << 30, Duration.ofSeconds(30),
                    Duration.ofSeconds(60), DEFAULT_GC_GRACE);
        }

        /** The settings with the default gc grace ({@link #DEFAULT_GC_GRACE}). */
        public Options(Durability durability, Duration uploadInterval, long maxBacklog, Duration commitTimeout,
                Duration closeTimeout) {
            this(durability, uploadInterval, maxBacklog, commitTimeout, closeTimeout, DEFAULT_GC_GRACE);
        }

        public Options {
            Objects.requireNonNull(durability, "durability");
            positive(uploadInterval, "upload interval");
            positive(commitTimeout, "commit timeout");
            positive(closeTimeout, "close timeout");
            positive(gcGrace, "gc grace");
            if (maxBacklog < 1) {
                throw new IllegalArgumentException("max backlog must be positive, got " + maxBacklog);
            }
        }

        private static void positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
        }

        public Options withDurability(Durability d) {
            return new Options(d, uploadInterval, maxBacklog, commitTimeout, closeTimeout, gcGrace);
        }

        public Options withUploadInterval(Duration d) {
            return new Options(durability, d, maxBacklog, commitTimeout, closeTimeout, gcGrace);
        }

        public Options withMaxBacklog(long bytes) {
            return new Options(durability, uploadInterval, bytes, commitTimeout, closeTimeout, gcGrace);
        }

        public Options withCommitTimeout(Duration d) {
            return new Options(durability, uploadInterval, maxBacklog, d, closeTimeout, gcGrace);
        }

        public Options withCloseTimeout(Duration d) {
            return new Options(durability, uploadInterval, maxBacklog, commitTimeout, d, gcGrace);
        }

        /** The settings with another {@link #gcGrace()}. */
        public Options withGcGrace(Duration d) {
            return new Options(durability, uploadInterval, maxBacklog, commitTimeout, closeTimeout, d);
        }
    }

    /**
     * Why this writer stopped writing: another writer claimed the prefix.
     *
     * @param epoch this storage's writer epoch
     * @param newerEpoch the epoch the bucket's root object names now, when it could be read (the root
     *                   may have been deleted, or a chunk conflict may have been seen before the root)
     * @param reason the message of the {@link FencedException} commits now fail with
     */
    public record Fencing(long epoch, OptionalLong newerEpoch, String reason) {
    }

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final Options options;
    private final String writerId = UUID.randomUUID().toString();
    private final Map<String, String> metadata = Map.of(WRITER_METADATA, writerId);
    private final FileChannel lockChannel;
    private final FileLock cacheLock;
    private final long epoch;
    private final String logId;
    private final StandaloneFileStorage wal;
    private final Thread uploader;

    /** Guards the upload state below; the uploader and waiting committers meet here. */
    private final Object progress = new Object();
    private String rootEtag;
    private long uploadedSegment;
    private long uploadedOffset;
    private long uploadedSequence;
    private long roundsStarted;
    private long roundsFinished;
    private boolean lastRoundFailed;
    private RuntimeException lastFailure;
    private boolean wake;
    private boolean stopping;
    private volatile FencedException fence;
    private volatile Fencing fencing;
    /** The epoch found in the root when the uploader was fenced, -1 when unknown (uploader thread only). */
    private long fencedByEpoch = -1;
    private volatile boolean closed;
    /** {@link System#nanoTime()} of the oldest commit not yet uploaded, 0 when none. */
    private volatile long pendingSince;

    /** Time source of the garbage-collection schedule (release stamps, grace, orphan ages). */
    private final Clock clock;
    private final SegmentReclaimer reclaimer = new Reclaimer();
    /** Guards the garbage-collection state below. */
    private final Object gcLock = new Object();
    /** The segments the last published root object lists as live. */
    private NavigableSet<Long> live;
    /** Released segments the last published root lists, with their release stamps: deleted after the grace. */
    private NavigableMap<Long, Long> pendingDeletion;
    /** Segments released since the last published root → the commit sequence a root must reach to drop them. */
    private final Map<Long, Long> releasing = new HashMap<>();
    /** Every segment released while open or pending deletion at open: reads into them fail (read without the lock). */
    private final Set<Long> released = ConcurrentHashMap.newKeySet();
    /** Whether the root object must be written again for the GC state alone (deletions done, a list computed). */
    private boolean gcRootStale;
    /** A pass of {@link #collectGarbageNow()} was asked for (guarded by {@link #progress}). */
    private boolean gcRequested;
    /** Orphan chunk keys → clock millis the first LIST pass saw them (uploader thread only). */
    private final Map<String, Long> orphansSeen = new HashMap<>();
    /** Clock millis of the next orphan LIST pass (uploader thread only). */
    private long nextOrphanPass;
    private final AtomicLong deletedSegments = new AtomicLong();
    private final AtomicLong deletedOrphans = new AtomicLong();
    private volatile String lastGcFailure;

    /** Opens the storage: claims the next writer epoch, recovers the local log, starts the uploader. */
    public CloudFileStorage(CloudBlockProvider provider, Options options) {
        this(provider, options, Clock.systemUTC());
    }

    /** Opens the storage with the clock that times garbage collection. */
    CloudFileStorage(CloudBlockProvider provider, Options options, Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.options = Objects.requireNonNull(options, "options");
        this.store = provider.store();
        Path dir = provider.cacheDirectory();
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException("Cannot create the cache directory " + dir + ": " + e.getMessage()
                    + "; check protobase.storage.cloud.cache-dir and its permissions", e);
        }
        FileLock lock = null;
        StandaloneFileStorage log = null;
        try {
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StorageLockedException("The cache directory " + dir + " is in use by another cloud storage "
                        + "(in this or another process); give each storage its own cache-dir");
            }
            String localLog = localLogId();
            Claim claim = claimEpoch(localLog);
            this.epoch = claim.epoch;
            this.logId = claim.logId;
            this.rootEtag = claim.etag;
            if (!claim.logId.equals(localLog)) {
                Files.writeString(dir.resolve(LOG_ID_FILE), claim.logId + "\n");
            }
            RootObject previous = claim.previous;
            StandaloneFileStorage.Options walOptions = new StandaloneFileStorage.Options(FsyncPolicy.COMMIT,
                    Duration.ofSeconds(1), provider.objectSize());
            StandaloneFileStorage.Origin origin = new StandaloneFileStorage.Origin(epoch << 32 | 1,
                    previous == null ? null : previous.root(), previous == null ? 0 : previous.sequence());
            log = new StandaloneFileStorage(new FileBlockProvider(provider.walDirectory()), walOptions, origin);
            if (claim.continuesLocal && previous != null && log.sequence() < previous.sequence()) {
                throw new CorruptionException("The local log in " + provider.walDirectory() + " ends at commit "
                        + log.sequence() + " but " + store.describe() + " already holds commit " + previous.sequence()
                        + " of it; the cache directory lost data. Move it away and open again to start from the "
                        + "bucket");
            }
            this.wal = log;
            if (claim.continuesLocal && previous != null) {
                uploadedSegment = previous.uploadedSegment();
                uploadedOffset = previous.uploadedOffset();
                uploadedSequence = previous.sequence();
            } else {
                uploadedSegment = log.segmentIds().get(0);
                uploadedOffset = 0;
                uploadedSequence = previous == null ? 0 : previous.sequence();
            }
            provider.openCache(log::releaseSegment);
            for (long id : log.segmentIds()) {
                if (id < uploadedSegment) {
                    provider.cacheSegment(id, log.segmentLength(id));
                }
            }
            if (log.sequence() > uploadedSequence || log.committedPosition().segmentId() != uploadedSegment
                    || log.committedPosition().end() != uploadedOffset) {
                pendingSince = System.nanoTime();
            }
            openGarbageCollection(claim.claimed);
        } catch (IOException e) {
            closeQuietly(log, lock);
            throw new StorageException("Cannot prepare the cache directory " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(log, lock);
            throw e;
        }
        this.cacheLock = lock;
        this.uploader = new Thread(this::runUploader, "protobase-upload-" + provider.prefix());
        uploader.setDaemon(true);
        uploader.start();
        long unshipped = wal.sequence() - uploadedSequence;
        LOG.info("Opened {} as writer epoch {} (log {}, {})", describe(), epoch, logId, unshipped > 0
                ? "uploading " + unshipped + " commit(s) left pending by the previous run"
                : "no commit pending upload");
    }

    private void closeQuietly(StandaloneFileStorage log, FileLock lock) {
        if (log != null) {
            log.close();
        }
        try {
            if (lock != null) {
                lock.release();
            }
            lockChannel.close();
        } catch (IOException ignored) {
            // released with the process
        }
    }

    // ------------------------------------------------------------------ open

    private record Claim(long epoch, String logId, String etag, RootObject previous, boolean continuesLocal,
            RootObject claimed) {
    }

    private String localLogId() throws IOException {
        Path walDir = provider.walDirectory();
        boolean hasSegments = false;
        if (Files.isDirectory(walDir)) {
            try (Stream<Path> files = Files.list(walDir)) {
                hasSegments = files.anyMatch(p -> p.getFileName().toString().endsWith(".pbl"));
            }
        }
        Path idFile = provider.cacheDirectory().resolve(LOG_ID_FILE);
        if (!hasSegments) {
            return null;
        }
        if (!Files.exists(idFile)) {
            throw new StorageException("The cache directory " + provider.cacheDirectory() + " holds a log without its "
                    + LOG_ID_FILE + " file; it was not written by a cloud storage. Use an empty cache-dir");
        }
        return Files.readString(idFile).trim();
    }

    /**
     * Claims the next writer epoch by a conditional write of the root object, and decides whether
     * the local log continues the bucket's history (same log id) or a new log starts from it.
     */
    private Claim claimEpoch(String localLog) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Optional<ObjectStore.StoredObject> current = store.get(provider.rootKey());
            RootObject previous = current.map(o -> RootObject.parse(o.data(), provider.rootKey())).orElse(null);
            boolean continues = localLog != null && (previous == null || previous.log().equals(localLog));
            if (localLog != null && !continues) {
                Path aside = provider.cacheDirectory().resolve("orphaned-wal-" + System.currentTimeMillis());
                LOG.warn("The local log in {} is not the history of {} (another writer, log {}, took over at "
                                + "epoch {}); commits made here and never uploaded are not part of it. Moving the "
                                + "log to {} and starting from the bucket", provider.walDirectory(), store.describe(),
                        previous.log(), previous.epoch(), aside);
                Files.move(provider.walDirectory(), aside);
                localLog = null;
            }
            String log = continues ? localLog : UUID.randomUUID().toString();
            long next = previous == null ? 1 : previous.epoch() + 1;
            long firstSegment = next << 32 | 1;
            // the live and released lists carry over: a new log adds its segments as it uploads them
            RootObject claim = previous == null
                    ? new RootObject(next, writerId, log, 0, null, continues ? -1 : firstSegment, 0, null, null)
                    : continues
                    ? new RootObject(next, writerId, log, previous.sequence(), previous.root(),
                            previous.uploadedSegment(), previous.uploadedOffset(), previous.segments(),
                                    previous.released())
                    : new RootObject(next, writerId, log, previous.sequence(), previous.root(), firstSegment, 0,
                            previous.segments(), previous.released());
            try {
                String etag = current.isEmpty()
                        ? store.putIfAbsent(provider.rootKey(), claim.toBytes(), metadata)
                        : store.putIfMatch(provider.rootKey(), claim.toBytes(), current.get().etag(), metadata);
                return new Claim(next, log, etag, previous, continues, claim);
            } catch (ObjectStore.PreconditionFailedException | StorageUnavailableException e) {
                // another writer opened at the same moment, or the reply was lost: read again
                Optional<ObjectStore.StoredObject> now = store.get(provider.rootKey());
                if (now.isPresent() && writerId.equals(RootObject.parse(now.get().data(), provider.rootKey())
                        .writer())) {
                    return new Claim(next, log, now.get().etag(), previous, continues, claim);
                }
                if (attempt >= 5) {
                    throw e instanceof StorageUnavailableException u ? u : new StorageException("Cannot claim a writer "
                            + "epoch on " + store.describe() + " at " + provider.rootKey() + ": other writers keep "
                            + "opening the same prefix; only one process may write a prefix at a time", e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ SPI

    @Override
    public AtomPointer push(byte[] atom) {
        ensureOpen("push an atom");
        return wal.push(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureOpen("read an atom");
        if (isReleased(pointer.segmentId())) {
            throw new SegmentReleasedException("Cannot read " + pointer + " from " + describe() + ": its segment "
                    + pointer.segmentId() + " was released by compaction (no retained version reaches it)",
                    pointer.segmentId());
        }
        if (wal.hasSegment(pointer.segmentId())) {
            try {
                return wal.read(pointer);
            } catch (CorruptionException e) {
                throw e;
            } catch (StorageException e) {
                if (wal.hasSegment(pointer.segmentId()) || closed) {
                    throw e;
                }
                // the cache released the segment while we read it: it is in the bucket
            }
        }
        return provider.readAtom(pointer);
    }

    @Override
    public AtomPointer readRoot() {
        ensureOpen("read the root");
        return wal.readRoot();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        ensureOpen("acquire the commit lock");
        return wal.acquireCommitLock(timeout);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        ensureOpen("publish a root");
        if (options.durability() == Durability.SYNC) {
            RuntimeException down;
            synchronized (progress) {
                down = lastRoundFailed ? lastFailure : null;
            }
            if (down != null) {
                throw new StorageUnavailableException("Cannot commit with durability=sync: " + store.describe()
                        + " is unreachable (" + down.getMessage() + "); nothing was written. Retry when it is back, "
                        + "or use durability=async to keep committing locally", down);
            }
        }
        awaitBacklogRoom();
        if (!wal.compareAndSetRoot(lock, expected, newRoot)) {
            return false;
        }
        long sequence = wal.committedPosition().sequence();
        if (pendingSince == 0) {
            pendingSince = System.nanoTime();
        }
        if (options.durability() == Durability.SYNC) {
            awaitUploaded(sequence);
        } else if (uploadBacklogBytes() >= provider.objectSize()) {
            wakeUploader();
        }
        return true;
    }

    /**
     * In {@code async} mode the local log's pipelined update: the commit lock is released while the
     * log is fsynced, as on the file storage. In {@code sync} mode the upload is awaited before
     * returning, as {@link #compareAndSetRoot} does.
     */
    @Override
    public PendingRoot compareAndSetRootPipelined(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        if (options.durability() == Durability.SYNC) {
            return compareAndSetRoot(lock, expected, newRoot) ? PendingRoot.DURABLE : null;
        }
        ensureOpen("publish a root");
        awaitBacklogRoom();
        PendingRoot local = wal.compareAndSetRootPipelined(lock, expected, newRoot);
        if (local == null) {
            return null;
        }
        return new PendingRoot() {
            @Override
            public void await() {
                await(null);
            }

            @Override
            public void await(Runnable beforeStart) {
                if (beforeStart == null) {
                    local.await();
                } else {
                    local.await(beforeStart);
                }
                if (pendingSince == 0) {
                    pendingSince = System.nanoTime();
                }
                if (uploadBacklogBytes() >= provider.objectSize()) {
                    wakeUploader();
                }
            }
        };
    }

    @Override
    public void flush() {
        ensureOpen("flush");
        wal.flush();
        if (options.durability() == Durability.SYNC) {
            awaitUploaded(wal.committedPosition().sequence());
        }
    }

    /**
     * Uploads everything committed so far and waits until the root object names it.
     *
     * @throws StorageUnavailableException when the upload fails or takes longer than the commit timeout
     * @throws FencedException when a newer writer took over
     */
    public void uploadNow() {
        ensureOpen("upload");
        awaitUploaded(wal.committedPosition().sequence());
    }

    @Override
    public String describe() {
        return "cloud storage on " + store.describe() + " prefix '" + provider.prefix() + "' (durability="
                + options.durability().name().toLowerCase() + ", cache " + provider.cacheDirectory() + ")";
    }

    // ------------------------------------------------------------------ state for health and metrics

    /** The durability mode. */
    public Durability durability() {
        return options.durability();
    }

    /** The settings this storage was opened with. */
    public Options options() {
        return options;
    }

    /** The provider (bucket layout and cache). */
    public CloudBlockProvider provider() {
        return provider;
    }

    /** The writer epoch this storage claimed at open. */
    public long epoch() {
        return epoch;
    }

    /** Bytes of committed log not yet in the bucket. */
    public long uploadBacklogBytes() {
        StandaloneFileStorage.LogPosition target = wal.committedPosition();
        long segment;
        long offset;
        synchronized (progress) {
            segment = uploadedSegment;
            offset = uploadedOffset;
        }
        long sum = 0;
        for (long id : wal.segmentIds()) {
            if (id < segment || id > target.segmentId()) {
                continue;
            }
            long from = id == segment ? offset : 0;
            long to = id < target.segmentId() ? wal.segmentLength(id) : target.end();
            if (to > from) {
                sum += to - from;
            }
        }
        return sum;
    }

    /** How long the oldest commit not yet in the bucket has waited; zero when everything is uploaded. */
    public Duration oldestUnuploadedCommitAge() {
        long since = pendingSince;
        return since == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - since));
    }

    /** Whether the last upload round (or probe) reached the bucket; a round that found this writer fenced did. */
    public boolean isBucketReachable() {
        synchronized (progress) {
            return !lastRoundFailed;
        }
    }

    /** Why the last upload round failed, or empty. */
    public Optional<String> lastUploadFailure() {
        synchronized (progress) {
            return lastRoundFailed && lastFailure != null ? Optional.of(lastFailure.getMessage()) : Optional.empty();
        }
    }

    /** Whether a newer writer fenced this one. */
    public boolean isFenced() {
        return fence != null;
    }

    /** How a newer writer fenced this one, or empty while this storage writes the prefix. */
    public Optional<Fencing> fencing() {
        return Optional.ofNullable(fencing);
    }

    /** PUT requests made so far (segment chunks and root updates). */
    public long putRequests() {
        return provider.putRequests();
    }

    /** GET requests made so far (root reads and ranged reads of chunks). */
    public long getRequests() {
        return provider.getRequests();
    }

    // ------------------------------------------------------------------ waiting

    private void wakeUploader() {
        synchronized (progress) {
            wake = true;
            progress.notifyAll();
        }
    }

    private void awaitUploaded(long sequence) {
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        synchronized (progress) {
            long round = roundsStarted + 1;
            wake = true;
            progress.notifyAll();
            while (uploadedSequence < sequence) {
                FencedException f = fence;
                if (f != null) {
                    throw new FencedException(f.getMessage());
                }
                if (roundsFinished >= round && lastRoundFailed) {
                    throw new StorageUnavailableException("Commit " + sequence + " is durable in the local log in "
                            + provider.walDirectory() + " but not in " + store.describe() + " (" + describeFailure()
                            + "); it is uploaded as soon as the bucket is reachable, so its outcome is unknown until "
                            + "then", lastFailure);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StorageUnavailableException("Commit " + sequence + " is durable in the local log but was "
                            + "not uploaded to " + store.describe() + " within " + options.commitTimeout()
                            + "; it is uploaded in the background. Check the bucket's reachability or raise the commit "
                            + "timeout");
                }
                waitOn(left);
            }
        }
    }

    private void awaitBacklogRoom() {
        if (uploadBacklogBytes() <= options.maxBacklog()) {
            return;
        }
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        synchronized (progress) {
            wake = true;
            progress.notifyAll();
            while (uploadBacklogBytes() > options.maxBacklog()) {
                if (fence != null) {
                    throw new FencedException(fence.getMessage());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StorageUnavailableException("The upload backlog of " + uploadBacklogBytes() + " bytes "
                            + "exceeds max-backlog (" + options.maxBacklog() + ") of " + describe() + " ("
                            + describeFailure() + "); nothing was written. Commits resume once uploads catch up");
                }
                waitOn(left);
            }
        }
    }

    private String describeFailure() {
        RuntimeException f = lastFailure;
        return f == null ? "no upload error" : "last upload error: " + f.getMessage();
    }

    /** Waits on {@link #progress} (caller holds it). */
    private void waitOn(long nanos) {
        try {
            progress.wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageUnavailableException("Interrupted while waiting for the upload to " + store.describe());
        }
    }

    // ------------------------------------------------------------------ uploader

    private void runUploader() {
        long backoff = 0;
        long closeDeadline = Long.MAX_VALUE;
        while (true) {
            synchronized (progress) {
                long waitMs = backoff > 0 ? backoff : options.uploadInterval().toMillis();
                long until = System.nanoTime() + waitMs * 1_000_000;
                while (!wake && !(stopping && backoff == 0)) {
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        progress.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        stopping = true;
                    }
                }
                wake = false;
                if (stopping && closeDeadline == Long.MAX_VALUE) {
                    closeDeadline = System.nanoTime() + options.closeTimeout().toNanos();
                }
                roundsStarted++;
            }
            long chunksBefore = chunksShipped;
            boolean ok = round();
            if (ok && fence == null) {
                collectGarbage();
            }
            // a failed round that still shipped chunks is progress: the next one starts from where it got
            boolean progressed = chunksShipped != chunksBefore;
            boolean done;
            synchronized (progress) {
                roundsFinished++;
                // a fenced round reached the bucket: it read the newer writer's root there
                lastRoundFailed = !ok && fence == null;
                progress.notifyAll();
                done = fence != null || (stopping && (ok ? nothingPending() : System.nanoTime() > closeDeadline));
            }
            if (done) {
                return;
            }
            backoff = ok ? 0 : Math.min(MAX_BACKOFF_MS, progressed ? 100 : Math.max(100, backoff * 2))
                    + ThreadLocalRandom.current().nextLong(50);
        }
    }

    /** Chunk objects put by the uploader thread (only it reads and writes this). */
    private long chunksShipped;

    private boolean nothingPending() {
        StandaloneFileStorage.LogPosition t = wal.committedPosition();
        return t.sequence() == uploadedSequence && t.segmentId() == uploadedSegment && t.end() == uploadedOffset;
    }

    /** One upload round: chunks up to the last durable commit, then the root object. */
    private boolean round() {
        try {
            long startedAt = System.nanoTime();
            StandaloneFileStorage.LogPosition target = wal.committedPosition();
            long fromSegment;
            long fromOffset;
            boolean probe;
            synchronized (progress) {
                fromSegment = uploadedSegment;
                fromOffset = uploadedOffset;
                probe = lastRoundFailed;
            }
            if (target.sequence() == uploadedSequence && target.segmentId() == fromSegment
                    && target.end() == fromOffset && !gcNeedsRoot(target.sequence())) {
                if (probe) {
                    store.head(provider.rootKey()); // tells whether the bucket is back
                }
                return true;
            }
            List<String> written = new ArrayList<>();
            List<Long> sealed = new ArrayList<>();
            Set<Long> touched = new HashSet<>();
            for (long id : wal.segmentIds()) {
                if (id < fromSegment || id > target.segmentId()) {
                    continue;
                }
                long from = id == fromSegment ? fromOffset : 0;
                long to = id < target.segmentId() ? wal.segmentLength(id) : target.end();
                if (to > from) {
                    uploadRange(id, from, to, written);
                }
                if (to > 0) {
                    touched.add(id);
                }
                if (id < target.segmentId()) {
                    sealed.add(id);
                }
            }
            GcLists lists = nextGcLists(target.sequence(), touched);
            publishRoot(new RootObject(epoch, writerId, logId, target.sequence(), target.root(), target.segmentId(),
                    target.end(), lists.live(), lists.pending()), written);
            publishedGcLists(lists);
            synchronized (progress) {
                uploadedSegment = target.segmentId();
                uploadedOffset = target.end();
                uploadedSequence = target.sequence();
                StandaloneFileStorage.LogPosition now = wal.committedPosition();
                pendingSince = now.sequence() == target.sequence() && now.end() == target.end()
                        && now.segmentId() == target.segmentId() ? 0 : startedAt;
                if (lastRoundFailed) {
                    LOG.info("Uploads to {} resumed", store.describe());
                }
            }
            for (long id : sealed) {
                if (isReleased(id)) {
                    dropLocal(id); // released before it was uploaded: kept until then for the roots that reach it
                } else {
                    provider.cacheSegment(id, wal.segmentLength(id));
                }
            }
            return true;
        } catch (FencedException e) {
            synchronized (progress) {
                fencing = new Fencing(epoch, fencedByEpoch < 0 ? OptionalLong.empty() : OptionalLong.of(fencedByEpoch),
                        e.getMessage());
                fence = e;
                lastFailure = e;
            }
            LOG.error(e.getMessage());
            return false;
        } catch (RuntimeException e) {
            boolean first;
            synchronized (progress) {
                first = !lastRoundFailed;
                lastFailure = e;
            }
            if (first) {
                LOG.warn("Upload to {} failed, retrying with back-off: {}", store.describe(), e.getMessage());
            } else {
                LOG.debug("Upload to {} failed again: {}", store.describe(), e.getMessage());
            }
            return false;
        }
    }

    /** Ships log bytes {@code [from, to)} of a segment as chunk objects written once. */
    private void uploadRange(long segment, long from, long to, List<String> written) {
        long pos = from;
        while (pos < to) {
            if (!wal.hasSegment(segment)) {
                return; // released by the cache, which happens only once it is uploaded
            }
            byte[] bytes = wal.readRaw(segment, pos, (int) (to - pos));
            String key = provider.chunkKey(segment, pos);
            try {
                store.putIfAbsent(key, bytes, metadata);
                written.add(key);
                provider.registerChunk(segment, pos, bytes.length);
                chunksShipped++;
                pos = to;
            } catch (ObjectStore.PreconditionFailedException e) {
                // there already: our own put whose reply was lost, or an earlier run of this log
                ObjectStore.ObjectInfo info = store.head(key).orElseThrow(() -> new StorageUnavailableException(
                        "The object " + key + " in " + store.describe() + " exists and then does not; retrying"));
                if (info.size() > bytes.length || info.size() <= 0) {
                    throw conflict(key, "it holds " + info.size() + " bytes where this log has " + bytes.length);
                }
                if (!writerId.equals(info.metadata().get(WRITER_METADATA))) {
                    byte[] there = store.getRange(key, 0, (int) info.size());
                    if (!Arrays.equals(there, 0, there.length, bytes, 0, there.length)) {
                        throw conflict(key, "its bytes differ from this log's");
                    }
                }
                provider.registerChunk(segment, pos, info.size());
                pos += info.size();
            }
        }
    }

    private FencedException conflict(String key, String why) {
        fencedByEpoch = currentRootEpoch();
        return new FencedException("Writer epoch " + epoch + " of " + describe() + " found " + key
                + " written by another writer (" + why + "); another process writes this prefix. This storage stopped "
                + "writing: close it and make sure only one process uses the prefix");
    }

    /** The epoch the bucket's root object names, or -1 when it cannot be read. */
    private long currentRootEpoch() {
        try {
            return store.get(provider.rootKey()).map(o -> RootObject.parse(o.data(), provider.rootKey()).epoch())
                    .orElse(-1L);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private void publishRoot(RootObject root, List<String> written) {
        byte[] body = root.toBytes();
        for (int attempt = 0; ; attempt++) {
            try {
                String etag = store.putIfMatch(provider.rootKey(), body, rootEtag, metadata);
                synchronized (progress) {
                    rootEtag = etag;
                }
                return;
            } catch (ObjectStore.PreconditionFailedException e) {
                Optional<ObjectStore.StoredObject> now = store.get(provider.rootKey());
                RootObject there = now.map(o -> RootObject.parse(o.data(), provider.rootKey())).orElse(null);
                if (there != null && writerId.equals(there.writer()) && attempt < 3) {
                    // an earlier put of ours landed although its reply was lost
                    synchronized (progress) {
                        rootEtag = now.get().etag();
                    }
                    continue;
                }
                fencedByEpoch = there == null ? -1 : there.epoch();
                for (String key : written) {
                    try {
                        store.delete(key); // never referenced by any root
                    } catch (RuntimeException d) {
                        LOG.warn("Cannot remove the unreferenced object {}: {}", key, d.getMessage());
                    }
                }
                throw new FencedException("Writer epoch " + epoch + " of " + describe() + " was fenced: "
                        + (there == null ? "the root object " + provider.rootKey() + " was deleted"
                        : "writer epoch " + there.epoch() + " took over the prefix")
                        + ". This storage stopped writing; its commits after sequence " + uploadedSequence
                        + " are not in the bucket. Close it; only one process may write a prefix at a time");
            }
        }
    }

    // ------------------------------------------------------------------ garbage collection

    /**
     * Takes the live and released lists from the root object this writer claimed, and seeds the
     * orphan ages from one LIST of the bucket, which also tells the sizes of the chunks. A root
     * written before the storage kept a live list counts every segment in the bucket as live.
     */
    private void openGarbageCollection(RootObject claimed) {
        List<ObjectStore.ObjectInfo> listing = store.list(provider.segmentsPrefix());
        NavigableSet<Long> found = new TreeSet<>();
        for (ObjectStore.ObjectInfo info : listing) {
            long segment = provider.registerListed(info);
            if (segment >= 0) {
                found.add(segment);
            }
        }
        long now = clock.millis();
        synchronized (gcLock) {
            live = claimed.segments() == null ? found : new TreeSet<>(claimed.segments());
            gcRootStale = claimed.segments() == null;
            pendingDeletion = new TreeMap<>(claimed.released());
            released.addAll(pendingDeletion.keySet());
        }
        noteOrphans(listing, now);
        nextOrphanPass = now + options.gcGrace().toMillis();
    }

    private boolean isReleased(long segment) {
        return released.contains(segment);
    }

    /** Whether a root object must be written for the GC state even with nothing new to upload. */
    private boolean gcNeedsRoot(long sequence) {
        synchronized (gcLock) {
            return gcRootStale || releasing.values().stream().anyMatch(s -> s <= sequence);
        }
    }

    /** The lists of a root object about to be written, the releases it makes public and their stamp. */
    private record GcLists(NavigableSet<Long> live, NavigableMap<Long, Long> pending, List<Long> dropped, long stamp) {
    }

    /**
     * The lists for the root of commit {@code sequence}: the segments this round uploaded join the
     * live list; a segment released at or before {@code sequence} leaves it (that root, and every
     * later one, cannot reach it) and is stamped with now, from when the grace counts. Nothing changes
     * here until the root is written ({@link #publishedGcLists}): a failed round stamps again.
     */
    private GcLists nextGcLists(long sequence, Set<Long> touched) {
        long now = clock.millis();
        synchronized (gcLock) {
            NavigableSet<Long> nextLive = new TreeSet<>(live);
            nextLive.addAll(touched);
            NavigableMap<Long, Long> nextPending = new TreeMap<>(pendingDeletion);
            List<Long> dropped = new ArrayList<>();
            releasing.forEach((id, at) -> {
                if (at <= sequence) {
                    nextPending.putIfAbsent(id, now);
                    dropped.add(id);
                }
            });
            nextLive.removeAll(nextPending.keySet());
            return new GcLists(nextLive, nextPending, dropped, now);
        }
    }

    /**
     * Adopts the lists of the root just written. The releases it made public were stamped before the
     * PUT; a reader may have read the older root until the PUT returned, so the grace counts from now,
     * and the next root records the later stamp (a crash before that leaves only the earlier one).
     */
    private void publishedGcLists(GcLists lists) {
        long written = clock.millis();
        synchronized (gcLock) {
            live = lists.live();
            pendingDeletion = lists.pending();
            lists.dropped().forEach(releasing::remove);
            gcRootStale = false;
            if (written != lists.stamp()) {
                for (long id : lists.dropped()) {
                    if (pendingDeletion.replace(id, lists.stamp(), written)) {
                        gcRootStale = true;
                    }
                }
            }
        }
    }

    /** Deletes the local copies of a released segment: its log file and its cached blocks. */
    private void dropLocal(long segment) {
        provider.dropSegment(segment);
        wal.releaseSegment(segment);
    }

    /**
     * One pass (uploader thread, after a successful round): deletes the chunks of segments released
     * longer than the grace ago, then, every grace period or when asked, LISTs the bucket for orphans.
     * A failure is logged and retried at the next pass; commits never see it.
     */
    private void collectGarbage() {
        boolean orphanPass;
        long now = clock.millis();
        synchronized (progress) {
            if (stopping) {
                return;
            }
            orphanPass = gcRequested || now >= nextOrphanPass;
            gcRequested = false;
        }
        try {
            deleteDueSegments(now);
            if (orphanPass) {
                collectOrphans(now);
                nextOrphanPass = now + options.gcGrace().toMillis();
            }
            if (lastGcFailure != null) {
                LOG.info("Garbage collection in {} works again", store.describe());
            }
            lastGcFailure = null;
        } catch (RuntimeException e) {
            if (lastGcFailure == null) {
                LOG.warn("Garbage collection in {} failed; it is retried at the next pass and commits are not "
                        + "affected: {}", store.describe(), e.getMessage());
            }
            lastGcFailure = e.getMessage();
        }
    }

    private void deleteDueSegments(long now) {
        long grace = options.gcGrace().toMillis();
        List<Long> due = new ArrayList<>();
        synchronized (gcLock) {
            pendingDeletion.forEach((id, at) -> {
                if (now - at >= grace) {
                    due.add(id);
                }
            });
        }
        for (long id : due) {
            for (ObjectStore.ObjectInfo info : store.list(provider.segmentPrefix(id))) {
                if (provider.segmentOfChunk(info.key()) == id) {
                    store.delete(info.key());
                }
            }
            provider.forgetChunks(id);
            synchronized (gcLock) {
                pendingDeletion.remove(id);
                gcRootStale = true;
            }
            deletedSegments.incrementAndGet();
        }
    }

    /**
     * Deletes the orphans seen for the grace, after checking that this writer still holds the
     * current epoch (a zombie deletes nothing: the live list it knows is not the newest).
     */
    private void collectOrphans(long now) {
        List<String> due = noteOrphans(store.list(provider.segmentsPrefix()), now);
        if (due.isEmpty() || currentRootEpoch() != epoch) {
            return;
        }
        for (String key : due) {
            store.delete(key);
            orphansSeen.remove(key);
            deletedOrphans.incrementAndGet();
        }
        LOG.info("Deleted {} orphan chunk(s) left in {} by earlier writers", due.size(), store.describe());
    }

    /**
     * Records when each orphan of {@code listing} was first seen and returns those seen at least the
     * grace ago. An orphan is a chunk of a segment of an older log (its id's epoch is below this
     * log's) that neither the live list nor a pending release names: no root this writer inherited
     * reaches it, and no writer will name it later, since a log continues only under the writer
     * that holds its cache directory. This log's own chunks are never orphans: the ones above the
     * watermark are the round in progress.
     */
    private List<String> noteOrphans(List<ObjectStore.ObjectInfo> listing, long now) {
        long thisLog = wal.currentSegmentId() >>> 32;
        Set<Long> named;
        synchronized (gcLock) {
            named = new HashSet<>(live);
            named.addAll(pendingDeletion.keySet());
            named.addAll(releasing.keySet());
        }
        Map<String, Long> seen = new HashMap<>();
        List<String> due = new ArrayList<>();
        long grace = options.gcGrace().toMillis();
        for (ObjectStore.ObjectInfo info : listing) {
            long segment = provider.segmentOfChunk(info.key());
            if (segment < 0 || segment >>> 32 >= thisLog || named.contains(segment)) {
                continue;
            }
            long since = orphansSeen.getOrDefault(info.key(), now);
            seen.put(info.key(), since);
            if (now - since >= grace) {
                due.add(info.key());
            }
        }
        orphansSeen.clear();
        orphansSeen.putAll(seen);
        return due;
    }

    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return Optional.of(reclaimer);
    }

    /**
     * Runs a garbage-collection pass now rather than at the next upload round, and waits for it:
     * deletes the chunks of segments released longer than {@link Options#gcGrace()} ago and the
     * orphans a LIST pass has seen for that long. A pass is skipped while the bucket is unreachable;
     * {@link #garbageCollectionFailure()} tells why one failed.
     *
     * @throws FencedException when a newer writer took over (it collects instead)
     * @throws StorageUnavailableException when no upload round ends within the commit timeout
     */
    public void collectGarbageNow() {
        ensureOpen("collect garbage");
        long deadline = System.nanoTime() + options.commitTimeout().toNanos();
        synchronized (progress) {
            long round = roundsStarted + 1;
            gcRequested = true;
            wake = true;
            progress.notifyAll();
            while (roundsFinished < round) {
                if (fence != null) {
                    throw new FencedException(fence.getMessage());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StorageUnavailableException("No garbage-collection pass of " + describe() + " ran within "
                            + options.commitTimeout() + " (" + describeFailure() + ")");
                }
                waitOn(left);
            }
        }
    }

    /** Released segments whose chunks are not deleted yet (waiting for a root object or for the grace). */
    public int pendingSegmentDeletions() {
        synchronized (gcLock) {
            Set<Long> ids = new HashSet<>(releasing.keySet());
            ids.addAll(pendingDeletion.keySet());
            return ids.size();
        }
    }

    /** Released segments whose chunks this storage deleted since it opened. */
    public long deletedSegments() {
        return deletedSegments.get();
    }

    /** Orphan chunks this storage deleted since it opened. */
    public long deletedOrphanChunks() {
        return deletedOrphans.get();
    }

    /** Why the last garbage-collection pass failed, or empty when it succeeded. */
    public Optional<String> garbageCollectionFailure() {
        return Optional.ofNullable(lastGcFailure);
    }

    /**
     * The segments of the root object's live list and of the local log. Releasing drops the local
     * copies at once, or once uploaded for a segment the bucket does not hold yet (a root being
     * uploaded may still reach it), and schedules the chunks for deletion after the grace.
     */
    private final class Reclaimer implements SegmentReclaimer {

        @Override
        public List<Segment> segments() {
            ensureOpen("read the segment list");
            long writing = wal.currentSegmentId();
            NavigableSet<Long> ids;
            synchronized (gcLock) {
                ids = new TreeSet<>(live);
                ids.addAll(wal.segmentIds());
                ids.removeAll(released);
            }
            List<Segment> list = new ArrayList<>();
            for (long id : ids) {
                long local = wal.segmentLength(id);
                list.add(new Segment(id, local >= 0 ? local : provider.chunkBytes(id), id != writing));
            }
            return list;
        }

        @Override
        public long writingSegment() {
            ensureOpen("read the segment being written");
            return wal.currentSegmentId();
        }

        @Override
        public void limitSegmentSize(long bytes) {
            wal.reclaimer().orElseThrow().limitSegmentSize(bytes);
        }

        @Override
        public void release(Collection<Long> ids) {
            ensureOpen("release segments");
            long writing = wal.currentSegmentId();
            if (ids.contains(writing)) {
                throw new IllegalArgumentException("Cannot release segment " + writing + " of " + describe()
                        + ": it is still being written");
            }
            long sequence = wal.committedPosition().sequence();
            List<Long> accepted = new ArrayList<>();
            synchronized (gcLock) { // one batch: the same root object drops them all
                for (long id : ids) {
                    if (released.contains(id) || !(live.contains(id) || wal.hasSegment(id))) {
                        continue; // released already, or unknown: nothing to do
                    }
                    released.add(id);
                    releasing.put(id, sequence);
                    accepted.add(id);
                }
            }
            for (long id : accepted) {
                boolean uploaded;
                synchronized (progress) {
                    uploaded = id < uploadedSegment;
                }
                if (uploaded) {
                    dropLocal(id);
                }
            }
        }
    }

    // ------------------------------------------------------------------ close

    @Override
    public void close() {
        if (closed) {
            return;
        }
        CommitLock inFlight = null;
        try {
            inFlight = wal.acquireCommitLock(options.closeTimeout());
        } catch (StorageException e) {
            LOG.warn("Closing {} while a commit still holds the commit lock", describe());
        }
        try {
            synchronized (progress) {
                if (closed) {
                    return;
                }
                closed = true;
                stopping = true;
                wake = true;
                progress.notifyAll();
            }
            try {
                uploader.join(options.closeTimeout().toMillis() + 1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (uploader.isAlive()) {
                uploader.interrupt();
            }
            long left = uploadBacklogBytes();
            if (fence == null && left > 0) {
                LOG.error("Closing {} with {} bytes of commits not uploaded ({}); they are kept in {} and uploaded "
                        + "when this cache-dir is opened again", describe(), left, describeFailure(),
                        provider.walDirectory());
            }
        } finally {
            if (inFlight != null) {
                inFlight.close();
            }
            wal.close();
            closeQuietly(null, cacheLock);
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": " + describe() + " is closed");
        }
        FencedException f = fence;
        if (f != null && !what.startsWith("read")) {
            throw new FencedException("Cannot " + what + ": " + f.getMessage());
        }
    }

    /** The unique id this writer puts in the metadata of every object it writes. */
    String writerId() {
        return writerId;
    }

}
