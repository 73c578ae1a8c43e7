package io.protobase.storage.cluster;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.RootObject;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;

/**
 * The replicated state of the cluster storage on one node, as a Raft state machine: every node's
 * segments (append-only files of atom records) and the root. Ratis applies the committed log
 * entries in log order on every node; applying one places its pieces and then compare-and-sets the
 * root, deterministically, so all nodes hold byte-identical segments and the same root at the same
 * log index.
 *
 * <p><b>Placing pieces.</b> A piece goes at its (segment, offset). Bytes already there are skipped
 * (a node re-sends pieces whose first submission had an unknown outcome, and only the node owning
 * a segment ever writes it, one content per offset), bytes at the end are appended, and a piece
 * starting past the end would leave a gap: then nothing of the entry is applied and its outcome is
 * {@link ClusterEntry#GAP}. The bytes of a rejected compare-and-set stay, so a segment never has a
 * hole and the offsets a node handed out stay valid.
 *
 * <p><b>A commit sent twice takes effect once.</b> A node may send a commit entry again when it cannot
 * tell whether the first copy reached the log (its leader paused or was replaced while the entry was in
 * flight), and then both copies may be committed. Every new root is a pointer that was never used
 * before (a fresh offset in a segment of the committing node), and a node has at most one commit in
 * flight, so the state machine keeps the root each node published last: a copy whose compare-and-set
 * fails but whose new root is the one its node published last is the copy of a commit that took
 * effect, and its outcome is {@link ClusterEntry#APPLIED} again, without changing anything.
 *
 * <p><b>Snapshots.</b> The segment files are the snapshot data: a snapshot is a small metadata
 * file ({@code snapshot.<term>_<index>}: root and each segment's length, layout in
 * docs/cluster.md) plus the segment files, whose first "length" bytes never change afterwards.
 * The segments are forced to disk before the metadata is written, after which Ratis may purge its
 * log up to that index. On start (and after a snapshot was installed from the leader) the latest
 * snapshot is loaded: segments are cut back to the lengths it records and the log after it is
 * applied again, which appends the same bytes at the same offsets.
 *
 * <p><b>In a cloud cluster the bucket is the snapshot.</b> A snapshot is taken at the newest upload mark a
 * root object in the bucket names (an earlier index than the last applied one), so the log Ratis purges
 * is in the bucket. A node the leader's log no longer reaches installs the bucket's root object as its
 * snapshot itself ({@link #notifyInstallSnapshotFromLeader}); each segment then has a <em>base</em> below
 * which its bytes are read from the bucket ({@link Bucket#read}) and above which they are in the file, as
 * after a restore entry.
 *
 * <p><b>Space reclamation</b> (docs/cluster.md, "Space reclamation"). A segment the leader's compaction
 * found unreached is {@link ClusterEntry#CONDEMN condemned}: from then on no node may reference it in a
 * commit (the engine refuses such a reference as stale), while readers that reached it before still read
 * it. Each node's own compaction {@link ClusterEntry#ACK acknowledges} it once no version that node retains
 * or pins reaches it. A commit of a node that has not acknowledged a condemned segment (it may still carry
 * a reference into it) makes the acknowledgements given before it stale: they are given again by a
 * compaction that read a root at least that new. Once every node the leader named has a valid
 * acknowledgement, the segment is <em>gone</em>: no root published after that reaches it. Each node then
 * deletes its file when its own compaction finds no local reader of it, after recording the deletion in a
 * journal ({@code released} in the state machine directory), so that a restart applying the log again
 * neither needs the file nor brings it back. Snapshots leave gone segments out. In a cloud cluster the
 * upload marks leave gone segments out too, each mark records the state of space reclamation at its index
 * (what a node that starts from it takes over), and a node deletes a gone segment's file only once no mark
 * from the uploaded one on names it.
 *
 * <p>The life cycle follows what a snapshot install needs in Ratis 3.2: RUNNING after
 * {@link #initialize}, {@link #pause()} closes the segment files before Ratis swaps the state
 * machine directory, and {@link #reinitialize()} loads the installed snapshot and runs again.
 */
