package io.protobase.storage.cloud;

import io.protobase.FencedException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.file.StandaloneFileStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The background thread that ships the durable part of the local log to the bucket. Each round
 * puts the log bytes from the watermark to the end of the last durable commit as chunk objects
 * written once ({@code If-None-Match: *}), then has the {@link RootObjectWriter} replace the root
 * object, then runs a garbage-collection pass. A put that finds its key taken is accepted when it
 * is this writer's own (a lost reply) or the same bytes (an earlier run of this log), else it fences
 * this writer. A failed round is retried with jittered exponential back-off; a fenced writer stops
 * for good. Rounds run every {@code upload-interval}, or at once when woken through
 * {@link UploadProgress}. Protocol: {@code docs/cloud.md}.
 */
final class Uploader {

    private static final Logger LOG = LoggerFactory.getLogger(CloudFileStorage.class);
    /** Longest pause between failed upload rounds: also how long a recovered bucket may go unnoticed. */
    private static final long MAX_BACKOFF_MS = 5_000;

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final StandaloneFileStorage wal;
    private final CloudFileStorage.Options options;
    private final long epoch;
    private final String writerId;
    private final String logId;
    private final Map<String, String> metadata;
    private final RootObjectWriter rootWriter;
    private final ChunkCollector collector;
    private final UploadProgress progress;
    private final WriterHealth health;
    private final String storage;
    private final Thread thread;
    /** Chunk objects put so far (uploader thread only). */
    private long chunksShipped;
    /** The epoch found in the root when this writer was fenced, -1 when unknown (uploader thread only). */
    private long fencedByEpoch = -1;

