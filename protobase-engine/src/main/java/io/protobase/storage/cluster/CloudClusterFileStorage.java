package io.protobase.storage.cluster;

import io.protobase.FencedException;
import io.protobase.PrefixInUseException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.file.FileBlockProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The cluster storage with an S3 bucket as its final storage: commits are replicated by Raft as in
 * {@link ClusterFileStorage} (every node keeps the segments, a commit needs a majority), and the
 * Raft leader alone ships the replicated segments to the bucket in the cloud storage's object layout
 * (chunks written once, a root object replaced with {@code If-Match}; docs/cloud.md).
 *
 * <pre>{@code
 * var provider = new CloudBlockProvider(new S3ObjectStore(s3, "shop-data"), "prod/catalogue/", cacheDir);
 * var storage = new CloudClusterFileStorage(provider, ClusterFileStorage.Options.of(1, peers),
 *         CloudFileStorage.Options.defaults().withDurability(CloudFileStorage.Durability.SYNC));
 * }</pre>
 *
 * <h2>Upload</h2>
 * The leader appends upload <em>marks</em> to the Raft log (the state at that index) and ships the
 * bytes between consecutive marks as chunks, then replaces the root object and appends the news to
 * the log. Chunk keys and bytes are fixed by the marks, which every node knows the same way, so any
 * leader writes the same bytes under the same key: a new leader resumes from its own replicated copy
 * where the bucket's root ends, with no gap, and a chunk a deposed leader left is byte for byte the
 * one the new leader would write ({@link ClusterUploader}).
 *
 * <h2>Epochs and fencing</h2>
 * The root object's epoch is {@code generation << 32 | Raft term}, and it names the cluster id (the
 * Raft group name). A leader rewrites the root under its epoch before uploading, with
 * {@code If-Match}; a deposed leader (paused, cut off) then fails its next root update and stops
 * uploading. A cluster that finds another cluster id, or a single-node cloud storage, in the root
 * object refuses to open ({@link PrefixInUseException}).
 *
 * <h2>S3 is the snapshot</h2>
 * A node's Raft snapshot is the newest mark a root object in the bucket names: every
 * {@code snapshotInterval} entries each node records the state at that mark, and Ratis purges its log up
 * to it. A node the leader's log no longer reaches (a new node, or one that was down for long) does not
 * receive segments from a peer: it reads the bucket's root object, which names the mark's Raft index and
 * term and the roots each node published last, starts from it, and receives only the log after it. The
 * segment bytes before the mark stay in the bucket and are fetched block by block through the node's
 * cache when read ({@link CloudBlockProvider#readRange}).
 *
 * <h2>Disaster recovery</h2>
 * A cluster whose nodes start with empty directories starts its history from the bucket: the first
 * entry of its log restores the root and the segments the root object names (read from the bucket on
 * demand, as above) and counts up the generation, so whatever wrote the prefix before is fenced.
 * Commits and reads wait until that entry is applied.
 *
 * <h2>Durability</h2>
 * {@link CloudFileStorage.Durability#ASYNC}: a commit returns once a majority has it (as in the
 * cluster storage); the bucket follows within the upload interval. {@link CloudFileStorage.Durability#SYNC}:
 * it returns once the bucket's root object names it as well. While the bucket is unreachable,
 * {@code async} commits continue until the bytes not in the bucket exceed {@code max-backlog}, then
 * wait for room (and fail after the commit timeout); {@code sync} commits fail after the commit
 * timeout with an unknown outcome (they are replicated and uploaded once the bucket is back).
 *
 * <h2>Space</h2>
 * Compaction reclaims space as on the cluster storage ({@link #reclaimer()}: the leader condemns, every
 * node acknowledges, a segment every node gave up is gone). The upload marks leave gone segments out, so
 * the next root object the leader writes moves them from {@code segments=} to {@code released=}, stamped;
 * each node deletes its file once such a root is in the bucket, and the leader deletes the chunks once
 * {@code gc-grace} has passed, and orphan chunks no root names once it saw them for that long
 * ({@link ClusterChunkCollector}). A new leader takes the lists over from the root object; a deposed one
 * deletes nothing.
 *
 * <p>Not in this version: reads of bytes that are only in the bucket fail while it is unreachable (see
 * docs/cloud.md).
 */
public final class CloudClusterFileStorage implements SharedStorage {

    private static final Logger LOG = LoggerFactory.getLogger(CloudClusterFileStorage.class);
    /** Object metadata key carrying the writer (node, term) of a chunk or root object. */
    static final String WRITER_METADATA = "protobase-writer";

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final CloudFileStorage.Options cloud;
    private volatile ClusterFileStorage node;
    private final SegmentReplica replica;
    private final UploadMarks marks;
    private final ClusterUploader uploader;
    private final String clusterId;
    private final String description;
    private volatile boolean closed;

    /**
     * Opens node {@code cluster.nodeId()}: checks that the bucket prefix is free or this cluster's (a node
     * whose directory holds its state opens while the bucket is unreachable, and checks later),
     * starts the node's Raft server in {@code <cache-dir>/cluster}, and its upload loop. Returns without
     * waiting for a leader; the first commit or read waits for the history to start (within the
     * request timeout).
     *
     * @param provider the bucket, prefix and cache directory of this node
     * @param cluster this node and its group; the group name is the cluster id written into the bucket
     * @param cloud durability, upload interval, backlog bound and timeouts of the upload
     * @throws PrefixInUseException when the prefix holds another cluster's or a cloud storage's database
     * @throws StorageUnavailableException when the bucket is unreachable and the node's directory is new
     */
    public CloudClusterFileStorage(CloudBlockProvider provider, ClusterFileStorage.Options cluster,
            CloudFileStorage.Options cloud) {
        this(provider, cluster, cloud, false);
    }

    /**
     * Opens node {@code cluster.nodeId()} outside the group's configuration, to join a running cloud cluster:
     * as {@link ClusterFileStorage#learner} does for the cluster storage, the node's Raft server starts with
     * the group's current voters ({@code cluster.peers()}, this node included) and waits until the leader
     * adds it ({@link ClusterFileStorage#reconfigure} on {@link #node()}, or Hazelcast membership's
     * {@link HazelcastMembership#grow}); meanwhile it stands for no election. It then starts from the bucket
     * and the log tail, as a new node does.
     *
     * @param provider the bucket, prefix and cache directory of this node, the directory empty or this node's
     * @param cluster this node and the group's current voters
     * @param cloud durability, upload interval, backlog bound and timeouts of the upload
     * @return the open node
     * @throws PrefixInUseException when the prefix holds another cluster's or a cloud storage's database
     */
    public static CloudClusterFileStorage learner(CloudBlockProvider provider, ClusterFileStorage.Options cluster,
            CloudFileStorage.Options cloud) {
        return new CloudClusterFileStorage(provider, cluster, cloud, true);
    }

    private CloudClusterFileStorage(CloudBlockProvider provider, ClusterFileStorage.Options cluster,
            CloudFileStorage.Options cloud, boolean learner) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.cloud = Objects.requireNonNull(cloud, "cloud");
        Objects.requireNonNull(cluster, "cluster");
        this.store = provider.store();
        this.clusterId = cluster.groupName();
        this.description = "cloud cluster storage node " + cluster.self() + " of '" + clusterId + "' on "
                + store.describe() + " prefix '" + provider.prefix() + "' (durability="
                + cloud.durability().name().toLowerCase() + ", cache " + provider.cacheDirectory() + ")";
        Path raftDirectory = provider.cacheDirectory().resolve("cluster");
        long minIncarnation = checkBucket(cluster.nodeId(),
                Files.exists(raftDirectory.resolve(ClusterFileStorage.NODE_FILE)));
        this.node = new ClusterFileStorage(new FileBlockProvider(raftDirectory), cluster, learner, new BucketAccess(),
                minIncarnation);
        this.replica = node.replica();
        this.marks = replica.marks();
        this.uploader = new ClusterUploader(node, provider, cloud, clusterId, description);
        uploader.start();
        LOG.info("Opened {}", description);
    }

    /**
     * Checks that the bucket prefix is free or this cluster's and returns the lowest incarnation this node may
     * use. A node whose directory already holds its state ({@code known}) opens while the bucket is
     * unreachable: its directory counts its incarnations, the prefix was checked when it first opened, and a
     * leader checks the root object again before it writes anything. A new directory needs the bucket.
     *
     * @throws StorageUnavailableException when the bucket is unreachable and the directory is new
     */
    private long checkBucket(int nodeId, boolean known) {
        try {
            Optional<RootObject> root = store.get(provider.rootKey())
                    .map(o -> RootObject.parse(o.data(), provider.rootKey()));
            root.ifPresent(r -> requireOwnPrefix(r, clusterId, provider));
            return firstFreeIncarnation(nodeId, root.orElse(null));
        } catch (StorageUnavailableException e) {
            if (!known) {
                throw new StorageUnavailableException("Cannot open " + description + ": its directory is new, and a"
                        + " new node needs " + store.describe() + " to check the prefix and to choose segment ids no"
                        + " earlier node wrote; open it once the bucket is reachable (" + e.getMessage() + ")", e);
            }
            LOG.warn("Opening {} while {} is unreachable ({}); this node's directory holds its state, uploads resume "
                    + "once the bucket is back", description, store.describe(), e.getMessage());
            return 1;
        }
    }

    /**
     * Fails unless {@code root} was written by cloud cluster {@code clusterId}.
     *
     * @throws PrefixInUseException naming who holds the prefix
     */
    static void requireOwnPrefix(RootObject root, String clusterId, CloudBlockProvider provider) {
        if (root.cluster() == null) {
            throw new PrefixInUseException("The prefix '" + provider.prefix() + "' of " + provider.store().describe()
                    + " holds the database of a single-node cloud storage (root object " + provider.rootKey()
                    + ", epoch " + root.epoch() + "), not of a cloud cluster; nothing was written. Give cluster '"
                    + clusterId + "' a prefix of its own");
        }
        if (!root.cluster().equals(clusterId)) {
            throw new PrefixInUseException("The prefix '" + provider.prefix() + "' of " + provider.store().describe()
                    + " holds the database of cloud cluster '" + root.cluster() + "' (root object "
                    + provider.rootKey() + ", epoch " + root.epoch() + "), not of '" + clusterId + "'; nothing was"
                    + " written. Give each cluster its own prefix, or set the group name to '" + root.cluster()
                    + "' to open that cluster's database (a cluster with empty directories restores it)");
        }
    }

    /**
     * The lowest incarnation of {@code nodeId} that no segment in the bucket uses: a node whose directory
     * is new (a restored cluster, a replaced disk) must not write into segment ids an earlier run wrote.
     */
    private long firstFreeIncarnation(int nodeId, RootObject root) {
        long first = 1;
        if (root != null && root.lengths() != null) {
            for (long id : root.lengths().keySet()) {
                if (ClusterFileStorage.nodeOf(id) == nodeId) {
                    first = Math.max(first, ClusterFileStorage.incarnationOf(id) + 1);
                }
            }
            for (long id : SegmentReplica.givenUp(root)) {
                if (ClusterFileStorage.nodeOf(id) == nodeId) {
                    first = Math.max(first, ClusterFileStorage.incarnationOf(id) + 1);
                }
            }
        }
        for (ObjectStore.ObjectInfo o : store.list(provider.segmentsPrefix())) {
            long id = provider.segmentOfChunk(o.key());
            if (id >= 0 && ClusterFileStorage.nodeOf(id) == nodeId) {
                first = Math.max(first, ClusterFileStorage.incarnationOf(id) + 1);
            }
        }
        return first;
    }

    /**
     * The bucket as the state machine sees it: segment bytes below a segment's local base, read through this
     * node's block cache, and the state a node starts from.
     */
    private final class BucketAccess implements SegmentReplica.Bucket {

        @Override
        public byte[] read(long segmentId, long offset, int length) {
            return provider.readRange(segmentId, offset, length);
        }

        /**
         * The bucket's root object as a snapshot: it must name this cluster, carry the Raft term of its mark
         * (written by an upload of this history), belong to the history the cluster runs now (asked of the
         * leader: a root of an older generation names an index of another log) and reach {@code index}.
         */
        @Override
        public SegmentReplica.BucketState stateFrom(long index) {
            ClusterFileStorage running = node;
            if (running == null) {
                throw new StorageUnavailableException("Cannot start " + description + " from the bucket yet: it is "
                        + "still opening");
            }
            UploadMarks.Identity identity = running.clusterIdentity();
            if (!identity.initialized()) {
                return null;
            }
            Optional<RootObject> found = store.get(provider.rootKey())
                    .map(o -> RootObject.parse(o.data(), provider.rootKey()));
            if (found.isEmpty()) {
                return null;
            }
            RootObject root = found.get();
            requireOwnPrefix(root, clusterId, provider);
            if (root.term() < 0 || !identity.log().equals(root.log()) || root.lengths() == null) {
                return null;
            }
            if (root.sequence() < index) {
                throw new StorageUnavailableException("The root object " + provider.rootKey() + " in "
                        + store.describe() + " names log index " + root.sequence() + ", but the leader's log starts"
                        + " after " + index + "; waiting for the next upload");
            }
            return new SegmentReplica.BucketState(identity, new UploadMarks.Mark(root.sequence(), root.term(),
                    root.root(), root.lengths(), root.lastPublished(), root.reclaim()), SegmentReplica.givenUp(root));
        }
    }

    // ------------------------------------------------------------------ SPI

    @Override
    public AtomPointer push(byte[] atom) {
        awaitStarted("push an atom");
        return node.push(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        return node.read(pointer);
    }

    @Override
    public AtomPointer readRoot() {
        awaitStarted("read the root");
        return node.readRoot();
    }

    @Override
    public AtomPointer readRootToCommitOn() {
        awaitStarted("read the root");
        return node.readRootToCommitOn();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        return node.acquireCommitLock(timeout);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        awaitStarted("publish a root");
        ensureNotFencedForGood("publish a root");
        awaitBacklogRoom();
        if (!node.compareAndSetRoot(lock, expected, newRoot)) {
            return false;
        }
        if (cloud.durability() == CloudFileStorage.Durability.SYNC) {
            awaitUploaded(marks.lastDataIndex(), "commit root " + newRoot);
        } else if (marks.backlogBytes(replica.appliedBytes()) >= provider.objectSize()) {
            uploader.wake();
        }
        return true;
    }

    @Override
    public void flush() {
        node.flush();
        if (cloud.durability() == CloudFileStorage.Durability.SYNC) {
            awaitUploaded(marks.lastDataIndex(), "flush");
        }
    }

    /**
     * Waits until the bucket holds everything this node has applied so far (the leader uploads it at
     * its next round; on the leader, the round starts now).
     *
     * @throws StorageUnavailableException when that takes longer than the commit timeout
     */
    public void uploadNow() {
        ensureOpen("upload");
        awaitUploaded(marks.lastDataIndex(), "upload");
    }

    @Override
    public String describe() {
        return description;
    }

    /**
     * The cluster's space reclamation on this node (docs/cluster.md, "Space reclamation"), for the engine's
     * compaction: a segment every node gave up leaves the bucket's root object, and its chunks are deleted by
     * the leader after {@code gc-grace}.
     */
    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return node.reclaimer();
    }

    // ------------------------------------------------------------------ waits

    private void awaitStarted(String what) {
        ensureOpen(what);
        if (marks.initialized()) {
            return;
        }
        Duration timeout = node.options().requestTimeout();
        if (!await(marks::initialized, timeout)) {
            String failure = uploader.lastFailure();
            throw new StorageUnavailableException("Cannot " + what + " on " + description + ": the cluster's history "
                    + "has not started within " + timeout + " (its first log entry restores it from the bucket, or "
                    + "starts it empty; it needs a quorum and the bucket" + (failure == null ? "" : "; last problem: "
                    + failure) + ")" + uploader.fence().map(f -> "; " + f.message()).orElse(""));
        }
    }

    private void awaitBacklogRoom() {
        if (marks.backlogBytes(replica.appliedBytes()) <= cloud.maxBacklog()) {
            return;
        }
        uploader.wake();
        if (!await(() -> marks.backlogBytes(replica.appliedBytes()) <= cloud.maxBacklog(), cloud.commitTimeout())) {
            throw new StorageUnavailableException("The upload backlog of " + description + " ("
                    + marks.backlogBytes(replica.appliedBytes()) + " bytes not in " + store.describe()
                    + ") exceeds max-backlog (" + cloud.maxBacklog() + ") for longer than " + cloud.commitTimeout()
                    + "; nothing was written. Commits resume once the leader's uploads catch up"
                    + failureSuffix());
        }
    }

    /**
     * Waits until a root object in the bucket names a mark at or after log index {@code index}, the last data
     * entry to cover: a mark covers the entries up to its own index. (A mark entry follows the data it covers;
     * the one exception is the mark a restore starts the history with, at the restore entry's own index, which
     * is in the bucket already: a flush or {@link #uploadNow} right after a restore has nothing to wait for.)
     */
    private void awaitUploaded(long index, String what) {
        uploader.wake();
        if (!await(() -> marks.uploadedIndex() >= index || uploader.fence().map(ClusterUploader.Fence::forGood)
                .orElse(false), cloud.commitTimeout())) {
            throw new StorageUnavailableException("Cannot " + what + " with durability=sync on " + description
                    + ": it is replicated on a majority (log index " + index + ") but the bucket did not get it within "
                    + cloud.commitTimeout() + "; it is uploaded once " + store.describe() + " is reachable, so its "
                    + "outcome is unknown until then" + failureSuffix());
        }
        ensureNotFencedForGood(what);
    }

    private String failureSuffix() {
        String failure = uploader.lastFailure();
        return failure == null ? "" : " (last upload error on this node: " + failure + ")";
    }

    private boolean await(BooleanSupplier done, Duration timeout) {
        try {
            return marks.await(() -> closed || done.getAsBoolean(), System.nanoTime() + timeout.toNanos())
                    && !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageUnavailableException("Interrupted while waiting for the upload of " + description, e);
        }
    }

    private void ensureNotFencedForGood(String what) {
        Optional<ClusterUploader.Fence> f = uploader.fence();
        if (f.isPresent() && f.get().forGood()) {
            throw new FencedException("Cannot " + what + ": " + f.get().message());
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": " + description + " is closed");
        }
    }

    // ------------------------------------------------------------------ state for health and tests

    /** The Raft side: role, term, commit and applied index, members ({@link ClusterFileStorage#status()}). */
    public ClusterStatus status() {
        return node.status();
    }

    /** Whether this node leads the Raft group now, and so uploads. */
    public boolean isLeader() {
        return node.isLeader();
    }

    /** Bytes of the replicated segments not yet in the bucket (the same on every node, up to its lag). */
    public long uploadBacklogBytes() {
        return marks.backlogBytes(replica.appliedBytes());
    }

    /** How long the oldest commit applied on this node and not yet in the bucket has waited; zero if none. */
    public Duration uploadLag() {
        long since = marks.pendingSince();
        return since == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - since));
    }

    /** The log index of the newest state a root object in the bucket names, or -1 before the history starts. */
    public long uploadedIndex() {
        return marks.uploadedIndex();
    }

    /** Why this node's last upload round failed (the leader's are the ones that matter), or empty. */
    public Optional<String> lastUploadFailure() {
        return Optional.ofNullable(uploader.lastFailure());
    }

    /** Why this node stopped uploading (fenced in the bucket), or empty. */
    public Optional<String> fencing() {
        return uploader.fence().map(ClusterUploader.Fence::message);
    }

    /**
     * Whether this node is fenced for good: another cluster or a newer generation writes the prefix, so its
     * commits fail with {@link FencedException}. A leader deposed in one term is fenced for that term only
     * ({@link #fencing()}), which is routine and not this.
     */
    public boolean isFencedForGood() {
        return uploader.fence().map(ClusterUploader.Fence::forGood).orElse(false);
    }

    /**
     * Released segments whose chunks are not deleted yet, as the last root object this node wrote as leader
     * lists them (0 on a node that has not led).
     */
    public int pendingSegmentDeletions() {
        return uploader.collector().pendingSegmentDeletions();
    }

    /** Released segments whose chunks this node deleted as leader since it opened. */
    public long deletedSegments() {
        return uploader.collector().deletedSegments();
    }

    /** Orphan chunks this node deleted as leader since it opened. */
    public long deletedOrphanChunks() {
        return uploader.collector().deletedOrphanChunks();
    }

    /** Why this node's last garbage-collection pass as leader failed, or empty when it succeeded. */
    public Optional<String> garbageCollectionFailure() {
        return uploader.collector().failure();
    }

    /** The settings of the upload. */
    public CloudFileStorage.Options cloudOptions() {
        return cloud;
    }

    /** The settings of this node in its Raft group. */
    public ClusterFileStorage.Options clusterOptions() {
        return node.options();
    }

    /** The bucket, prefix and cache directory of this node, with its request counts. */
    public CloudBlockProvider provider() {
        return provider;
    }

    /**
     * The cluster node underneath, for membership operations ({@link ClusterFileStorage#reconfigure},
     * {@link ClusterFileStorage#removeMember}): a node joins a cloud cluster as it joins a cluster storage, and
     * starts from the bucket. Commit and read through this storage, not through the node: its commits would
     * skip the upload's backlog bound and {@code durability=sync}.
     */
    public ClusterFileStorage node() {
        return node;
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes the node: its upload loop runs a last round when it leads (bounded by the close timeout),
     * then the cluster node closes (handing leadership over first). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        uploader.stop(cloud.closeTimeout().toMillis());
        closed = true;
        marks.wakeAll();
        try {
            node.close();
        } catch (StorageException e) {
            LOG.warn("Closing {} failed: {}", description, e.getMessage());
        }
        long left = marks.backlogBytes(replica.appliedBytes());
        LOG.info("Closed {}{}", description, left > 0 ? " (" + left + " bytes not in the bucket yet; the next leader "
                + "uploads them)" : "");
    }
}
