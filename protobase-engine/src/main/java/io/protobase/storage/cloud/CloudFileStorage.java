package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.FencedException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageException;
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
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

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
    private final String description;
    private final CacheDirectory cacheDirectory;
    private final long epoch;
    private final StandaloneFileStorage wal;
    private final WriterHealth health;
    private final UploadProgress progress;
    private final ChunkCollector collector;
    private final Uploader uploader;

    /** Opens the storage: claims the next writer epoch, recovers the local log, starts the uploader. */
    public CloudFileStorage(CloudBlockProvider provider, Options options) {
        this(provider, options, Clock.systemUTC());
    }

    /** Opens the storage with the clock that times garbage collection. */
    CloudFileStorage(CloudBlockProvider provider, Options options, Clock clock) {
        Objects.requireNonNull(clock, "clock");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.options = Objects.requireNonNull(options, "options");
        this.store = provider.store();
        this.description = "cloud storage on " + store.describe() + " prefix '" + provider.prefix()
                + "' (durability=" + options.durability().name().toLowerCase() + ", cache "
                + provider.cacheDirectory() + ")";
        this.health = new WriterHealth(description);
        Map<String, String> metadata = Map.of(WRITER_METADATA, writerId);
        this.cacheDirectory = new CacheDirectory(provider.cacheDirectory(), provider.walDirectory());
        StandaloneFileStorage log = null;
        RootObjectWriter rootWriter = new RootObjectWriter(provider, writerId, metadata);
        RootObjectWriter.Claim claim;
        try {
            String localLog = cacheDirectory.logId();
            claim = rootWriter.claim(localLog);
            this.epoch = claim.epoch();
            if (!claim.logId().equals(localLog)) {
                cacheDirectory.recordLogId(claim.logId());
            }
            RootObject previous = claim.previous();
            StandaloneFileStorage.Options walOptions = new StandaloneFileStorage.Options(FsyncPolicy.COMMIT,
                    Duration.ofSeconds(1), provider.objectSize());
            StandaloneFileStorage.Origin origin = new StandaloneFileStorage.Origin(epoch << 32 | 1,
                    previous == null ? null : previous.root(), previous == null ? 0 : previous.sequence());
            log = new StandaloneFileStorage(new FileBlockProvider(provider.walDirectory()), walOptions, origin);
            if (claim.continuesLocal() && previous != null && log.sequence() < previous.sequence()) {
                throw new CorruptionException("The local log in " + provider.walDirectory() + " ends at commit "
                        + log.sequence() + " but " + store.describe() + " already holds commit " + previous.sequence()
                        + " of it; the cache directory lost data. Move it away and open again to start from the "
                        + "bucket");
            }
            this.wal = log;
            boolean resumes = claim.continuesLocal() && previous != null;
            this.progress = new UploadProgress(log, health, options, provider, description,
                    resumes ? previous.uploadedSegment() : log.log().segmentIds().get(0),
                    resumes ? previous.uploadedOffset() : 0,
                    previous == null ? 0 : previous.sequence());
            provider.openCache(log.log()::releaseSegment);
            for (long id : log.log().segmentIds()) {
                if (progress.isUploaded(id)) {
                    provider.cacheSegment(id, log.log().segmentLength(id));
                }
            }
            this.collector = new ChunkCollector(provider, log, options, clock, epoch, rootWriter, progress, health,
                    description, claim.claimed());
        } catch (IOException e) {
            closeQuietly(log);
            throw new StorageException("Cannot prepare the cache directory " + provider.cacheDirectory() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(log);
            throw e;
        }
        this.uploader = new Uploader(provider, wal, options, epoch, writerId, claim.logId(), metadata, rootWriter,
                collector, progress, health, description);
        uploader.start();
        long unshipped = wal.sequence() - progress.uploadedSequence();
        LOG.info("Opened {} as writer epoch {} (log {}, {})", describe(), epoch, claim.logId(), unshipped > 0
                ? "uploading " + unshipped + " commit(s) left pending by the previous run"
                : "no commit pending upload");
    }

    private void closeQuietly(StandaloneFileStorage log) {
        if (log != null) {
            log.close();
        }
        cacheDirectory.close();
    }

    // ------------------------------------------------------------------ SPI

    @Override
    public AtomPointer push(byte[] atom) {
        health.ensureOpen("push an atom");
        return wal.push(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        health.ensureOpen("read an atom");
        if (collector.isReleased(pointer.segmentId())) {
            throw new SegmentReleasedException("Cannot read " + pointer + " from " + describe() + ": its segment "
                    + pointer.segmentId() + " was released by compaction (no retained version reaches it)",
                    pointer.segmentId());
        }
        if (wal.log().hasSegment(pointer.segmentId())) {
            try {
                return wal.read(pointer);
            } catch (CorruptionException e) {
                throw e;
            } catch (StorageException e) {
                if (wal.log().hasSegment(pointer.segmentId()) || health.isClosed()) {
                    throw e;
                }
                // the cache released the segment while we read it: it is in the bucket
            }
        }
        return provider.readAtom(pointer);
    }

    @Override
    public AtomPointer readRoot() {
        health.ensureOpen("read the root");
        return wal.readRoot();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        health.ensureOpen("acquire the commit lock");
        return wal.acquireCommitLock(timeout);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        health.ensureOpen("publish a root");
        if (options.durability() == Durability.SYNC) {
            RuntimeException down = progress.unreachableBecause();
            if (down != null) {
                throw new StorageUnavailableException("Cannot commit with durability=sync: " + store.describe()
                        + " is unreachable (" + down.getMessage() + "); nothing was written. Retry when it is back, "
                        + "or use durability=async to keep committing locally", down);
            }
        }
        progress.awaitBacklogRoom();
        if (!wal.compareAndSetRoot(lock, expected, newRoot)) {
            return false;
        }
        long sequence = wal.log().committedPosition().sequence();
        progress.notePending();
        if (options.durability() == Durability.SYNC) {
            progress.awaitUploaded(sequence);
        } else if (progress.backlogBytes() >= provider.objectSize()) {
            progress.wakeUploader();
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
        health.ensureOpen("publish a root");
        progress.awaitBacklogRoom();
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
                progress.notePending();
                if (progress.backlogBytes() >= provider.objectSize()) {
                    progress.wakeUploader();
                }
            }
        };
    }

    @Override
    public void flush() {
        health.ensureOpen("flush");
        wal.flush();
        if (options.durability() == Durability.SYNC) {
            progress.awaitUploaded(wal.log().committedPosition().sequence());
        }
    }

    /**
     * Uploads everything committed so far and waits until the root object names it.
     *
     * @throws StorageUnavailableException when the upload fails or takes longer than the commit timeout
     * @throws FencedException when a newer writer took over
     */
    public void uploadNow() {
        health.ensureOpen("upload");
        progress.awaitUploaded(wal.log().committedPosition().sequence());
    }

    @Override
    public String describe() {
        return description;
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
        return progress.backlogBytes();
    }

    /** How long the oldest commit not yet in the bucket has waited; zero when everything is uploaded. */
    public Duration oldestUnuploadedCommitAge() {
        return progress.oldestPendingAge();
    }

    /** Whether the last upload round (or probe) reached the bucket; a round that found this writer fenced did. */
    public boolean isBucketReachable() {
        return progress.isBucketReachable();
    }

    /** Why the last upload round failed, or empty. */
    public Optional<String> lastUploadFailure() {
        return Optional.ofNullable(progress.lastRoundFailure());
    }

    /** Whether a newer writer fenced this one. */
    public boolean isFenced() {
        return health.fence() != null;
    }

    /** How a newer writer fenced this one, or empty while this storage writes the prefix. */
    public Optional<Fencing> fencing() {
        return health.fencing();
    }

    /** PUT requests made so far (segment chunks and root updates). */
    public long putRequests() {
        return provider.putRequests();
    }

    /** GET requests made so far (root reads and ranged reads of chunks). */
    public long getRequests() {
        return provider.getRequests();
    }

    // ------------------------------------------------------------------ garbage collection

    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return Optional.of(collector.reclaimer());
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
        health.ensureOpen("collect garbage");
        progress.awaitGarbageCollection();
    }

    /** Released segments whose chunks are not deleted yet (waiting for a root object or for the grace). */
    public int pendingSegmentDeletions() {
        return collector.pendingSegmentDeletions();
    }

    /** Released segments whose chunks this storage deleted since it opened. */
    public long deletedSegments() {
        return collector.deletedSegments();
    }

    /** Orphan chunks this storage deleted since it opened. */
    public long deletedOrphanChunks() {
        return collector.deletedOrphanChunks();
    }

    /** Why the last garbage-collection pass failed, or empty when it succeeded. */
    public Optional<String> garbageCollectionFailure() {
        return collector.failure();
    }

    // ------------------------------------------------------------------ close

    @Override
    public void close() {
        if (health.isClosed()) {
            return;
        }
        CommitLock inFlight = null;
        try {
            inFlight = wal.acquireCommitLock(options.closeTimeout());
        } catch (StorageException e) {
            LOG.warn("Closing {} while a commit still holds the commit lock", describe());
        }
        try {
            if (!progress.stop()) {
                return;
            }
            uploader.join(options.closeTimeout().toMillis() + 1_000);
            long left = uploadBacklogBytes();
            if (health.fence() == null && left > 0) {
                LOG.error("Closing {} with {} bytes of commits not uploaded ({}); they are kept in {} and uploaded "
                        + "when this cache-dir is opened again", describe(), left, progress.describeFailure(),
                        provider.walDirectory());
            }
        } finally {
            if (inFlight != null) {
                inFlight.close();
            }
            wal.close();
            cacheDirectory.close();
        }
    }

    /** The unique id this writer puts in the metadata of every object it writes. */
    String writerId() {
        return writerId;
    }

}
