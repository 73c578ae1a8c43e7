package io.protobase.storage.cluster;

import io.protobase.FencedException;
import io.protobase.PrefixInUseException;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.RootObjectWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upload loop of one node of a {@link CloudClusterFileStorage} (protocol in docs/cloud.md,
 * "Cloud cluster"). On every node it starts the history once (a {@link ClusterEntry#RESTORE} entry
 * with what the bucket holds; the first in the log wins). On the Raft leader only, each round:
 * <ol>
 * <li>claims the root object for its epoch ({@code generation << 32 | term}) with {@code If-Match} on
 * the ETag it read, after checking that the root belongs to this cluster and names no newer epoch;</li>
 * <li>appends a {@link ClusterEntry#MARK mark} when data was applied, or a segment went, since the last
 * one;</li>
 * <li>picks the round's target: the newest mark, or, with a backlog of more than {@link #ROUND_CHUNKS}
 * chunks or {@link #ROUND_OBJECTS} objects' bytes, the last mark within that, so that a large backlog is
 * published in steps;</li>
 * <li>ships, for each pair of consecutive marks from the uploaded one to the target, each segment's bytes
 * between them as a chunk ({@code If-None-Match: *}), {@link #PARALLEL_PUTS} at a time: the key and the
 * bytes are fixed by the marks, so a key found taken must hold the same bytes (a deposed leader's or a
 * lost reply's), else the prefix has another writer. The chunks shipped are remembered until the target is
 * published, so that a round that failed half-way resumes where it got;</li>
 * <li>replaces the root object (the target) with {@code If-Match}, then appends
 * {@link ClusterEntry#UPLOADED} so every node knows (and {@code sync} committers return); with marks left
 * after the target, the next round starts at once;</li>
 * <li>collects garbage in the bucket ({@link ClusterChunkCollector}): segments gone since the last root
 * are released in the new one, and their chunks deleted once the grace has passed.</li>
 * </ol>
 * A leader that finds a newer epoch in the bucket is fenced for its term: it uploads nothing more
 * until Raft makes it leader of a later term. One that finds another cluster or a newer generation is
 * fenced for good, and the storage refuses commits. Failures are retried with jittered back-off.
 */
final class ClusterUploader {

    private static final Logger LOG = LoggerFactory.getLogger(CloudClusterFileStorage.class);
    private static final long MAX_BACKOFF_MS = 5_000;
    /**
     * Chunk puts in flight at once. A PUT to S3 takes tens of milliseconds (seconds when S3 is slow) whatever its
     * size up to a few MiB, so one at a time ships a backlog of many small chunks (a mark's bytes spread over
     * the segments compaction wrote) far slower than the link allows; the AWS transfer manager likewise puts
     * the parts of an object side by side.
     */
    static final int PARALLEL_PUTS = 8;
    /**
     * A round's shipping, in chunks and in {@code object-size} units, beyond which it publishes an earlier mark
     * than the newest (at least the next one): the bucket's index and the {@code sync} commits then advance while a
     * large backlog drains, at the price of shipping the segments gone between that mark and the newest one.
     */
    static final int ROUND_CHUNKS = 16 * PARALLEL_PUTS;
    static final int ROUND_OBJECTS = 64;

    /**
     * Why this node stopped uploading.
     *
     * @param term the Raft term it led when fenced
     * @param message what it found
     * @param forGood whether another cluster or a newer generation took the prefix (then commits fail too)
     */
    record Fence(long term, String message, boolean forGood) {
    }

    private final ClusterFileStorage node;
    private final SegmentReplica replica;
    private final UploadMarks marks;
    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final CloudFileStorage.Options options;
    private final String clusterId;
    private final String storage;
    private final Thread thread;
    private final ClusterChunkCollector collector;
    /** Puts the chunks of a round side by side. */
    private final ExecutorService puts;

    private volatile boolean stopping;
    private volatile boolean wake;
    private volatile Fence fence;
    private volatile String lastFailure;
    /** The last fencing message logged (uploader thread only): each is logged once. */
    private String loggedFence;

    /** Uploader thread only: the term whose root this node claimed, and its writer of the root object. */
    private long claimedTerm = -1;
    private RootObjectWriter writer;
    private String writerId;
    /**
     * Uploader thread only: the chunk keys put (or found holding this cluster's bytes) since the root object last
     * named a newer mark, so that a round that failed half-way does not put them again. The bytes under a key are
     * fixed by the marks, and no chunk of a segment a pending mark names is deleted.
     */
    private final Set<String> shipped = new HashSet<>();
    /** Uploader thread only: whether the last round published a mark older than the newest one. */
    private boolean behind;

    ClusterUploader(ClusterFileStorage node, CloudBlockProvider provider, CloudFileStorage.Options options,
            String clusterId, String storage) {
        this.node = node;
        this.replica = node.replica();
        this.marks = replica.marks();
        this.provider = provider;
        this.store = provider.store();
        this.options = options;
        this.clusterId = clusterId;
        this.storage = storage;
        this.collector = new ClusterChunkCollector(provider, replica, options.gcGrace().toMillis(),
                Clock.systemUTC());
        this.thread = new Thread(this::run, "protobase-cluster-upload-" + node.options().nodeId());
        thread.setDaemon(true);
        AtomicInteger putThreads = new AtomicInteger();
        this.puts = Executors.newFixedThreadPool(PARALLEL_PUTS, r -> {
            Thread t = new Thread(r, "protobase-cluster-upload-" + node.options().nodeId() + "-put-"
                    + putThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        thread.start();
    }

    /** Asks for a round now rather than at the end of the upload interval. */
    void wake() {
        wake = true;
        marks.wakeAll();
    }

    /** Stops the loop: a leader runs one more round first; waits up to {@code millis}, then interrupts. */
    void stop(long millis) {
        stopping = true;
        wake();
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
        puts.shutdownNow();
    }

    Optional<Fence> fence() {
        return Optional.ofNullable(fence);
    }

    /** Why the last round failed, or null when it succeeded. */
    String lastFailure() {
        return lastFailure;
    }

    /** The garbage collection in the bucket this node runs while it leads. */
    ClusterChunkCollector collector() {
        return collector;
    }

    // ------------------------------------------------------------------ loop

    private void run() {
        long backoff = 0;
        while (true) {
            boolean last = stopping;
            // the history's start goes out at once (commits wait for it), again after back-off; so does the rest of
            // a backlog the last round published only a part of
            if (!last && (marks.initialized() && !(behind && backoff == 0) || backoff > 0)) {
                awaitWork(backoff > 0 ? backoff : options.uploadInterval().toMillis(), backoff > 0);
            }
            wake = false;
            behind = false;
            try {
                round();
                if (lastFailure != null) {
                    LOG.info("Uploads of {} to {} resumed", storage, store.describe());
                }
                lastFailure = null;
                backoff = 0;
            } catch (FencedException | PrefixInUseException e) {
                if (!e.getMessage().equals(loggedFence)) {
                    LOG.error(e.getMessage());
                    loggedFence = e.getMessage();
                }
                backoff = MAX_BACKOFF_MS;
            } catch (RuntimeException e) {
                if (stopping && Thread.currentThread().isInterrupted()) {
                    return;
                }
                if (lastFailure == null) {
                    LOG.warn("Upload of {} to {} failed, retrying with back-off: {}", storage, store.describe(),
                            e.getMessage());
                } else {
                    LOG.debug("Upload of {} failed again: {}", storage, e.getMessage());
                }
                lastFailure = e.getMessage() == null ? e.toString() : e.getMessage();
                backoff = Math.min(MAX_BACKOFF_MS, Math.max(100, backoff * 2))
                        + ThreadLocalRandom.current().nextLong(50);
            }
            if (last) {
                return;
            }
        }
    }

    /**
     * Waits {@code millis}, or less when woken or (on the leader, unless backing off after a failed round)
     * when new data waits for a {@code sync} commit or fills an object.
     */
    private void awaitWork(long millis, boolean backingOff) {
        boolean sync = options.durability() == CloudFileStorage.Durability.SYNC;
        try {
            marks.await(() -> wake || stopping || !backingOff && marks.lastDataIndex() > marks.latestMarkIndex()
                            && (sync || marks.backlogBytes(replica.appliedBytes()) >= provider.objectSize())
                            && node.isLeader(),
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
        } catch (InterruptedException e) {
            stopping = true;
        }
    }

    private long deadline() {
        return System.nanoTime() + node.options().requestTimeout().toNanos();
    }

    /** One round: start the history, or (leader only) claim, mark, ship chunks, publish the root. */
    private void round() {
        if (!marks.initialized()) {
            startHistory();
            return;
        }
        if (!node.isLeader()) {
            claimedTerm = -1;
            return;
        }
        long term = node.currentTerm();
        Fence f = fence;
        if (f != null && (f.forGood() || f.term() == term)) {
            return;
        }
        long epoch = marks.generation() << 32 | term;
        if (claimedTerm != term) {
            claim(term, epoch);
        }
        if (marks.lastDataIndex() > marks.latestMarkIndex() || marks.latestNamesAny(replica::gone)) {
            // new data, or segments gone since the last mark: the next root object no longer lists them
            node.sendControl(ClusterEntry.mark(), deadline(), "mark the state to upload");
        }
        List<UploadMarks.Mark> pending = marks.fromUploaded();
        if (pending.size() >= 2) {
            int target = target(pending);
            UploadMarks.Mark published = pending.get(target);
            List<Chunk> chunks = new ArrayList<>();
            for (int i = 1; i <= target; i++) {
                chunks(pending.get(i - 1), pending.get(i), published, chunks);
            }
            ship(chunks, term);
            publish(published, term, epoch);
            shipped.clear();
            behind = target < pending.size() - 1;
            node.sendControl(ClusterEntry.uploaded(published.index()), deadline(), "record the upload of mark "
                    + published.index());
        } else if (collector.rootStale() && marks.snapshotMark() != null) {
            // nothing new to upload, but the released list changed: the uploaded mark's root again, with it
            publish(marks.snapshotMark(), term, epoch);
        }
        collector.collect(writer, epoch, node::isLeader);
    }

    /**
     * The root object naming mark {@code m}: its index and term in this history's log and the state there,
     * from which a node can start (a snapshot installed from the bucket).
     */
    private RootObject rootObject(long epoch, UploadMarks.Mark m) {
        return RootObject.ofCluster(clusterId, epoch, writerId, log(), m.index(), m.term(), m.root(), m.lengths(),
                m.lastPublished(), m.reclaim());
    }

    /**
     * Writes the root object naming mark {@code m}, with the garbage-collection lists: the segments the last
     * root listed as live and {@code m} no longer names are released.
     */
    private void publish(UploadMarks.Mark m, long term, long epoch) {
        ClusterChunkCollector.Lists lists = collector.next(m);
        publish(rootObject(epoch, m).withSegments(lists.live(), lists.released()), term, epoch);
        collector.published(lists);
    }

    /** The {@code log=} of this history's root objects: the cluster id and the history's random id. */
    private String log() {
        return clusterId + "/" + marks.history();
    }

    // ------------------------------------------------------------------ the history's start

    /** Sends the restore entry: the bucket's root object of this cluster, or an empty start. */
    private void startHistory() {
        Optional<ObjectStore.StoredObject> current = store.get(provider.rootKey());
        ClusterEntry.Restore restore;
        if (current.isEmpty()) {
            restore = new ClusterEntry.Restore(clusterId, UUID.randomUUID().toString(), 1, -1, -1, null, Map.of());
        } else {
            RootObject root = RootObject.parse(current.get().data(), provider.rootKey());
            CloudClusterFileStorage.requireOwnPrefix(root, clusterId, provider);
            restore = new ClusterEntry.Restore(clusterId, UUID.randomUUID().toString(), (root.epoch() >>> 32) + 1,
                    root.epoch(), root.sequence(), root.root(), root.lengths() == null ? Map.of() : root.lengths(),
                    SegmentReplica.givenUp(root));
        }
        byte outcome = node.sendControl(ClusterEntry.restore(restore), deadline(), "start the cloud cluster's history");
        if (outcome == ClusterEntry.REFUSED && !marks.initialized()) {
            throw new StorageException("The cluster's replicated state holds data, and " + store.describe()
                    + " holds another history under '" + provider.prefix() + "'; a cloud cluster starts either from"
                    + " its own data with an empty prefix or from the bucket with empty nodes");
        }
    }

    // ------------------------------------------------------------------ the root object

    /** Takes the root object's chain for this term: checks who wrote it, then rewrites it under this epoch. */
    private void claim(long term, long epoch) {
        writerId = "node-" + node.options().nodeId() + "-term-" + term + "-" + UUID.randomUUID();
        writer = new RootObjectWriter(provider, writerId, Map.of(CloudClusterFileStorage.WRITER_METADATA, writerId));
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<RootObject> there = writer.adopt();
            requireMayWrite(there.orElse(null), term, epoch);
            RootObject claimed;
            if (there.isPresent()) {
                claimed = there.get().claimedBy(epoch, writerId, log());
            } else {
                UploadMarks.Mark uploaded = marks.fromUploaded().get(0);
                claimed = rootObject(epoch, uploaded);
            }
            try {
                writer.publish(claimed);
                collector.adopt(claimed);
                claimedTerm = term;
                shipped.clear();
                LOG.info("Node {} leads term {} and writes {} as epoch {} (generation {})", node.options().nodeId(),
                        term, provider.rootKey(), epoch, marks.generation());
                return;
            } catch (RootObjectWriter.TakenOver e) {
                // written meanwhile: check the new one again
            }
        }
        throw new StorageUnavailableException("Cannot claim " + provider.rootKey() + " in " + store.describe()
                + " for term " + term + ": it keeps changing; retrying");
    }

    /** Replaces the root object; an older leader's late root is claimed over, a newer epoch fences. */
    private void publish(RootObject root, long term, long epoch) {
        try {
            writer.publish(root);
        } catch (RootObjectWriter.TakenOver e) {
            claimedTerm = -1;
            requireMayWrite(e.there(), term, epoch);
            throw new StorageUnavailableException("The root object " + provider.rootKey() + " was "
                    + (e.there() == null ? "deleted" : "replaced by an older leader's late write (epoch "
                    + e.there().epoch() + ")") + "; claiming it again");
        }
    }

    /**
     * Fails unless this leader (epoch {@code epoch}) may write over {@code there}: the same cluster, no
     * newer epoch, and, when it is of an older generation, the very root this cluster's history
     * started from.
     */
    private void requireMayWrite(RootObject there, long term, long epoch) {
        long[] source = marks.source();
        if (there == null) {
            if (source[0] >= 0) {
                throw fenced(term, true, "the root object " + provider.rootKey() + " this cluster restored from was "
                        + "deleted");
            }
            return;
        }
        if (there.cluster() == null || !there.cluster().equals(clusterId)) {
            try {
                CloudClusterFileStorage.requireOwnPrefix(there, clusterId, provider);
            } catch (PrefixInUseException e) {
                fence = new Fence(term, e.getMessage(), true);
                throw e;
            }
        }
        long generation = epoch >>> 32;
        if ((there.epoch() >>> 32) > generation) {
            throw fenced(term, true, "a newer generation of cluster '" + clusterId + "' (epoch " + there.epoch()
                    + ", a cluster restored from this bucket) writes the prefix");
        }
        if (there.epoch() > epoch) {
            throw fenced(term, false, "the leader of a later term wrote the root object (epoch " + there.epoch()
                    + " > " + epoch + "); this node is no longer the leader");
        }
        if ((there.epoch() >>> 32) == generation && !there.log().equals(log())) {
            throw fenced(term, true, "another history of cluster '" + clusterId + "' (" + there.log() + ", epoch "
                    + there.epoch() + ") writes the prefix: two clusters with this id started at the same time");
        }
        if ((there.epoch() >>> 32) < generation && (there.epoch() != source[0] || there.sequence() != source[1])) {
            throw fenced(term, true, "the bucket moved on after this cluster's history started (root epoch "
                    + there.epoch() + " sequence " + there.sequence() + ", expected epoch " + source[0] + " sequence "
                    + source[1] + "): another cluster with the id '" + clusterId + "' writes the prefix");
        }
    }

    private FencedException fenced(long term, boolean forGood, String why) {
        String message = "Node " + node.options().nodeId() + " of " + storage + " stopped uploading in term " + term
                + ": " + why + ". " + (forGood ? "Commits of this cluster are refused; keep one cluster per prefix"
                : "The new leader uploads");
        fence = new Fence(term, message, forGood);
        return new FencedException(message);
    }

    // ------------------------------------------------------------------ chunks

    /** One chunk to ship: a segment's bytes {@code [start, end)}, between two consecutive marks. */
    private record Chunk(long segment, long start, long end) {
    }

    /**
     * The index in {@code pending} (the uploaded mark and the newer ones) of the mark this round publishes: the
     * newest, unless the chunks written after the uploaded mark exceed {@link #ROUND_CHUNKS} or their bytes
     * {@link #ROUND_OBJECTS} objects; then the last mark within them, and at least the first after the uploaded one.
     */
    private int target(List<UploadMarks.Mark> pending) {
        long budget = ROUND_OBJECTS * provider.objectSize();
        long bytes = 0;
        int chunks = 0;
        for (int i = 1; i < pending.size(); i++) {
            UploadMarks.Mark from = pending.get(i - 1);
            for (Map.Entry<Long, Long> e : pending.get(i).lengths().entrySet()) {
                long grown = e.getValue() - from.lengths().getOrDefault(e.getKey(), 0L);
                if (grown > 0) {
                    bytes += grown;
                    chunks++;
                }
            }
            if (bytes > budget || chunks > ROUND_CHUNKS) {
                return Math.max(1, i - 1);
            }
        }
        return pending.size() - 1;
    }

    /**
     * Adds each segment's bytes between two consecutive marks as a chunk, for the segments the mark the round
     * publishes still names (a segment gone since is never read from the bucket), unless shipped already.
     */
    private void chunks(UploadMarks.Mark from, UploadMarks.Mark to, UploadMarks.Mark published, List<Chunk> out) {
        for (Map.Entry<Long, Long> e : to.lengths().entrySet()) {
            long segment = e.getKey();
            if (!published.lengths().containsKey(segment)) {
                continue;
            }
            long start = from.lengths().getOrDefault(segment, 0L);
            long end = e.getValue();
            if (end <= start || shipped.contains(provider.chunkKey(segment, start))) {
                continue;
            }
            if (end - start > Integer.MAX_VALUE - 1024) {
                throw new StorageException("Segment " + segment + " grew by " + (end - start) + " bytes between two "
                        + "upload marks, more than one object can take; lower the upload interval");
            }
            out.add(new Chunk(segment, start, end));
        }
    }

    /**
     * Puts the chunks, {@link #PARALLEL_PUTS} at a time. When one fails, no further put starts; the ones in
     * flight finish, and what was shipped is remembered for the next round. The failure thrown is a fencing one
     * when any put found the prefix taken, else the first.
     */
    private void ship(List<Chunk> chunks, long term) {
        if (chunks.isEmpty()) {
            return;
        }
        String id = writerId;
        AtomicBoolean failed = new AtomicBoolean();
        List<Future<String>> futures = new ArrayList<>(chunks.size());
        for (Chunk c : chunks) {
            futures.add(puts.submit(() -> {
                if (failed.get()) {
                    return null;
                }
                try {
                    return put(c, term, id);
                } catch (RuntimeException e) {
                    failed.set(true);
                    throw e;
                }
            }));
        }
        RuntimeException failure = null;
        for (Future<String> f : futures) {
            try {
                String key = f.get();
                if (key != null) {
                    shipped.add(key);
                }
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r
                        : new StorageUnavailableException("Upload of a chunk to " + store.describe() + " failed: "
                        + e.getCause(), e.getCause());
                if (failure == null || cause instanceof FencedException && !(failure instanceof FencedException)) {
                    failure = cause;
                }
            } catch (InterruptedException e) {
                failed.set(true);
                futures.forEach(other -> other.cancel(true));
                Thread.currentThread().interrupt();
                throw new StorageUnavailableException("The upload to " + store.describe() + " was interrupted", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Puts one chunk with {@code If-None-Match: *} (a put thread); returns its key. */
    private String put(Chunk c, long term, String id) {
        byte[] bytes = replica.readRaw(c.segment(), c.start(), (int) (c.end() - c.start()));
        String key = provider.chunkKey(c.segment(), c.start());
        try {
            store.putIfAbsent(key, bytes, Map.of(CloudClusterFileStorage.WRITER_METADATA, id));
        } catch (ObjectStore.PreconditionFailedException taken) {
            byte[] there = store.get(key).map(ObjectStore.StoredObject::data).orElseThrow(() ->
                    new StorageUnavailableException("The object " + key + " in " + store.describe()
                            + " exists and then does not; retrying"));
            checkSameChunk(term, key, c.segment(), c.start(), there, bytes);
        } catch (StorageUnavailableException noReply) {
            // no reply: the put may have landed, or the chunk was there already and the server refused the put
            // before reading its body, closing the connection while the body was being sent (S3Proxy does),
            // which the client sees as a broken pipe, every time; look before trying again
            Optional<ObjectStore.StoredObject> there;
            try {
                there = store.get(key);
            } catch (RuntimeException lookFailed) {
                noReply.addSuppressed(lookFailed);
                throw noReply;
            }
            checkSameChunk(term, key, c.segment(), c.start(), there.orElseThrow(() -> noReply).data(), bytes);
        }
        return key;
    }

    /**
     * Accepts a chunk found in the bucket under the key this cluster's bytes go to when it holds those bytes (a
     * deposed leader's upload, or a put whose reply was lost); fences this node when it holds others.
     */
    private void checkSameChunk(long term, String key, long segment, long start, byte[] there, byte[] bytes) {
        if (!Arrays.equals(there, bytes)) {
            throw fenced(term, true, "the chunk " + key + " holds other bytes than this cluster's segment "
                    + segment + " from " + start + "; another cluster writes the prefix");
        }
    }
}