final class SegmentReplica extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentReplica.class);

    /** Bytes of an atom record's header: length and CRC32C of the atom. */
    static final int RECORD_HEADER = 8;
    private static final String SNAPSHOT_PREFIX = "snapshot.";
    /** Terms whose first applied index {@link #termIndexAt} remembers, the latest ones. */
    private static final int MAX_TERM_STARTS = 1024;
    private static final String SEGMENTS = "segments";
    private static final int SNAPSHOT_MAGIC = 0x50424353; // "PBCS"
    /**
     * Version 2 added the root each node last published and the upload marks of a cloud cluster; version 3
     * each segment's local base and the term and published roots of each mark; version 4 the condemned and
     * gone segments of space reclamation; version 5 the state of space reclamation at each upload mark.
     * Versions 1 to 4 are still read.
     */
    private static final int SNAPSHOT_VERSION = 5;
    /** The journal of segments whose file this node deleted: their ids, 8 bytes each. */
    private static final String RELEASED_JOURNAL = "released";
    /** A {@link #query} asking for the identity of the cloud cluster's history. */
    static final byte QUERY_IDENTITY = 1;
    /** A {@link #query} asking the leader for a read index ({@link #leaderReadIndex()}). */
    static final byte QUERY_READ_INDEX = 2;
    /** A {@link #query} asking for the server's current term ({@link LeadershipCheck}). */
    static final byte QUERY_TERM = 3;

    /**
     * The bucket of a cloud cluster: where the bytes below a segment's local base are read (through the
     * node's block cache), and the state a node starts from when it is too far behind for the Raft log.
     */
    interface Bucket {
        /** Reads bytes {@code [offset, offset + length)} of segment {@code segmentId} from the bucket. */
        byte[] read(long segmentId, long offset, int length);

        /**
         * The state at the mark the bucket's root object names, when it is of the running cluster's history and
         * at least at log index {@code index}; {@code null} when the bucket holds no such state.
         *
         * @throws StorageException when the bucket or the cluster cannot tell now (asked again later)
         */
        BucketState stateFrom(long index);
    }

    /**
     * What a node starts from when it installs the bucket as its snapshot: the history, the mark, and the
     * segments the root object releases (gone: their chunks are deleted after the grace).
     */
    record BucketState(UploadMarks.Identity identity, UploadMarks.Mark mark, Set<Long> released) {
    }

    /** Told about bytes of a segment this node's storage wrote once they are applied locally. */
    interface AppliedPieces {
        void applied(long segmentId, long from, long to);
    }

    private final LongPredicate ownSegment;
    private final AppliedPieces appliedPieces;
    private final Bucket bucket;
    private final UploadMarks marks = new UploadMarks();
    /** Sum of the applied lengths of all segments. */
    private final AtomicLong appliedBytes = new AtomicLong();
    /** Guards the segment files: readers and the applier share it, pause and reload take it alone. */
    private final ReentrantReadWriteLock files = new ReentrantReadWriteLock();
    private final Map<Long, SegmentFile> segments = new ConcurrentHashMap<>();
    private final ReentrantLock appliedLock = new ReentrantLock();
    private final Condition appliedChanged = appliedLock.newCondition();
    private final StateMachineStorage snapshotStorage = new SnapshotStorage();
    private volatile Path segmentDir;
    private volatile Path stateMachineDir;
    private volatile AtomPointer root;
    /**
     * The root each node published last, by node id: how a commit entry that reached the log twice is
     * recognised (see {@link #apply}). Changed by the applier only; part of every snapshot.
     */
    private final Map<Integer, AtomPointer> lastPublished = new ConcurrentHashMap<>();
    private final Contention contention = new Contention();
    private volatile FileListSnapshotInfo latestSnapshot;
    /** Index of the last entry of this storage applied (or of the snapshot loaded), -1 before any. */
    private volatile long lastEntryIndex = -1;
    /** Read indexes waiting for this node to apply a log index, by that index ({@link #whenApplied}). */
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> appliedWaiters = new ConcurrentSkipListMap<>();
    /**
     * The first index of each term among the entries applied since the state was loaded (the loaded snapshot's
     * own first), from {@link #termsFrom} on: the term of any applied entry from there. Guarded by itself.
     */
    private final NavigableMap<Long, Long> termStarts = new TreeMap<>();
    private long termsFrom = Long.MAX_VALUE;
    /** The term of the newest entry recorded in {@link #termStarts}; read without the lock as a shortcut. */
    private volatile long lastTerm = -1;
    private final AtomicLong leaderChanges = new AtomicLong();

    /** Guards {@link #condemned} and {@link #gone}: the applier changes them, the node's compaction reads them. */
    private final Object reclaimLock = new Object();
    /** Replicated: the segments condemned and not gone yet, by id; part of every snapshot. */
    private final Map<Long, Condemned> condemned = new TreeMap<>();
    /** Replicated: the segments every node gave up, and the node that condemned each; part of every snapshot. */
    private final Map<Long, Integer> gone = new TreeMap<>();
    /** Local: the segments whose file this node deleted, as its journal records them. */
    private final Set<Long> deleted = ConcurrentHashMap.newKeySet();

    /** A condemned segment: who condemned it, who must acknowledge it, and the acknowledgements so far. */
    static final class Condemned {
        final int by;
        final Set<Integer> required = new TreeSet<>();
        /** Per node that acknowledged and did not retract: whether the acknowledgement is still valid. */
        final Map<Integer, Boolean> acks = new TreeMap<>();
        /** The last log index a commit that may reach the segment was published at (at first the condemnation). */
        long riskIndex;

        Condemned(int by, long riskIndex) {
            this.by = by;
            this.riskIndex = riskIndex;
        }
    }

    /** What one node's compaction may do with a segment ({@link #reclaimView}). */
    enum Reclaim {
        /** Not condemned: the leader's compaction may condemn it. */
        LIVE,
        /** Condemned, and this node has no acknowledgement on it: its compaction may acknowledge it. */
        UNACKED,
        /** Condemned, and this node's acknowledgement was made stale: acknowledged again or retracted. */
        STALE,
        /** Condemned, and this node's acknowledgement is valid: waiting for the other nodes. */
        ACKED,
        /** Gone: this node's compaction deletes its file once no local reader needs it. */
        GONE
    }

    /**
     * One segment as a node's compaction sees it.
     *
     * @param id the segment
     * @param bytes its applied length
     * @param state what the node's compaction may do with it
     * @param condemnedBy the node that condemned it, or -1
     * @param required the nodes that must acknowledge it (empty unless condemned)
     */
    record ReclaimView(long id, long bytes, Reclaim state, int condemnedBy, Set<Integer> required) {
    }

    /**
     * @param ownSegment whether a segment id belongs to this node
     * @param appliedPieces told when pieces of this node's segments are applied
     */
    SegmentReplica(LongPredicate ownSegment, AppliedPieces appliedPieces) {
        this(ownSegment, appliedPieces, null);
    }

    /**
     * @param ownSegment whether a segment id belongs to this node
     * @param appliedPieces told when pieces of this node's segments are applied
     * @param bucket the bucket of a cloud cluster, or {@code null} for a cluster without one
     */
    SegmentReplica(LongPredicate ownSegment, AppliedPieces appliedPieces, Bucket bucket) {
        this.ownSegment = ownSegment;
        this.appliedPieces = appliedPieces;
        this.bucket = bucket;
    }

    /**
     * One segment file and the number of bytes applied to it. Bytes below {@code base} are in the bucket
     * only (the node started from the bucket there): the file holds a hole there, and reads go to the bucket.
     */
    private static final class SegmentFile {
        final FileChannel channel;
        final long base;
        volatile long length;

        SegmentFile(FileChannel channel, long base, long length) {
            this.channel = channel;
            this.base = base;
            this.length = length;
        }
    }

    // ------------------------------------------------------------------ life cycle

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, storage);
            stateMachineDir = storage.getStorageDir().getStateMachineDir().toPath();
            load();
        });
    }

    @Override
    public void pause() {
        files.writeLock().lock();
        try {
            if (getLifeCycleState() == LifeCycle.State.RUNNING) {
                getLifeCycle().transition(LifeCycle.State.PAUSING);
                closeSegments();
                getLifeCycle().transition(LifeCycle.State.PAUSED);
            }
        } finally {
            files.writeLock().unlock();
        }
    }

    @Override
    public void reinitialize() throws IOException {
        files.writeLock().lock();
        try {
            closeSegments();
            load();
            if (getLifeCycleState() == LifeCycle.State.PAUSED) {
                getLifeCycle().transition(LifeCycle.State.STARTING);
                getLifeCycle().transition(LifeCycle.State.RUNNING);
            }
        } finally {
            files.writeLock().unlock();
        }
        signalApplied();
    }

    @Override
    public void close() {
        files.writeLock().lock();
        try {
            closeSegments();
        } finally {
            files.writeLock().unlock();
        }
        signalApplied();
        StorageException closed = new StorageException("The cluster storage in " + stateMachineDir + " was closed");
        appliedWaiters.values().forEach(w -> w.completeExceptionally(closed));
        appliedWaiters.clear();
    }

    private void closeSegments() {
        for (SegmentFile f : segments.values()) {
            try {
                f.channel.close();
            } catch (IOException e) {
                LOG.warn("Closing a segment of {} failed: {}", stateMachineDir, e.toString());
            }
        }
        segments.clear();
    }

    /**
     * Loads the latest snapshot in the state machine directory (an empty state without one): cuts the
     * segments back to its lengths and removes the ones it does not list. Holds the write lock.
     */
    private void load() throws IOException {
        segmentDir = stateMachineDir.resolve(SEGMENTS);
        Files.createDirectories(segmentDir);
        Snapshot snapshot = latestSnapshotFile();
        deleted.clear();
        deleted.addAll(readJournal());
        Map<Long, Long> lengths = new HashMap<>(snapshot == null ? Map.of() : snapshot.lengths);
        lengths.keySet().removeAll(deleted);
        synchronized (reclaimLock) {
            condemned.clear();
            gone.clear();
            if (snapshot != null) {
                condemned.putAll(snapshot.condemned);
                gone.putAll(snapshot.gone);
            }
        }
        Map<Long, Long> bases = snapshot == null ? Map.of() : snapshot.bases;
        List<Long> goneHere = new ArrayList<>();
        try (var listing = Files.list(segmentDir)) {
            for (Path file : (Iterable<Path>) listing::iterator) {
                Long id = segmentIdOf(file);
                if (id != null && !lengths.containsKey(id) && snapshot != null && snapshot.gone.containsKey(id)
                        && !deleted.contains(id)) {
                    goneHere.add(id);
                } else if (id == null || !lengths.containsKey(id)) {
                    Files.delete(file);
                }
            }
        }
        if (!goneHere.isEmpty()) {
            // the snapshot was taken after these segments went gone and before this node's compaction deleted their
            // files (Ratis takes one as the node stops): it leaves them out, so their files go now, recorded in the
            // journal first as that compaction records them, which would never see them again
            appendJournal(goneHere);
            deleted.addAll(goneHere);
            for (long id : goneHere) {
                Files.deleteIfExists(segmentPath(id));
            }
            LOG.debug("Deleted {} gone segment(s) of {} left out of its snapshot: {}", goneHere.size(),
                    stateMachineDir, goneHere);
        }
        List<FileInfo> infos = new ArrayList<>();
        appliedBytes.set(0);
        for (Map.Entry<Long, Long> e : new TreeMap<>(lengths).entrySet()) {
            Path file = segmentPath(e.getKey());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            long base = Math.min(e.getValue(), bases.getOrDefault(e.getKey(), 0L));
            if (base < e.getValue() && channel.size() < e.getValue()) {
                channel.close();
                throw new CorruptionException("Segment file " + file + " holds " + Files.size(file)
                        + " bytes, but the snapshot " + snapshot.file + " records " + e.getValue()
                        + "; the node directory is damaged: remove the node and add it back under a new id");
            }
            channel.truncate(e.getValue());
            segments.put(e.getKey(), new SegmentFile(channel, base, e.getValue()));
            if (!snapshot.gone.containsKey(e.getKey())) {
                appliedBytes.addAndGet(e.getValue());
            }
            infos.add(new FileInfo(file, null));
        }
        lastPublished.clear();
        if (snapshot == null) {
            marks.load(null, 0);
        } else if (snapshot.marks == null) {
            marks.loadedWithoutMarks(snapshot.termIndex.getIndex());
        } else {
            marks.load(ByteBuffer.wrap(snapshot.marks), snapshot.version);
        }
        if (snapshot == null) {
            root = null;
            lastEntryIndex = -1;
            setLastAppliedTermIndex(null);
            latestSnapshot = null;
        } else {
            root = snapshot.root;
            lastPublished.putAll(snapshot.lastPublished);
            lastEntryIndex = snapshot.termIndex.getIndex();
            setLastAppliedTermIndex(snapshot.termIndex);
            infos.add(new FileInfo(snapshot.file, null));
            latestSnapshot = new FileListSnapshotInfo(infos, snapshot.termIndex);
        }
    }

    // ------------------------------------------------------------------ applying entries

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte outcome;
        files.readLock().lock();
        try {
            ClusterEntry e = ClusterEntry.decode(
                    entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
            outcome = apply(e, entry.getIndex(), entry.getTerm());
            // before the applied index moves: whoever sees the entry applied must see it as this storage's last
            lastEntryIndex = entry.getIndex();
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        } catch (IOException | RuntimeException e) {
            // the node cannot follow the log any more; Ratis stops applying, and commits wait or time out
            LOG.error("Applying log entry {} of the cluster storage in {} failed", entry.getIndex(), stateMachineDir,
                    e);
            return CompletableFuture.failedFuture(e);
        } finally {
            files.readLock().unlock();
        }
        signalApplied();
        return CompletableFuture.completedFuture(
                Message.valueOf(UnsafeByteOperations.unsafeWrap(new byte[] {outcome})));
    }

    /** Applies an entry at log index {@code index}; the outcome depends only on the state before. */
    private byte apply(ClusterEntry e, long index, long term) throws IOException {
        switch (e.kind()) {
            case ClusterEntry.RESTORE:
                return restore(e.restore(), index, term);
            case ClusterEntry.MARK:
                marks.mark(index, term, root, liveLengths(), lastPublished, reclaimText());
                return ClusterEntry.APPLIED;
            case ClusterEntry.UPLOADED:
                marks.uploaded(e.markIndex(), appliedBytes.get());
                return ClusterEntry.APPLIED;
            case ClusterEntry.CONDEMN:
                condemn(e.reclaim(), index);
                return ClusterEntry.APPLIED;
            case ClusterEntry.ACK:
                acknowledge(e.reclaim());
                return ClusterEntry.APPLIED;
            case ClusterEntry.RETRACT:
                retract(e.reclaim());
                return ClusterEntry.APPLIED;
            case ClusterEntry.PARDON:
                pardon(e.reclaim());
                return ClusterEntry.APPLIED;
            default:
                byte outcome = applyData(e, index);
                marks.dataApplied(index, e.commit() && outcome == ClusterEntry.APPLIED);
                return outcome;
        }
    }

    /**
     * Starts a cloud cluster's history: on an empty state, takes the bucket's root (if any) and its
     * segments, whose bytes stay in the bucket (read through the block cache when needed); the first
     * restore entry wins, later ones (another node's, sent at the same time) are no-ops. A state that
     * holds data but was never started (a cluster storage turned into a cloud cluster) starts as it is
     * when the bucket is empty, and refuses a restore from a bucket that holds another history.
     */
    private byte restore(ClusterEntry.Restore r, long index, long term) throws IOException {
        if (marks.initialized()) {
            return ClusterEntry.REFUSED;
        }
        boolean empty = root == null && segments.isEmpty();
        if (r.fromBucket() && !empty) {
            LOG.error("The cluster storage in {} holds data, and the bucket holds another history (epoch {}); not"
                    + " restored", stateMachineDir, r.sourceEpoch());
            return ClusterEntry.REFUSED;
        }
        if (r.fromBucket()) {
            if (bucket == null) {
                throw new StorageException("Log entry " + index + " restores the cluster storage from a bucket, but "
                        + "this node has none; open it as a cloud cluster storage");
            }
            for (Map.Entry<Long, Long> e : new TreeMap<>(r.lengths()).entrySet()) {
                FileChannel channel = FileChannel.open(segmentPath(e.getKey()), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                segments.put(e.getKey(), new SegmentFile(channel, e.getValue(), e.getValue()));
                appliedBytes.addAndGet(e.getValue());
            }
            root = r.root();
            synchronized (reclaimLock) {
                // released by the history before: gone, never read (a read fails as released, not as missing)
                r.released().forEach(id -> gone.putIfAbsent(id, -1));
            }
        }
        marks.start(r, index, term, root, lengths(), lastPublished, reclaimText());
        LOG.info("Cloud cluster history of '{}' starts at log index {} ({})", r.clusterId(), index,
                r.fromBucket() ? "from the bucket's root of epoch " + r.sourceEpoch() + ", " + r.lengths().size()
                        + " segment(s) read from the bucket on demand" : "empty bucket");
        return ClusterEntry.APPLIED;
    }

    /** Places the pieces and compare-and-sets the root. */
    private byte applyData(ClusterEntry e, long index) throws IOException {
        Map<Long, Long> ends = new HashMap<>();
        for (ClusterEntry.Piece p : e.pieces()) {
            if (given(p.segmentId())) {
                continue; // a copy of bytes sent again: the segment is gone, and what it held with it
            }
            long end = ends.computeIfAbsent(p.segmentId(), this::lengthOf);
            if (p.offset() > end) {
                LOG.warn("Log entry would leave a gap in segment {} (ends at {}, piece at {}); not applied",
                        p.segmentId(), end, p.offset());
                return ClusterEntry.GAP;
            }
            ends.put(p.segmentId(), Math.max(end, p.end()));
        }
        for (ClusterEntry.Piece p : e.pieces()) {
            if (given(p.segmentId())) {
                continue;
            }
            SegmentFile f = segments.get(p.segmentId());
            if (f == null) {
                f = new SegmentFile(FileChannel.open(segmentPath(p.segmentId()), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), 0, 0);
                segments.put(p.segmentId(), f);
            }
            if (p.end() > f.length) {
                int skip = (int) (f.length - p.offset());
                ByteBuffer b = ByteBuffer.wrap(p.bytes(), skip, p.bytes().length - skip);
                long position = f.length;
                while (b.hasRemaining()) {
                    position += f.channel.write(b, position);
                }
                appliedBytes.addAndGet(p.end() - f.length);
                f.length = p.end();
            }
            if (ownSegment.test(p.segmentId())) {
                appliedPieces.applied(p.segmentId(), p.offset(), p.end());
            }
        }
        if (!e.commit()) {
            return ClusterEntry.APPLIED;
        }
        int node = ClusterFileStorage.nodeOf(e.newRoot().segmentId());
        if (!Objects.equals(root, e.expected())) {
            // a second copy of a commit that took effect: report it as applied, change nothing
            if (e.newRoot().equals(lastPublished.get(node))) {
                return ClusterEntry.APPLIED;
            }
            contention.lost(node, index);
            return ClusterEntry.ROOT_MISMATCH;
        }
        root = e.newRoot();
        lastPublished.put(node, e.newRoot());
        published(node, index);
        contention.won(node);
        return ClusterEntry.APPLIED;
    }

    /**
     * Waits, at most {@code maxWaitNanos}, while a commit of another node that lost its compare-and-set is
     * owed a turn before one of node {@code self} (see {@link Contention}).
     */
    void yieldToLosers(int self, long windowNanos, long maxWaitNanos) {
        contention.yieldTo(self, windowNanos, maxWaitNanos);
    }

    /**
     * Which nodes' commits lost their compare-and-set in the log and have not been applied since, as this node
     * applied the log (local observation, not replicated state: it changes no outcome of the log, only when this
     * node sends its next commit). The node whose losing run began earliest in the log goes first: the others
     * hold their next commit back briefly, so that its retry, built on the root that beat it, finds that root
     * still in place. Without it the leader's node, which applies every entry first and sends without a network
     * hop, wins nearly every race, and a busy leader can make the other nodes' commits fail after every retry.
     */
    private static final class Contention {
        /** Per losing node: the log index of the first lost commit of its run, and when the last one was applied. */
        private final Map<Integer, long[]> losing = new HashMap<>();

        synchronized void lost(int node, long index) {
            long[] run = losing.get(node);
            if (run == null) {
                losing.put(node, new long[] {index, System.nanoTime()});
            } else {
                run[1] = System.nanoTime();
            }
            notifyAll();
        }

        synchronized void won(int node) {
            if (!losing.isEmpty() && losing.remove(node) != null) {
                notifyAll();
            }
        }

        synchronized void yieldTo(int self, long windowNanos, long maxWaitNanos) {
            long deadline = System.nanoTime() + maxWaitNanos;
            boolean interrupted = false;
            try {
                while (!losing.isEmpty()) {
                    long now = System.nanoTime();
                    long remaining = deadline - now;
                    if (remaining <= 0 || !owesTurn(self, now, windowNanos)) {
                        return;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, remaining);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Whether another node lost within {@code windowNanos} and its run began before {@code self}'s. */
        private boolean owesTurn(int self, long now, long windowNanos) {
            long[] mine = losing.get(self);
            for (Map.Entry<Integer, long[]> e : losing.entrySet()) {
                long[] run = e.getValue();
                if (e.getKey() != self && now - run[1] < windowNanos && (mine == null || run[0] < mine[0])) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether a segment is gone (cluster-wide) or deleted here: its bytes are never placed again. */
    private boolean given(long segmentId) {
        if (deleted.contains(segmentId)) {
            return true;
        }
        synchronized (reclaimLock) {
            return gone.containsKey(segmentId);
        }
    }

    // ------------------------------------------------------------------ space reclamation

    /**
     * The leader condemns segments: each one this node holds, not condemned or gone yet, waits for the nodes
     * {@code r.required()} to acknowledge it. A segment condemned already takes the new list of nodes (the
     * leader names the members again after one was removed), keeping the acknowledgements of those still on it.
     * A segment whose file this node deleted (its journal names it: the node applies this log again after a
     * restart) is gone from here on, as it went gone on every node further on in this log: its bytes are not
     * placed again, but a restore entry brings back its length, which no mark may name.
     */
    private void condemn(ClusterEntry.Reclaim r, long index) {
        synchronized (reclaimLock) {
            for (long id : r.segments()) {
                if (gone.containsKey(id)) {
                    continue;
                }
                if (deleted.contains(id)) {
                    makeGone(id, r.node());
                    continue;
                }
                Condemned c = condemned.get(id);
                if (c == null) {
                    if (!segments.containsKey(id)) {
                        continue;
                    }
                    c = new Condemned(r.node(), index);
                    condemned.put(id, c);
                } else {
                    c.acks.keySet().retainAll(r.required());
                }
                c.required.clear();
                c.required.addAll(r.required());
                completeIfAcknowledged(id, c);
            }
        }
    }

    /**
     * A node acknowledges condemned segments: valid when its compaction had read a root at least as new as the
     * last commit that may reach them, else kept as a stale one (the node refuses references into them from
     * now on, and acknowledges again).
     */
    private void acknowledge(ClusterEntry.Reclaim r) {
        synchronized (reclaimLock) {
            for (long id : r.segments()) {
                Condemned c = condemned.get(id);
                if (c != null) {
                    c.acks.put(r.node(), r.seenIndex() >= c.riskIndex);
                    completeIfAcknowledged(id, c);
                }
            }
        }
    }

    /** A node withdraws its acknowledgement: its compaction found the segments reached again. */
    private void retract(ClusterEntry.Reclaim r) {
        synchronized (reclaimLock) {
            for (long id : r.segments()) {
                Condemned c = condemned.get(id);
                if (c != null) {
                    c.acks.remove(r.node());
                }
            }
        }
    }

    /**
     * The leader withdraws condemnations: its compaction found the segments reached again (a commit that was in
     * flight, or one that carried a reference, made the root reach them), so they are live segments again,
     * which compaction rewrites or condemns anew.
     */
    private void pardon(ClusterEntry.Reclaim r) {
        synchronized (reclaimLock) {
            for (long id : r.segments()) {
                condemned.remove(id);
            }
        }
    }

    /** Node {@code node}'s acknowledgement of condemned segment {@code id}: valid, stale, or {@code null}. */
    Boolean acknowledgement(long id, int node) {
        synchronized (reclaimLock) {
            Condemned c = condemned.get(id);
            return c == null ? null : c.acks.get(node);
        }
    }

    /** Whether segment {@code id} is gone or deleted here: nothing may reference it. */
    boolean gone(long id) {
        return given(id);
    }

    /**
     * A commit of node {@code node} was published at log index {@code index}: for every condemned segment the
     * node has not acknowledged, the commit may reference it (it may carry a reference admitted before the node
     * applied the condemnation), so the acknowledgements given so far are stale, and the node must acknowledge
     * it too.
     */
    private void published(int node, long index) {
        synchronized (reclaimLock) {
            for (Condemned c : condemned.values()) {
                if (!c.acks.containsKey(node)) {
                    c.acks.replaceAll((n, valid) -> false);
                    c.riskIndex = index;
                    c.required.add(node);
                }
            }
        }
    }

    /** Makes a condemned segment gone once every required node's acknowledgement is valid. */
    private void completeIfAcknowledged(long id, Condemned c) {
        for (int n : c.required) {
            if (!Boolean.TRUE.equals(c.acks.get(n))) {
                return;
            }
        }
        makeGone(id, c.by);
        LOG.debug("Segment {} is gone in {}: every node gave it up", id, stateMachineDir);
    }

    /** Segment {@code id}, condemned by node {@code by}, is gone; holds the reclaim lock. */
    private void makeGone(long id, int by) {
        condemned.remove(id);
        gone.put(id, by);
        SegmentFile f = segments.get(id);
        if (f != null) {
            appliedBytes.addAndGet(-f.length); // the bytes to upload are those of segments not gone
        }
    }

    /**
     * The segments as node {@code self}'s compaction sees them, oldest first: every segment this node holds (a
     * gone one until its file is deleted here).
     */
    List<ReclaimView> reclaimView(int self) {
        List<ReclaimView> view = new ArrayList<>();
        files.readLock().lock();
        try {
            synchronized (reclaimLock) {
                for (Map.Entry<Long, SegmentFile> e : new TreeMap<>(segments).entrySet()) {
                    long id = e.getKey();
                    Condemned c = condemned.get(id);
                    Integer goneBy = gone.get(id);
                    Reclaim state;
                    int by = -1;
                    Set<Integer> required = Set.of();
                    if (goneBy != null) {
                        state = Reclaim.GONE;
                        by = goneBy;
                    } else if (c != null) {
                        Boolean ack = c.acks.get(self);
                        state = ack == null ? Reclaim.UNACKED : ack ? Reclaim.ACKED : Reclaim.STALE;
                        by = c.by;
                        required = Set.copyOf(c.required);
                    } else {
                        state = Reclaim.LIVE;
                    }
                    view.add(new ReclaimView(id, e.getValue().length, state, by, required));
                }
            }
        } finally {
            files.readLock().unlock();
        }
        return view;
    }

    /** Whether no commit may reference segment {@code id} any more: condemned, gone or deleted here. */
    boolean retiring(long id) {
        if (deleted.contains(id)) {
            return true;
        }
        synchronized (reclaimLock) {
            return condemned.containsKey(id) || gone.containsKey(id);
        }
    }

    /** The segments condemned and not gone yet (for tests and status). */
    Set<Long> condemnedSegments() {
        synchronized (reclaimLock) {
            return Set.copyOf(condemned.keySet());
        }
    }

    /** The segments whose file this node deleted. */
    Set<Long> deletedSegments() {
        return Set.copyOf(deleted);
    }

    /**
     * Deletes the files of gone segments that no local reader needs any more (the node's compaction proved
     * it): records them in the journal (forced to disk) first, so that a restart applying the log again skips
     * their bytes rather than expecting a file. Segments not gone are left alone.
     *
     * @return the bytes the deleted files held
     */
    long deleteLocally(List<Long> ids) throws IOException {
        List<Long> delete = new ArrayList<>();
        synchronized (reclaimLock) {
            for (long id : ids) {
                if (gone.containsKey(id) && !deleted.contains(id)) {
                    delete.add(id);
                }
            }
        }
        if (delete.isEmpty()) {
            return 0;
        }
        long freed = 0;
        files.writeLock().lock();
        try {
            appendJournal(delete);
            for (long id : delete) {
                deleted.add(id);
                SegmentFile f = segments.remove(id);
                if (f != null) {
                    f.channel.close(); // its bytes left appliedBytes when it went
                    freed += f.length;
                }
                Files.deleteIfExists(segmentPath(id));
            }
            withoutDeletedInSnapshot(delete);
        } finally {
            files.writeLock().unlock();
        }
        LOG.debug("Deleted {} gone segment(s) of {}: {} bytes", delete.size(), stateMachineDir, freed);
        return freed;
    }

    /**
     * Writes the latest snapshot again without segments this node just deleted, recorded as gone instead: it
     * may be older than the entry that made them gone, and the leader ships its files to a node too far behind
     * for the log. Applying the log after it to the rewritten state gives what it gave before (entries about a
     * gone segment change nothing, and the segment's bytes were all applied before it was condemned). Holds the
     * write lock.
     */
    private void withoutDeletedInSnapshot(List<Long> deletedNow) throws IOException {
        Snapshot snapshot = latestSnapshotFile();
        if (snapshot == null || deletedNow.stream().noneMatch(snapshot.lengths::containsKey)) {
            return;
        }
        Map<Long, Long> lengths = new TreeMap<>(snapshot.lengths);
        Map<Long, Long> bases = new TreeMap<>(snapshot.bases);
        Map<Long, Condemned> condemnedThen = new TreeMap<>(snapshot.condemned);
        Map<Long, Integer> goneThen = new TreeMap<>(snapshot.gone);
        synchronized (reclaimLock) {
            for (long id : deletedNow) {
                lengths.remove(id);
                bases.remove(id);
                condemnedThen.remove(id);
                goneThen.put(id, gone.getOrDefault(id, -1));
            }
        }
        Path file = writeSnapshotFile(snapshot.termIndex, snapshot.root, lengths, bases, snapshot.lastPublished,
                snapshot.version >= 3 ? marksInFormat(snapshot) : marks.encode(), condemnedThen, goneThen);
        List<FileInfo> infos = new ArrayList<>();
        for (long id : new TreeSet<>(lengths.keySet())) {
            infos.add(new FileInfo(segmentPath(id), null));
        }
        infos.add(new FileInfo(file, null));
        latestSnapshot = new FileListSnapshotInfo(infos, snapshot.termIndex);
    }

    private void appendJournal(List<Long> ids) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * ids.size());
        ids.forEach(b::putLong);
        b.flip();
        try (FileChannel out = FileChannel.open(stateMachineDir.resolve(RELEASED_JOURNAL), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
    }

    /** The segments the journal records as deleted; a torn last record (a crash while appending) is ignored. */
    private Set<Long> readJournal() throws IOException {
        Path file = stateMachineDir.resolve(RELEASED_JOURNAL);
        if (!Files.exists(file)) {
            return Set.of();
        }
        long whole = Files.size(file) / 8 * 8;
        if (whole != Files.size(file)) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(whole); // a record torn by a crash: its segment file was not deleted yet
                channel.force(true);
            }
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        Set<Long> ids = new HashSet<>();
        while (b.remaining() >= 8) {
            ids.add(b.getLong());
        }
        return ids;
    }

    private long lengthOf(long segmentId) {
        SegmentFile f = segments.get(segmentId);
        return f == null ? 0 : f.length;
    }

    /**
     * Counts leader changes for {@link ClusterFileStorage#status()}: Ratis tells the state machine of
     * every leader this node learns of, each the outcome of an election.
     */
    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        super.notifyLeaderChanged(groupMemberId, newLeaderId);
        leaderChanges.incrementAndGet();
    }

    /** How often this node saw the leader change since it started. */
    long leaderChanges() {
        return leaderChanges.get();
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        signalApplied();
    }

    // ------------------------------------------------------------------ the terms of applied entries

    @Override
    protected void setLastAppliedTermIndex(TermIndex t) {
        super.setLastAppliedTermIndex(t);
        if (termStarts == null) {
            return; // called by the constructor of the superclass, before this one's fields are set
        }
        synchronized (termStarts) {
            termStarts.clear();
            termsFrom = Long.MAX_VALUE;
            lastTerm = -1;
            if (t != null && t.getIndex() >= 0) {
                recordTerm(t.getTerm(), t.getIndex());
            }
        }
    }

    @Override
    protected boolean updateLastAppliedTermIndex(long term, long index) {
        boolean updated = super.updateLastAppliedTermIndex(term, index);
        if (updated && term != lastTerm) {
            synchronized (termStarts) {
                recordTerm(term, index);
            }
        }
        return updated;
    }

    /** Caller holds the lock on {@link #termStarts}. */
    private void recordTerm(long term, long index) {
        if (term == lastTerm) {
            return;
        }
        if (termStarts.isEmpty()) {
            termsFrom = index;
        }
        termStarts.put(index, term);
        lastTerm = term;
        if (termStarts.size() > MAX_TERM_STARTS) {
            termStarts.pollFirstEntry();
            termsFrom = termStarts.firstKey();
        }
    }

    /**
     * The term and index of log entry {@code index}, from the entries this node applied since it loaded its
     * state (every applied entry is committed, so its term is the leader's) or from a kept snapshot's name; null
     * when this node does not know it. For the leader's log appender, when the Raft log no longer holds the entry
     * before a follower's next one ({@link StartAwareGrpc}).
     */
    TermIndex termIndexAt(long index) {
        synchronized (termStarts) {
            TermIndex last = getLastAppliedTermIndex();
            if (last != null && index >= termsFrom && index <= last.getIndex()) {
                Map.Entry<Long, Long> start = termStarts.floorEntry(index);
                if (start != null) {
                    return TermIndex.valueOf(start.getValue(), index);
                }
            }
        }
        return snapshotTermIndexAt(index);
    }

    private void signalApplied() {
        appliedLock.lock();
        try {
            appliedChanged.signalAll();
        } finally {
            appliedLock.unlock();
        }
        completeAppliedWaiters();
    }

    /** Completes once this node has applied the log entry at {@code index}. */
    CompletableFuture<Void> whenApplied(long index) {
        if (appliedIndex() >= index) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> waiter = appliedWaiters.computeIfAbsent(index, i -> new CompletableFuture<>());
        // the applier may have passed index between the look above and the registration
        completeAppliedWaiters();
        return waiter;
    }

    private void completeAppliedWaiters() {
        if (appliedWaiters.isEmpty()) {
            return;
        }
        long applied = appliedIndex();
        for (Map.Entry<Long, CompletableFuture<Void>> w; (w = appliedWaiters.firstEntry()) != null
                && w.getKey() <= applied; ) {
            if (appliedWaiters.remove(w.getKey(), w.getValue())) {
                w.getValue().complete(null);
            }
        }
    }

    /**
     * The leader's half of a linearizable read: while this server leads and has committed an entry of its
     * term, its commit index covers every entry committed before (in its term by itself, in earlier terms by
     * the election rules); once it has applied that index, the last entry of this storage it applied is the
     * index the reading node applies before it reads its root. Not Ratis's read index (see
     * {@link LeadershipCheck} for why); whether a later term elected a leader meanwhile is the reading node's
     * {@link LeadershipCheck}. A server that does not lead answers {@link ReadIndex#notLeader}.
     */
    CompletableFuture<ReadIndex> leaderReadIndex() {
        RaftServer.Division division;
        try {
            division = getServer().join().getDivision(getGroupId());
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        DivisionInfo info = division.getInfo();
        long term = info.getCurrentTerm();
        if (!info.isLeader() || !info.isLeaderReady()) {
            return CompletableFuture.completedFuture(ReadIndex.notLeader(term));
        }
        long commit = division.getRaftLog().getLastCommittedIndex();
        RaftConfiguration conf = division.getRaftConf();
        List<Set<RaftPeerId>> voters = new ArrayList<>(2);
        voters.add(ids(conf.getCurrentPeers(RaftPeerRole.FOLLOWER)));
        Collection<RaftPeer> previous = conf.getPreviousPeers(RaftPeerRole.FOLLOWER);
        if (!previous.isEmpty()) {
            voters.add(ids(previous));
        }
        // a server leads at most once per term: leading in the same term before and after, it led throughout
        if (!info.isLeader() || info.getCurrentTerm() != term) {
            return CompletableFuture.completedFuture(ReadIndex.notLeader(term));
        }
        return whenApplied(commit).thenApply(v -> new ReadIndex(true, term, lastEntryIndex, voters));
    }

    private static Set<RaftPeerId> ids(Collection<RaftPeer> peers) {
        Set<RaftPeerId> ids = new LinkedHashSet<>();
        peers.forEach(p -> ids.add(p.getId()));
        return ids;
    }

    /** This server's current Raft term. */
    long currentTerm() throws IOException {
        return getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
    }

    /** The index of the last entry applied here, or -1. */
    long appliedIndex() {
        TermIndex t = getLastAppliedTermIndex();
        return t == null ? -1 : t.getIndex();
    }

    /** Waits until this node has applied the entry at {@code index}; returns whether it did in time. */
    boolean awaitApplied(long index, long deadlineNanos) {
        appliedLock.lock();
        try {
            while (appliedIndex() < index) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                appliedChanged.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("Interrupted while waiting for the cluster storage in " + stateMachineDir
                    + " to apply log entry " + index, e);
        } finally {
            appliedLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reads

    /** The root as applied on this node. */
    AtomPointer root() {
        return root;
    }

    /** The upload marks of a cloud cluster (empty and never started on a cluster without a bucket). */
    UploadMarks marks() {
        return marks;
    }

    /** Bytes applied to the segments not gone (what a cloud cluster uploads). */
    long appliedBytes() {
        return appliedBytes.get();
    }

    /** Every segment's applied length. */
    private Map<Long, Long> lengths() {
        Map<Long, Long> lengths = new TreeMap<>();
        segments.forEach((id, f) -> lengths.put(id, f.length));
        return lengths;
    }

    /**
     * The applied length of every segment not gone: what a mark records, so that no root object written
     * after a segment is gone names it (the chunk collector then releases its chunks in the bucket).
     */
    private Map<Long, Long> liveLengths() {
        Map<Long, Long> lengths = lengths();
        synchronized (reclaimLock) {
            lengths.keySet().removeAll(gone.keySet());
        }
        return lengths;
    }

    /**
     * The state of space reclamation now, in the text form a mark and the bucket's root object carry
     * ({@code reclaim=}): the condemned segments, each {@code id:by:riskIndex:required:acks} (required nodes
     * joined by {@code /}, acknowledgements as {@code node+} valid or {@code node-} stale, joined by {@code /}),
     * separated by {@code ,}; then {@code ;} and the gone segments' ids as runs {@code a-b}. A node that starts
     * from a mark takes it over exactly, so it goes on deciding as the others do.
     */
    private String reclaimText() {
        synchronized (reclaimLock) {
            return encodeReclaim(condemned, gone.keySet());
        }
    }

    static String encodeReclaim(Map<Long, Condemned> condemnedNow, Set<Long> goneNow) {
        if (condemnedNow.isEmpty() && goneNow.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        new TreeMap<>(condemnedNow).forEach((id, c) -> {
            b.append(b.isEmpty() ? "" : ",").append(id).append(':').append(c.by).append(':').append(c.riskIndex)
                    .append(':');
            StringJoiner required = new StringJoiner("/");
            c.required.forEach(n -> required.add(Integer.toString(n)));
            StringJoiner acks = new StringJoiner("/");
            c.acks.forEach((n, valid) -> acks.add(n + (valid ? "+" : "-")));
            b.append(required).append(':').append(acks);
        });
        b.append(';');
        Long first = null;
        long last = 0;
        boolean any = false;
        for (long id : new TreeSet<>(goneNow)) {
            if (first != null && id == last + 1) {
                last = id;
                continue;
            }
            if (first != null) {
                b.append(any ? "," : "").append(first).append(first == last ? "" : "-" + last);
                any = true;
            }
            first = id;
            last = id;
        }
        if (first != null) {
            b.append(any ? "," : "").append(first).append(first == last ? "" : "-" + last);
        }
        return b.toString();
    }

    /** Reads {@link #encodeReclaim}'s text into {@code condemnedOut} and {@code goneOut} (gone by node -1). */
    static void decodeReclaim(String text, Map<Long, Condemned> condemnedOut, Map<Long, Integer> goneOut) {
        if (text == null || text.isEmpty()) {
            return;
        }
        int semi = text.indexOf(';');
        String condemnedPart = semi < 0 ? text : text.substring(0, semi);
        String gonePart = semi < 0 ? "" : text.substring(semi + 1);
        for (String e : condemnedPart.split(",")) {
            if (e.isEmpty()) {
                continue;
            }
            String[] f = e.split(":", -1);
            Condemned c = new Condemned(Integer.parseInt(f[1]), Long.parseLong(f[2]));
            for (String n : f[3].split("/")) {
                if (!n.isEmpty()) {
                    c.required.add(Integer.parseInt(n));
                }
            }
            for (String a : f[4].split("/")) {
                if (!a.isEmpty()) {
                    c.acks.put(Integer.parseInt(a.substring(0, a.length() - 1)), a.endsWith("+"));
                }
            }
            condemnedOut.put(Long.parseLong(f[0]), c);
        }
        for (String run : gonePart.split(",")) {
            if (run.isEmpty()) {
                continue;
            }
            int dash = run.indexOf('-', 1);
            long from = Long.parseLong(dash < 0 ? run : run.substring(0, dash));
            long to = dash < 0 ? from : Long.parseLong(run.substring(dash + 1));
            for (long id = from; id <= to; id++) {
                goneOut.putIfAbsent(id, -1);
            }
        }
    }

    /**
     * The segments a root object of a cloud cluster gives up: those its {@code released=} names and those gone in
     * the state of space reclamation it carries. None of them is live, and no new segment may take their ids.
     */
    static Set<Long> givenUp(RootObject root) {
        Map<Long, Integer> goneThen = new TreeMap<>();
        decodeReclaim(root.reclaim(), new TreeMap<>(), goneThen);
        Set<Long> ids = new TreeSet<>(goneThen.keySet());
        ids.addAll(root.released().keySet());
        return ids;
    }

    /** The marks of snapshot {@code s} encoded in this version's format (an older snapshot's are read first). */
    private static byte[] marksInFormat(Snapshot s) {
        if (s.version == SNAPSHOT_VERSION) {
            return s.marks;
        }
        UploadMarks older = new UploadMarks();
        older.load(ByteBuffer.wrap(s.marks), s.version);
        return older.encode();
    }

    /** Whether this node holds segment {@code id} and it is not gone: a segment the cluster may still name. */
    boolean holdsLive(long id) {
        return segments.containsKey(id) && !given(id);
    }

    /**
     * Reads applied bytes {@code [from, from + length)} of a segment as they are in its file: what the
     * upload ships as a chunk.
     */
    byte[] readRaw(long segmentId, long from, int length) {
        long remote;
        ByteBuffer b = ByteBuffer.allocate(length);
        files.readLock().lock();
        try {
            SegmentFile f = segments.get(segmentId);
            if (f == null || from + length > f.length) {
                throw new StorageException("Segment " + segmentId + " of " + stateMachineDir + " holds "
                        + (f == null ? 0 : f.length) + " bytes, fewer than the " + (from + length)
                        + " an upload mark records; the node directory is damaged");
            }
            // bytes below the base are in the bucket only: the node started from the bucket there
            remote = Math.max(0, Math.min(length, f.base - from));
            if (remote < length) {
                b.position((int) remote);
                readFully(f.channel, b, from + remote);
            }
        } catch (IOException e) {
            throw new StorageException("Cannot read segment " + segmentId + " of " + stateMachineDir + ": "
                    + e.getMessage(), e);
        } finally {
            files.readLock().unlock();
        }
        if (remote > 0) {
            System.arraycopy(bucket.read(segmentId, from, (int) remote), 0, b.array(), 0, (int) remote);
        }
        return b.array();
    }

    /**
     * Answers the questions of nodes: the identity of the cloud cluster's history (a Raft read), a read index
     * (a stale read, which Ratis passes on without asking anyone, or a Raft read while the asking node knows
     * no leader; {@link #leaderReadIndex()}: the index of the last entry of this storage, not the applied
     * index, since the entries after it are Raft's own, change nothing here, and a follower learns of their
     * commit only with the next heartbeat), or the current term (a stale read).
     */
    @Override
    public CompletableFuture<Message> query(Message request) {
        byte kind = request.getContent().isEmpty() ? 0 : request.getContent().byteAt(0);
        try {
            return switch (kind) {
                case QUERY_IDENTITY -> CompletableFuture.completedFuture(message(marks.identity().encode()));
                case QUERY_READ_INDEX -> leaderReadIndex().thenApply(r -> message(r.encode()));
                case QUERY_TERM -> CompletableFuture.completedFuture(
                        message(ByteBuffer.allocate(Long.BYTES).putLong(currentTerm()).array()));
                default -> CompletableFuture.failedFuture(new IllegalArgumentException("unknown query " + kind
                        + " of the cluster storage: does every node run the same ProtoBase version?"));
            };
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Message message(byte[] bytes) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
    }

    /**
     * Reads the atom whose record starts at {@code pointer}, or returns {@code null} when this node
     * has not applied bytes there (yet).
     */
    byte[] read(AtomPointer pointer) {
        long base;
        files.readLock().lock();
        try {
            SegmentFile f = segments.get(pointer.segmentId());
            if (f == null && given(pointer.segmentId())) {
                throw new SegmentReleasedException("Cannot read " + pointer + ": segment " + pointer.segmentId()
                        + " was released by compaction, and " + stateMachineDir + " no longer holds it; no version"
                        + " a transaction, history view or backup reads reaches it", pointer.segmentId());
            }
            if (f == null || pointer.offset() < 0 || pointer.offset() + RECORD_HEADER > f.length) {
                return null;
            }
            base = f.base;
            if (pointer.offset() >= base) {
                return readLocal(f, pointer);
            }
        } finally {
            files.readLock().unlock();
        }
        return readFromBucket(pointer, base);
    }

    /** Reads an atom below the segment's base from the bucket (the block cache), outside the file lock. */
    private byte[] readFromBucket(AtomPointer pointer, long base) {
        byte[] header = bucket.read(pointer.segmentId(), pointer.offset(), RECORD_HEADER);
        int length = ByteBuffer.wrap(header).getInt(0);
        int crc = ByteBuffer.wrap(header).getInt(4);
        if (length < 0 || pointer.offset() + RECORD_HEADER + length > base) {
            throw new CorruptionException("No atom at " + pointer + " in the bucket's chunks of segment "
                    + pointer.segmentId() + ": the record there claims " + length + " bytes; the pointer does not"
                    + " start an atom, or the chunk is damaged");
        }
        byte[] atom = bucket.read(pointer.segmentId(), pointer.offset() + RECORD_HEADER, length);
        if (crc32c(atom) != crc) {
            throw new CorruptionException("Checksum mismatch for " + pointer + " read from the bucket's chunks of"
                    + " segment " + pointer.segmentId() + "; if the block cache is damaged, delete its blocks"
                    + " directory in the cache-dir, else the object in the bucket is");
        }
        return atom;
    }

    /** Reads an atom from the segment file; holds the read lock. */
    private byte[] readLocal(SegmentFile f, AtomPointer pointer) {
        try {
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            readFully(f.channel, header, pointer.offset());
            int length = header.getInt(0);
            int crc = header.getInt(4);
            if (length < 0 || pointer.offset() + RECORD_HEADER + length > f.length) {
                throw new CorruptionException("No atom at " + pointer + " in segment file " + segmentPath(
                        pointer.segmentId()) + ": the record there claims " + length + " bytes; the pointer does"
                        + " not start an atom, or the file is damaged");
            }
            ByteBuffer atom = ByteBuffer.allocate(length);
            readFully(f.channel, atom, pointer.offset() + RECORD_HEADER);
            if (crc32c(atom.array()) != crc) {
                throw new CorruptionException("Checksum mismatch for " + pointer + " in segment file "
                        + segmentPath(pointer.segmentId()) + "; the node's copy is damaged: remove the node and add"
                        + " it back under a new id so it copies the segments again");
            }
            return atom.array();
        } catch (IOException e) {
            throw new StorageException("Cannot read " + pointer + " from " + segmentPath(pointer.segmentId())
                    + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long p = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + p);
            }
            p += n;
        }
    }

    /** Encodes an atom as a segment record: length, CRC32C, bytes. */
    static byte[] record(byte[] atom) {
        return ByteBuffer.allocate(RECORD_HEADER + atom.length).putInt(atom.length).putInt(crc32c(atom)).put(atom)
                .array();
    }

    private static int crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Takes a snapshot: without a bucket at the last applied entry; in a cloud cluster at the newest mark a
     * root object in the bucket names (see {@link #takeBucketSnapshot}).
     */
    @Override
    public long takeSnapshot() throws IOException {
        if (bucket != null) {
            return takeBucketSnapshot();
        }
        files.writeLock().lock();
        try {
            TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() < 0) {
                return RaftLog.INVALID_LOG_INDEX;
            }
            List<FileInfo> infos = new ArrayList<>();
            Map<Long, Long> lengths = new TreeMap<>();
            Map<Long, Long> bases = new TreeMap<>();
            Map<Long, Condemned> condemnedNow;
            Map<Long, Integer> goneNow;
            synchronized (reclaimLock) {
                condemnedNow = copyCondemned();
                goneNow = new TreeMap<>(gone);
            }
            for (Map.Entry<Long, SegmentFile> e : new TreeMap<>(segments).entrySet()) {
                if (goneNow.containsKey(e.getKey())) {
                    continue; // no node reads a gone segment from a snapshot: it is neither shipped nor reloaded
                }
                e.getValue().channel.force(true);
                lengths.put(e.getKey(), e.getValue().length);
                bases.put(e.getKey(), e.getValue().base);
                infos.add(new FileInfo(segmentPath(e.getKey()), null));
            }
            Path file = writeSnapshotFile(last, root, lengths, bases, new TreeMap<>(lastPublished), marks.encode(),
                    condemnedNow, goneNow);
            infos.add(new FileInfo(file, null));
            latestSnapshot = new FileListSnapshotInfo(infos, last);
            deleteSnapshotFilesBefore(last.getIndex());
            return last.getIndex();
        } finally {
            files.writeLock().unlock();
        }
    }

    /**
     * The snapshot of a cloud cluster: the state at the newest mark that a root object of this history in
     * the bucket names, once it is newer than the last snapshot (else nothing, and Ratis asks again after
     * the next entry). The log up to that mark can then go: every byte before it is in the bucket, and a
     * node too far behind for the log starts from the bucket's root ({@link #notifyInstallSnapshotFromLeader}).
     * Locally it is an ordinary snapshot at an earlier index than the last applied one: the segments are
     * forced to disk, and a restart cuts them back to the mark's lengths and applies the log after it again.
     */
    private long takeBucketSnapshot() throws IOException {
        UploadMarks.Mark m = marks.snapshotMark();
        FileListSnapshotInfo latest = latestSnapshot;
        if (m == null || m.term() < 0 || (latest != null && latest.getIndex() >= m.index())) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        files.writeLock().lock();
        try {
            List<FileInfo> infos = new ArrayList<>();
            Map<Long, Long> bases = new TreeMap<>();
            for (Map.Entry<Long, Long> e : m.lengths().entrySet()) {
                SegmentFile f = segments.get(e.getKey());
                if (f == null || f.length < e.getValue()) {
                    throw new CorruptionException("Segment " + e.getKey() + " of " + stateMachineDir + " holds "
                            + (f == null ? 0 : f.length) + " bytes, fewer than the " + e.getValue() + " the upload mark"
                            + " at log index " + m.index() + " records; the node directory is damaged");
                }
                f.channel.force(true);
                bases.put(e.getKey(), Math.min(f.base, e.getValue()));
                infos.add(new FileInfo(segmentPath(e.getKey()), null));
            }
            TermIndex at = TermIndex.valueOf(m.term(), m.index());
            // the state of space reclamation at the mark: the log after it is applied to it again on a restart
            Map<Long, Condemned> condemnedThen = new TreeMap<>();
            Map<Long, Integer> goneThen = new TreeMap<>();
            decodeReclaim(m.reclaim(), condemnedThen, goneThen);
            synchronized (reclaimLock) {
                goneThen.replaceAll((id, by) -> gone.getOrDefault(id, by));
            }
            Path file = writeSnapshotFile(at, m.root(), m.lengths(), bases, m.lastPublished(),
                    UploadMarks.encodeAt(marks.identity(), m), condemnedThen, goneThen);
            infos.add(new FileInfo(file, null));
            latestSnapshot = new FileListSnapshotInfo(infos, at);
            deleteSnapshotFilesBefore(m.index());
            return m.index();
        } finally {
            files.writeLock().unlock();
        }
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return latestSnapshot;
    }

    /**
     * The leader no longer has the log entries this node needs (purged once they were in the bucket), or
     * this node is new: it starts from the bucket instead of receiving the segments from a peer. It asks the
     * cluster for its history, reads the bucket's root object and, when that names a mark of this history
     * at or after the entry before {@code firstTermIndexInLog}, writes a snapshot of the state at that mark
     * whose segment bytes stay in the bucket (each segment's base is its length there, except where this
     * node already holds as much). Ratis then reloads the state machine from it and sends the log after the
     * mark. Runs on a thread of its own; a failure (bucket or cluster unreachable) is retried at the
     * leader's next notification. Completes with {@code null} when the bucket has no state to start from:
     * the node then receives the log.
     */
    @Override
    public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfoProto,
            TermIndex firstTermIndexInLog) {
        if (bucket == null) {
            return super.notifyInstallSnapshotFromLeader(roleInfoProto, firstTermIndexInLog);
        }
        CompletableFuture<TermIndex> installed = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                installed.complete(installFromBucket(firstTermIndexInLog.getIndex() - 1));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Starting the cluster storage in {} from the bucket failed, retrying at the leader's next"
                        + " notification: {}", stateMachineDir, e.getMessage());
                installed.completeExceptionally(e);
            }
        }, "protobase-cluster-install");
        t.setDaemon(true);
        t.start();
        return installed;
    }

    private TermIndex installFromBucket(long needed) throws IOException {
        if (appliedIndex() >= needed && appliedIndex() >= 0) {
            // the log after what this node applied is still there: nothing to install
            return null;
        }
        BucketState state = bucket.stateFrom(needed);
        if (state == null) {
            LOG.info("The bucket holds no state of this cluster's history to start {} from; it receives the log",
                    stateMachineDir);
            return null;
        }
        UploadMarks.Mark m = state.mark();
        if (m.index() <= appliedIndex()) {
            return null;
        }
        Map<Long, Long> bases = new TreeMap<>();
        files.readLock().lock();
        try {
            for (Map.Entry<Long, Long> e : m.lengths().entrySet()) {
                SegmentFile f = segments.get(e.getKey());
                bases.put(e.getKey(), f != null && f.length >= e.getValue() ? Math.min(f.base, e.getValue())
                        : e.getValue());
            }
        } finally {
            files.readLock().unlock();
        }
        TermIndex at = TermIndex.valueOf(m.term(), m.index());
        // the state of space reclamation at the mark, taken over exactly; the segments the root's released= names
        // are gone too (reads into them fail as released)
        Map<Long, Condemned> condemnedThen = new TreeMap<>();
        Map<Long, Integer> goneThen = new TreeMap<>();
        decodeReclaim(m.reclaim(), condemnedThen, goneThen);
        state.released().forEach(id -> goneThen.putIfAbsent(id, -1));
        writeSnapshotFile(at, m.root(), m.lengths(), bases, m.lastPublished(),
                UploadMarks.encodeAt(state.identity(), m), condemnedThen, goneThen);
        long remote = m.lengths().entrySet().stream().mapToLong(e -> bases.get(e.getKey())).sum();
        LOG.info("The cluster storage in {} starts from the bucket at log index {} (term {}): {} segment(s), {} bytes"
                + " read from the bucket on demand; the leader sends the log after it", stateMachineDir, m.index(),
                m.term(), m.lengths().size(), remote);
        return at;
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return snapshotStorage;
    }

    private Map<Long, Condemned> copyCondemned() {
        Map<Long, Condemned> copy = new TreeMap<>();
        condemned.forEach((id, c) -> {
            Condemned d = new Condemned(c.by, c.riskIndex);
            d.required.addAll(c.required);
            d.acks.putAll(c.acks);
            copy.put(id, d);
        });
        return copy;
    }

    private Path writeSnapshotFile(TermIndex last, AtomPointer root, Map<Long, Long> lengths, Map<Long, Long> bases,
            Map<Integer, AtomPointer> published, byte[] uploads, Map<Long, Condemned> condemnedNow,
            Map<Long, Integer> goneNow) throws IOException {
        int reclaimBytes = 4 + 4 + goneNow.size() * 12;
        for (Condemned c : condemnedNow.values()) {
            reclaimBytes += 8 + 4 + 8 + 4 + 4 * c.required.size() + 4 + 5 * c.acks.size();
        }
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 8 + ClusterEntry.POINTER_BYTES + 4 + lengths.size() * 24
                + 4 + published.size() * (4 + ClusterEntry.POINTER_BYTES) + 4 + uploads.length + reclaimBytes + 4);
        b.putInt(SNAPSHOT_MAGIC).putInt(SNAPSHOT_VERSION).putLong(last.getTerm()).putLong(last.getIndex());
        ClusterEntry.putPointer(b, root);
        b.putInt(lengths.size());
        new TreeMap<>(lengths).forEach((id, length) -> b.putLong(id).putLong(length)
                .putLong(bases.getOrDefault(id, 0L)));
        b.putInt(published.size());
        published.forEach((node, pointer) -> {
            b.putInt(node);
            ClusterEntry.putPointer(b, pointer);
        });
        b.putInt(uploads.length).put(uploads);
        b.putInt(condemnedNow.size());
        condemnedNow.forEach((id, c) -> {
            b.putLong(id).putInt(c.by).putLong(c.riskIndex).putInt(c.required.size());
            c.required.forEach(b::putInt);
            b.putInt(c.acks.size());
            c.acks.forEach((node, valid) -> b.putInt(node).put((byte) (valid ? 1 : 0)));
        });
        b.putInt(goneNow.size());
        goneNow.forEach((id, by) -> b.putLong(id).putInt(by));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Path file = stateMachineDir.resolve(SNAPSHOT_PREFIX + last.getTerm() + "_" + last.getIndex());
        Path tmp = stateMachineDir.resolve(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            b.flip();
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(stateMachineDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // some file systems cannot open a directory; the rename is then as durable as they make it
        }
        return file;
    }

    /**
     * Deletes the snapshot metadata files before {@code index}, except the one at the entry before the start of
     * this node's Raft log: its name is the only record of that entry's term once the log was purged up to it or
     * started after it (a snapshot installed from the bucket), which the leader's log appender needs to send
     * the entries from the log's start ({@link StartAwareGrpc}).
     */
    private void deleteSnapshotFilesBefore(long index) throws IOException {
        long beforeLogStart = raftLogStart() - 1;
        try (var listing = Files.list(stateMachineDir)) {
            for (Path p : (Iterable<Path>) listing::iterator) {
                TermIndex t = snapshotTermIndexOf(p);
                if (t != null && t.getIndex() < index && t.getIndex() != beforeLogStart) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The first index of this node's Raft log, or -1 when it cannot be read (not started, or closing). */
    private long raftLogStart() {
        try {
            RaftServer server = getServer().getNow(null);
            return server == null ? -1 : server.getDivision(getGroupId()).getRaftLog().getStartIndex();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The term and index of log entry {@code index} when a snapshot of this node was taken or installed there
     * and its metadata file is kept, else null: what the Raft log no longer holds.
     */
    TermIndex snapshotTermIndexAt(long index) {
        FileListSnapshotInfo latest = latestSnapshot;
        if (latest != null && latest.getIndex() == index) {
            return latest.getTermIndex();
        }
        try (var listing = Files.list(stateMachineDir)) {
            for (Path p : (Iterable<Path>) listing::iterator) {
                TermIndex t = snapshotTermIndexOf(p);
                if (t != null && t.getIndex() == index) {
                    return t;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Cannot list {} for the snapshot at {}: {}", stateMachineDir, index, e.toString());
        }
        return null;
    }

    /**
     * A parsed snapshot metadata file; {@code marks} is null in a file of format 1, {@code bases} all zero
     * before format 3.
     */
    private record Snapshot(Path file, int version, TermIndex termIndex, AtomPointer root, Map<Long, Long> lengths,
            Map<Long, Long> bases, Map<Integer, AtomPointer> lastPublished, byte[] marks,
            Map<Long, Condemned> condemned, Map<Long, Integer> gone) {
    }

    private Snapshot latestSnapshotFile() throws IOException {
        Path latest = null;
        TermIndex latestIndex = null;
        try (var listing = Files.list(stateMachineDir)) {
            for (Path p : (Iterable<Path>) listing::iterator) {
                TermIndex t = snapshotTermIndexOf(p);
                if (t != null && (latestIndex == null || t.getIndex() > latestIndex.getIndex())) {
                    latest = p;
                    latestIndex = t;
                }
            }
        }
        if (latest == null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(latest));
        try {
            int magic = b.getInt();
            int version = b.getInt();
            if (magic != SNAPSHOT_MAGIC || version < 1 || version > SNAPSHOT_VERSION) {
                throw new CorruptionException("Snapshot file " + latest + " is not a cluster storage snapshot of"
                        + " format 1 to " + SNAPSHOT_VERSION + "; it was written by a newer version or is damaged");
            }
            TermIndex t = TermIndex.valueOf(b.getLong(), b.getLong());
            AtomPointer r = ClusterEntry.getPointer(b);
            int count = b.getInt();
            Map<Long, Long> lengths = new HashMap<>();
            Map<Long, Long> bases = new HashMap<>();
            for (int i = 0; i < count; i++) {
                long id = b.getLong();
                lengths.put(id, b.getLong());
                if (version >= 3) {
                    bases.put(id, b.getLong());
                }
            }
            Map<Integer, AtomPointer> published = new HashMap<>();
            byte[] uploads = null;
            if (version >= 2) {
                int nodes = b.getInt();
                for (int i = 0; i < nodes; i++) {
                    int node = b.getInt();
                    published.put(node, ClusterEntry.getPointer(b));
                }
                uploads = new byte[b.getInt()];
                b.get(uploads);
            }
            Map<Long, Condemned> condemnedThen = new TreeMap<>();
            Map<Long, Integer> goneThen = new TreeMap<>();
            if (version >= 4) {
                int condemnedCount = b.getInt();
                for (int i = 0; i < condemnedCount; i++) {
                    long id = b.getLong();
                    Condemned c = new Condemned(b.getInt(), 0);
                    c.riskIndex = b.getLong();
                    int required = b.getInt();
                    for (int j = 0; j < required; j++) {
                        c.required.add(b.getInt());
                    }
                    int acks = b.getInt();
                    for (int j = 0; j < acks; j++) {
                        c.acks.put(b.getInt(), b.get() != 0);
                    }
                    condemnedThen.put(id, c);
                }
                int goneCount = b.getInt();
                for (int i = 0; i < goneCount; i++) {
                    goneThen.put(b.getLong(), b.getInt());
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.position());
            if (b.getInt() != (int) crc.getValue()) {
                throw new CorruptionException("Snapshot file " + latest + " fails its checksum; the node directory"
                        + " is damaged: remove the node and add it back under a new id");
            }
            return new Snapshot(latest, version, t, r, lengths, bases, published, uploads, condemnedThen, goneThen);
        } catch (java.nio.BufferUnderflowException e) {
            throw new CorruptionException("Snapshot file " + latest + " is truncated; the node directory is damaged:"
                    + " remove the node and add it back under a new id", e);
        }
    }

    private static TermIndex snapshotTermIndexOf(Path p) {
        String name = p.getFileName().toString();
        if (!name.startsWith(SNAPSHOT_PREFIX) || name.endsWith(".tmp")) {
            return null;
        }
        String[] parts = name.substring(SNAPSHOT_PREFIX.length()).split("_");
        try {
            return parts.length == 2 ? TermIndex.valueOf(Long.parseLong(parts[0]), Long.parseLong(parts[1])) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Path segmentPath(long id) {
        return segmentDir.resolve(String.format("%016x.seg", id));
    }

    private static Long segmentIdOf(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(".seg") || name.length() != 20) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(name.substring(0, 16), 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Tells Ratis where snapshots are; the state machine keeps them itself. */
    private final class SnapshotStorage implements StateMachineStorage {

        @Override
        public void init(RaftStorage storage) {
            // the state machine directory is taken in initialize
        }

        @Override
        public SnapshotInfo getLatestSnapshot() {
            return latestSnapshot;
        }

        @Override
        public void format() {
            // a new directory holds no snapshot
        }

        @Override
        public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) {
            // takeSnapshot deletes the metadata of older snapshots; the segment files are shared by all
        }
    }
}