    Uploader(CloudBlockProvider provider, StandaloneFileStorage wal, CloudFileStorage.Options options, long epoch,
            String writerId, String logId, Map<String, String> metadata, RootObjectWriter rootWriter,
            ChunkCollector collector, UploadProgress progress, WriterHealth health, String storage) {
        this.provider = provider;
        this.store = provider.store();
        this.wal = wal;
        this.options = options;
        this.epoch = epoch;
        this.writerId = writerId;
        this.logId = logId;
        this.metadata = metadata;
        this.rootWriter = rootWriter;
        this.collector = collector;
        this.progress = progress;
        this.health = health;
        this.storage = storage;
        this.thread = new Thread(this::run, "protobase-upload-" + provider.prefix());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Waits for the thread to end after {@link UploadProgress#stop()}, interrupting it when it takes
     * longer than {@code millis}.
     */
    void join(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }

    private void run() {
        long backoff = 0;
        long closeDeadline = Long.MAX_VALUE;
        while (true) {
            long waitMs = backoff > 0 ? backoff : options.uploadInterval().toMillis();
            boolean stopping = progress.startRound(waitMs, backoff > 0);
            if (stopping && closeDeadline == Long.MAX_VALUE) {
                closeDeadline = System.nanoTime() + options.closeTimeout().toNanos();
            }
            long chunksBefore = chunksShipped;
            boolean ok = round();
            if (ok && health.fence() == null) {
                collector.collect();
            }
            // a failed round that still shipped chunks is progress: the next one starts from where it got
            boolean progressed = chunksShipped != chunksBefore;
            if (progress.finishRound(ok, closeDeadline)) {
                return;
            }
            backoff = ok ? 0 : Math.min(MAX_BACKOFF_MS, progressed ? 100 : Math.max(100, backoff * 2))
                    + ThreadLocalRandom.current().nextLong(50);
        }
    }

    /** One upload round: chunks up to the last durable commit, then the root object. */
    private boolean round() {
        try {
            long startedAt = System.nanoTime();
            StandaloneFileStorage.LogPosition target = wal.log().committedPosition();
            UploadProgress.Watermark from = progress.watermark();
            if (target.sequence() == from.sequence() && target.segmentId() == from.segment()
                    && target.end() == from.offset() && !collector.needsRoot(target.sequence())) {
                if (from.probe()) {
                    store.head(provider.rootKey()); // tells whether the bucket is back
                }
                return true;
            }
            List<String> written = new ArrayList<>();
            List<Long> sealed = new ArrayList<>();
            Set<Long> touched = new HashSet<>();
            for (long id : wal.log().segmentIds()) {
                if (id < from.segment() || id > target.segmentId()) {
                    continue;
                }
                long start = id == from.segment() ? from.offset() : 0;
                long to = id < target.segmentId() ? wal.log().segmentLength(id) : target.end();
                if (to > start) {
                    uploadRange(id, start, to, written);
                }
                if (to > 0) {
                    touched.add(id);
                }
                if (id < target.segmentId()) {
                    sealed.add(id);
                }
            }
            ChunkCollector.Lists lists = collector.nextLists(target.sequence(), touched);
            publish(new RootObject(epoch, writerId, logId, target.sequence(), target.root(), target.segmentId(),
                    target.end(), lists.live(), lists.pending()), written);
            collector.published(lists);
            progress.advance(target, startedAt);
            for (long id : sealed) {
                if (collector.isReleased(id)) {
                    // released before it was uploaded: kept until then for the roots that reach it
                    collector.dropLocal(id);
                } else {
                    provider.cacheSegment(id, wal.log().segmentLength(id));
                }
            }
            return true;
        } catch (FencedException e) {
            progress.fenced(new CloudFileStorage.Fencing(epoch, fencedByEpoch < 0 ? OptionalLong.empty()
                    : OptionalLong.of(fencedByEpoch), e.getMessage()), e);
            LOG.error(e.getMessage());
            return false;
        } catch (RuntimeException e) {
            if (progress.failed(e)) {
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
            if (!wal.log().hasSegment(segment)) {
                return; // released by the cache, which happens only once it is uploaded
            }
            byte[] bytes = wal.log().readRaw(segment, pos, (int) (to - pos));
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
                pos += acceptExisting(segment, pos, key, bytes, info);
            } catch (StorageUnavailableException e) {
                // no reply: our put may have landed, or the object was there already and the server refused the
                // put before reading its body, closing the connection while the body was being sent (S3Proxy
                // does), which the client sees as a broken pipe, every time; look before trying again
                Optional<ObjectStore.ObjectInfo> info = headAfterNoReply(key, e);
                if (info.isEmpty()) {
                    throw e;
                }
                pos += acceptExisting(segment, pos, key, bytes, info.get());
            }
        }
    }

    private Optional<ObjectStore.ObjectInfo> headAfterNoReply(String key, StorageUnavailableException noReply) {
        try {
            return store.head(key);
        } catch (RuntimeException e) {
            noReply.addSuppressed(e);
            throw noReply;
        }
    }

    /**
     * Takes a chunk that is in the bucket already as the upload of this log's bytes from {@code pos}, once it is
     * this log's (its writer's metadata, or the same bytes); returns its length.
     */
    private long acceptExisting(long segment, long pos, String key, byte[] bytes, ObjectStore.ObjectInfo info) {
        if (info.size() > bytes.length || info.size() <= 0) {
            throw conflict(key, "it holds " + info.size() + " bytes where this log has " + bytes.length);
        }
        if (!writerId.equals(info.metadata().get(CloudFileStorage.WRITER_METADATA))) {
            byte[] there = store.getRange(key, 0, (int) info.size());
            if (!Arrays.equals(there, 0, there.length, bytes, 0, there.length)) {
                throw conflict(key, "its bytes differ from this log's");
            }
        }
        provider.registerChunk(segment, pos, info.size());
        return info.size();
    }

    private FencedException conflict(String key, String why) {
        fencedByEpoch = rootWriter.currentEpoch();
        return new FencedException("Writer epoch " + epoch + " of " + storage + " found " + key
                + " written by another writer (" + why + "); another process writes this prefix. This storage stopped "
                + "writing: close it and make sure only one process uses the prefix");
    }

    /**
     * Writes the root object of a round. When another writer took over, the round's chunks are
     * deleted (no root names them) and this writer is fenced.
     */
    private void publish(RootObject root, List<String> written) {
        try {
            rootWriter.publish(root);
        } catch (RootObjectWriter.TakenOver e) {
            RootObject there = e.there();
            fencedByEpoch = there == null ? -1 : there.epoch();
            collector.discardRound(written);
            throw new FencedException("Writer epoch " + epoch + " of " + storage + " was fenced: "
                    + (there == null ? "the root object " + provider.rootKey() + " was deleted"
                    : "writer epoch " + there.epoch() + " took over the prefix")
                    + ". This storage stopped writing; its commits after sequence " + progress.uploadedSequence()
                    + " are not in the bucket. Close it; only one process may write a prefix at a time");
        }
    }
}
