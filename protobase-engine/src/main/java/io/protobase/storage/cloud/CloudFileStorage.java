package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.FencedException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.StorageLockedException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

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
     */
    public record Options(Durability durability, Duration uploadInterval, long maxBacklog, Duration commitTimeout,
            Duration closeTimeout) {

        /** async, 5 s upload interval, 1 GiB backlog, 30 s commit timeout, 60 s close timeout. */
        public static Options defaults() {
            return new Options(Durability.ASYNC, Duration.ofSeconds(5), 1L << 30, Duration.ofSeconds(30),
                    Duration.ofSeconds(60));
        }

        public Options {
            Objects.requireNonNull(durability, "durability");
            positive(uploadInterval, "upload interval");
            positive(commitTimeout, "commit timeout");
            positive(closeTimeout, "close timeout");
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
            return new Options(d, uploadInterval, maxBacklog, commitTimeout, closeTimeout);
        }

        public Options withUploadInterval(Duration d) {
            return new Options(durability, d, maxBacklog, commitTimeout, closeTimeout);
        }

        public Options withMaxBacklog(long bytes) {
            return new Options(durability, uploadInterval, bytes, commitTimeout, closeTimeout);
        }

        public Options withCommitTimeout(Duration d) {
            return new Options(durability, uploadInterval, maxBacklog, d, closeTimeout);
        }

        public Options withCloseTimeout(Duration d) {
            return new Options(durability, uploadInterval, maxBacklog, commitTimeout, d);
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

    /** Opens the storage: claims the next writer epoch, recovers the local log, starts the uploader. */
    public CloudFileStorage(CloudBlockProvider provider, Options options) {
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
                        + " of it; the cache directory lost data. Move it away and open again to start from the bucket");
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
                ? "uploading " + unshipped + " commit(s) left pending by the previous run" : "no commit pending upload");
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

    private record Claim(long epoch, String logId, String etag, RootObject previous, boolean continuesLocal) {
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
                LOG.warn("The local log in {} is not the history of {} (another writer, log {}, took over at epoch {}); "
                                + "commits made here and never uploaded are not part of it. Moving the log to {} and "
                                + "starting from the bucket", provider.walDirectory(), store.describe(), previous.log(),
                        previous.epoch(), aside);
                Files.move(provider.walDirectory(), aside);
                localLog = null;
            }
            String log = continues ? localLog : UUID.randomUUID().toString();
            long next = previous == null ? 1 : previous.epoch() + 1;
            long firstSegment = next << 32 | 1;
            RootObject claim = previous == null
                    ? new RootObject(next, writerId, log, 0, null, continues ? -1 : firstSegment, 0)
                    : continues
                    ? new RootObject(next, writerId, log, previous.sequence(), previous.root(),
                            previous.uploadedSegment(), previous.uploadedOffset())
                    : new RootObject(next, writerId, log, previous.sequence(), previous.root(), firstSegment, 0);
            try {
                String etag = current.isEmpty()
                        ? store.putIfAbsent(provider.rootKey(), claim.toBytes(), metadata)
                        : store.putIfMatch(provider.rootKey(), claim.toBytes(), current.get().etag(), metadata);
                return new Claim(next, log, etag, previous, continues);
            } catch (ObjectStore.PreconditionFailedException | StorageUnavailableException e) {
                // another writer opened at the same moment, or the reply was lost: read again
                Optional<ObjectStore.StoredObject> now = store.get(provider.rootKey());
                if (now.isPresent() && writerId.equals(RootObject.parse(now.get().data(), provider.rootKey()).writer())) {
                    return new Claim(next, log, now.get().etag(), previous, continues);
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
        return readRemote(pointer);
    }

    /** Reads an atom record from the bucket (through the disk cache) and checks it as the log does. */
    private byte[] readRemote(AtomPointer pointer) {
        long segment = pointer.segmentId();
        long offset = pointer.offset();
        if (offset < 40) {
            throw new CorruptionException("Corrupt reference " + pointer + ": it points into a segment header");
        }
        byte[] head = provider.read(segment, offset, 5);
        int length = ByteBuffer.wrap(head).getInt(0);
        if (head[4] != 1 || length < 0 || length > (1 << 30)) {
            throw new CorruptionException("Corrupt " + pointer + " in " + store.describe() + ": not an atom record (kind "
                    + head[4] + ", length " + length + ")");
        }
        byte[] rest = provider.read(segment, offset + 5, length + 4);
        CRC32C crc = new CRC32C();
        crc.update(head, 0, 5);
        crc.update(rest, 0, length);
        if ((int) crc.getValue() != ByteBuffer.wrap(rest).getInt(length)) {
            throw new CorruptionException("Corrupt " + pointer + " in " + store.describe() + ": checksum mismatch; "
                    + "if the disk cache is damaged, delete " + provider.cacheDirectory().resolve("blocks"));
        }
        return Arrays.copyOf(rest, length);
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
                    && target.end() == fromOffset) {
                if (probe) {
                    store.head(provider.rootKey()); // tells whether the bucket is back
                }
                return true;
            }
            List<String> written = new ArrayList<>();
            List<Long> sealed = new ArrayList<>();
            for (long id : wal.segmentIds()) {
                if (id < fromSegment || id > target.segmentId()) {
                    continue;
                }
                long from = id == fromSegment ? fromOffset : 0;
                long to = id < target.segmentId() ? wal.segmentLength(id) : target.end();
                if (to > from) {
                    uploadRange(id, from, to, written);
                }
                if (id < target.segmentId()) {
                    sealed.add(id);
                }
            }
            publishRoot(new RootObject(epoch, writerId, logId, target.sequence(), target.root(), target.segmentId(),
                    target.end()), written);
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
                provider.cacheSegment(id, wal.segmentLength(id));
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
