package io.protobase.storage.cluster;

import io.protobase.CorruptionException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * A storage shared by several application nodes: every node reads and writes, a commit is
 * acknowledged only once a majority of the Raft group has it in its fsynced log, and every node
 * ends up with byte-identical segments and the same root. Consensus is Apache Ratis (Raft); this
 * class is one node: a Raft server, clients to the group (one for its log entries, one for reads, one for
 * membership changes), and the node's local copy of the state.
 *
 * <p><b>Pointers are global.</b> A node pushes atoms only into its own segments: the segment id
 * carries the node id in its top 23 bits, then the node's incarnation (counted up at every open of
 * its directory, so a restarted node never reuses an offset an earlier run may have handed out) and
 * a sequence number. Pushed atoms are buffered and readable at once on this node; the bytes travel
 * in the node's next log entry, and other nodes read them once they applied it.
 *
 * <p><b>One log entry per commit.</b> {@link #compareAndSetRoot} submits one entry: the bytes
 * pushed since the last entry, the expected root and the new root. The {@link SegmentReplica state
 * machine} applies entries in log order on every node: the bytes go to their (segment, offset),
 * then the root is compared and set. A rejected compare-and-set returns {@code false} (the engine
 * rebases as for any concurrent commit); its bytes stay, so a segment never has a hole. Bytes
 * beyond a few MiB ({@link Options#maxEntryBytes}) go ahead in entries of their own, so a bulk load
 * never needs one huge entry. The call returns once the entry is committed and applied on this node.
 *
 * <p><b>The commit lock</b> is node-local: it orders the commits of this node, and the
 * compare-and-set in the log decides between nodes. Its fencing terms strictly increase.
 *
 * <p><b>Reads.</b> {@link ReadConsistency#LINEARIZABLE} (the default) answers {@link #readRoot()}
 * after a Raft read index on this node, so a transaction started on any node sees every commit
 * acknowledged before it began; {@link ReadConsistency#LOCAL} answers with this node's applied root.
 *
 * <p><b>Failures.</b> Without a quorum, commits and linearizable reads fail with
 * {@link StorageUnavailableException} within {@link Options#requestTimeout}, naming the peers that
 * did not answer; the outcome of such a commit is unknown until the quorum is back (it may still be
 * committed). Pushed bytes whose entry had an unknown outcome are sent again with the next entry;
 * applying them twice changes nothing. Close transfers leadership first when this node leads, so
 * the others do not wait an election timeout; an entry the leader refuses while it hands over is sent
 * again and reaches the next leader. Requests follow the leader this node's Raft server knows: a request
 * stuck on a leader that stopped answering (paused, or gone without closing its connections) is sent to
 * the new one once this node learnt of it, not after the Raft client's attempt timeout.
 *
 * <p><b>Space.</b> The node lends the engine's compaction a {@link #reclaimer()}: the leader's compaction
 * rewrites live atoms as an ordinary commit and condemns the segments it found unreached, every node's
 * compaction acknowledges them once no version it retains or pins reaches them, and each node deletes
 * a segment's file once every node gave it up and no local reader needs it (see {@link SegmentReplica}
 * and docs/cluster.md, "Space reclamation"). In a cloud cluster storage the upload marks leave gone segments
 * out, and the leader deletes their chunks in the bucket after the grace ({@link CloudClusterFileStorage}).
 *
 * <p>Membership is given ({@link Options#peers}, {@link #reconfigure}, {@link #removeMember}) or
 * discovered and grown through Hazelcast ({@link HazelcastMembership}, {@link #learner}); see
 * docs/cluster.md for what this slice does and does not do yet.
 */
public final class ClusterFileStorage implements SharedStorage {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFileStorage.class);

    /** Name of the file in the node directory that records the node id and its incarnation. */
    static final String NODE_FILE = "protobase.node";
    private static final int INCARNATION_BITS = 20;
    private static final int SEQUENCE_BITS = 20;
    private static final int NODE_SHIFT = INCARNATION_BITS + SEQUENCE_BITS;
    private static final Message QUERY_READ_INDEX = Message.valueOf(UnsafeByteOperations.unsafeWrap(
            new byte[] {SegmentReplica.QUERY_READ_INDEX}));
    private static final Message QUERY_TERM = Message.valueOf(UnsafeByteOperations.unsafeWrap(
            new byte[] {SegmentReplica.QUERY_TERM}));
    /** How many log entries a node being added may be behind the leader when it becomes a voter. */
    static final int CATCH_UP_GAP = 16;

    /**
     * The configuration of one node.
     *
     * @param nodeId this node's id; must be one of {@code peers}
     * @param peers the members of the Raft group when it first forms (this node included); a node
     *              joining a running group lists the group's current members and itself
     * @param electionTimeout the shortest Raft election timeout (the longest is one and a half times as
     *                        long): how long followers wait for a silent leader before electing another
     * @param requestTimeout how long a commit, flush or linearizable read waits for a quorum before
     *                       it fails with {@link StorageUnavailableException}
     * @param retries how often the Raft client retries a request within {@code requestTimeout}
     *                (another leader, a leader not ready yet)
     * @param readConsistency what {@link #readRoot()} waits for
     * @param segmentSize the size at which this node starts its next segment
     * @param maxEntryBytes the most pushed bytes one log entry carries; more go ahead in entries of
     *                      their own; also the largest atom
     * @param snapshotInterval log entries between snapshots (after which Ratis purges its log)
     * @param groupName the name of the Raft group; nodes of one cluster share it
     * @param tls mutual TLS for the Raft traffic, or {@code null} for plain gRPC; every node of a group
     *            uses TLS or none does
     */
    public record Options(int nodeId, List<ClusterPeer> peers, Duration electionTimeout, Duration requestTimeout,
                          int retries, ReadConsistency readConsistency, long segmentSize, int maxEntryBytes,
                          long snapshotInterval, String groupName, @Nullable ClusterTls tls) {

        /**
         * Defaults for node {@code nodeId} of a group of {@code peers}: 1 s election timeout, 10 s request
         * timeout, 100 retries, linearizable reads, 64 MiB segments, 4 MiB entries, a snapshot every
         * 10,000 entries, group "protobase", plain gRPC (no TLS).
         */
        public static Options of(int nodeId, List<ClusterPeer> peers) {
            return new Options(nodeId, peers, Duration.ofSeconds(1), Duration.ofSeconds(10), 100,
                    ReadConsistency.LINEARIZABLE, 64L * 1024 * 1024, 4 * 1024 * 1024, 10_000, "protobase", null);
        }

        public Options {
            Objects.requireNonNull(peers, "peers");
            Objects.requireNonNull(electionTimeout, "electionTimeout");
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(readConsistency, "readConsistency");
            Objects.requireNonNull(groupName, "groupName");
            peers = List.copyOf(peers);
            if (peers.stream().map(ClusterPeer::nodeId).distinct().count() != peers.size()) {
                throw new IllegalArgumentException("node ids of the peers must be distinct, got " + peers);
            }
            if (peers.stream().noneMatch(p -> p.nodeId() == nodeId)) {
                throw new IllegalArgumentException("node " + nodeId + " is not among the peers " + peers
                        + "; list this node with its host and port");
            }
            if (electionTimeout.toMillis() < 50) {
                throw new IllegalArgumentException("election timeout must be at least 50 ms, got " + electionTimeout);
            }
            if (requestTimeout.compareTo(electionTimeout) <= 0) {
                throw new IllegalArgumentException("request timeout (" + requestTimeout
                        + ") must be longer than the election timeout (" + electionTimeout + ")");
            }
            if (retries < 0) {
                throw new IllegalArgumentException("retries must not be negative, got " + retries);
            }
            if (maxEntryBytes < 64 * 1024 || maxEntryBytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("max entry size must be between 64 KiB and 64 MiB, got "
                        + maxEntryBytes);
            }
            if (segmentSize < maxEntryBytes || segmentSize > (1L << 40)) {
                throw new IllegalArgumentException("segment size must be between the max entry size (" + maxEntryBytes
                        + ") and 1 TiB, got " + segmentSize);
            }
            if (snapshotInterval < 1) {
                throw new IllegalArgumentException("snapshot interval must be positive, got " + snapshotInterval);
            }
            if (groupName.isBlank()) {
                throw new IllegalArgumentException("group name must not be blank");
            }
        }

        /** This node's entry in {@link #peers}. */
        public ClusterPeer self() {
            return peers.stream().filter(p -> p.nodeId() == nodeId).findFirst().orElseThrow();
        }

        public Options withElectionTimeout(Duration timeout) {
            return new Options(nodeId, peers, timeout, requestTimeout, retries, readConsistency, segmentSize,
                    maxEntryBytes, snapshotInterval, groupName, tls);
        }

        public Options withRequestTimeout(Duration timeout) {
            return new Options(nodeId, peers, electionTimeout, timeout, retries, readConsistency, segmentSize,
                    maxEntryBytes, snapshotInterval, groupName, tls);
        }

        public Options withRetries(int count) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, count, readConsistency, segmentSize,
                    maxEntryBytes, snapshotInterval, groupName, tls);
        }

        public Options withReadConsistency(ReadConsistency consistency) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, consistency, segmentSize,
                    maxEntryBytes, snapshotInterval, groupName, tls);
        }

        public Options withSegmentSize(long size) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, readConsistency, size,
                    maxEntryBytes, snapshotInterval, groupName, tls);
        }

        public Options withMaxEntryBytes(int bytes) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, readConsistency, segmentSize,
                    bytes, snapshotInterval, groupName, tls);
        }

        public Options withSnapshotInterval(long entries) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, readConsistency, segmentSize,
                    maxEntryBytes, entries, groupName, tls);
        }

        public Options withGroupName(String name) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, readConsistency, segmentSize,
                    maxEntryBytes, snapshotInterval, name, tls);
        }

        /**
         * Mutual TLS for this node's Raft traffic (server and client side); {@code null} for plain gRPC.
         * Every node of the group must use TLS, with certificates the others trust, or none may.
         */
        public Options withTls(@Nullable ClusterTls config) {
            return new Options(nodeId, peers, electionTimeout, requestTimeout, retries, readConsistency, segmentSize,
                    maxEntryBytes, snapshotInterval, groupName, config);
        }
    }

    private final Options options;
    private final Path directory;
    private final ClusterPeer self;
    private final RaftPeerId selfId;
    private final RaftGroupId groupId;
    private final SegmentReplica replica;
    private final RaftServer server;
    /** Confirms the read indexes of linearizable reads (see {@link #linearizableIndex}). */
    private final LeadershipCheck leadership;
    /** The term questions of {@link #leadership}: a Raft client per voter asked, replaced after a failure. */
    private final Map<RaftPeerId, RaftClient> termClients = new ConcurrentHashMap<>();
    /** Who submits this node's log entries to its own Raft server while it leads (no network hop). */
    private final ClientId localWriter = ClientId.randomId();
    private final AtomicLong localWriteCalls = new AtomicLong();
    private final RaftProperties properties;
    /** What the properties cannot carry: the TLS key and trust managers of the server and the clients. */
    private final Parameters parameters;
    /** The members as this node last set or was given them: for new clients and error messages. */
    private volatile RaftGroup group;
    private volatile List<ClusterPeer> members;
    /**
     * Sends this node's log entries; renewed after a failed write (see {@link #renewClient}). Only
     * writes go through it. Ratis's ordered client numbers a client's writes and marks the first one a
     * server is sent, so that the server knows where the sequence starts; it re-marks them only when
     * its own write fails. A read or an admin request through the same client that found a new leader
     * would move the shared leader knowledge without that: the next write reached the new leader
     * unmarked, waited there for predecessors that never came until its attempt timed out, and the
     * retry then closed the channel, which gRPC holds open for three more seconds: after a leader
     * failure, commits stalled for seconds, often past the request timeout.
     */
    private volatile RaftClient client;
    /** Membership changes, and reads while this node knows no leader: kept apart from {@link #client}, see there. */
    private volatile RaftClient queries;
    /** The cloud cluster's upload entries (marks, restores): a writer of its own, see {@link #client}. */
    private volatile RaftClient control;
    private final Object controlLock = new Object();
    /**
     * Linearizable reads addressed to the leader this node's Raft server knows (see {@link #readIndexUntil}):
     * one attempt each, without the Raft client's retries, so that a read stuck on a leader that stopped
     * answering is given up as soon as this node learns of the next leader. Renewed after an attempt failed
     * (see {@link #renewReads}).
     */
    private volatile RaftClient reads;
    private final Object readsLock = new Object();
    /**
     * The voters (id and address) the clients were built for. A Raft client knows only the peers it
     * was given (and those a server names in a not-leader answer, which a follower serving a read never
     * gives): after members were replaced elsewhere it could be left with departed peers only, and this
     * node's commits and reads would fail for good while its server follows the leader. So the clients are
     * rebuilt for the voters of the server's current configuration whenever those change
     * ({@link #followMembers}).
     */
    private volatile Set<String> clientVoters = Set.of();
    /** The voters the write client was built for; guarded by the submit lock after construction. */
    private Set<String> writeClientVoters = Set.of();
    /** Query clients replaced by {@link #followMembers}, closed once no read can still be waiting on them. */
    private final List<RaftClient> retiredQueries = new ArrayList<>();
    private final LocalCommitLock commitLock = new LocalCommitLock();
    /** Lent to the engine's compaction. */
    private final Reclaimer reclaimer;
    /** The size at which this node seals its segment: the segment size, or less once compaction limits it. */
    private volatile long sealAt;
    /**
     * Per thread, the log index this node had applied when the thread last read the root: every root published
     * up to it was known to the engine on that thread, which is what an acknowledgement of condemned segments
     * vouches for ({@link Reclaimer#releaseDeferred}).
     */
    private final ThreadLocal<long[]> rootReadAt = ThreadLocal.withInitial(() -> new long[] {-1});
    /**
     * Reclamation entries decided by this node's compaction and not yet in the log: sent before this node's next
     * entry, so that a retraction is in the log before any commit that may reference what it retracts.
     */
    private final ConcurrentLinkedQueue<ClusterEntry> reclaimEntries = new ConcurrentLinkedQueue<>();

    /** Guards the segment being written and the pieces not yet handed to a log entry. */
    private final Object pushLock = new Object();
    private long writingSegment;
    private long writingEnd;
    private long pieceStart;
    private final ByteArrayOutputStream piece = new ByteArrayOutputStream();
    private final List<ClusterEntry.Piece> closedPieces = new ArrayList<>();
    private long pendingBytes;

    /** Atoms of this node not yet applied locally, by segment and offset: what {@link #read} finds first. */
    private final Map<Long, ConcurrentSkipListMap<Long, byte[]>> buffered = new ConcurrentHashMap<>();

    /** Orders this node's log entries, so its pieces enter the log in offset order. */
    private final ReentrantLock submitLock = new ReentrantLock();
    /** Pieces handed to a log entry whose outcome is not known yet; guarded by {@link #submitLock}. */
    private final List<ClusterEntry.Piece> unconfirmed = new ArrayList<>();

    /** Entries of this node committed and applied, and the time they took: {@link #status()}. */
    private final LongAdder replicatedEntries = new LongAdder();
    private final LongAdder replicationNanos = new LongAdder();

    private final Object closeLock = new Object();
    private volatile boolean closed;

    /**
     * Opens node {@code options.nodeId()} on {@code provider}'s directory and starts its Raft server.
     * It returns without waiting for the group to elect a leader: the first commit or linearizable read
     * waits for one (within the request timeout).
     *
     * <p>A node that never ran (no Raft state in its directory) asks the other peers first: when one of them
     * runs the group and this node is not among its voters, the node starts as a {@link #learner learner}
     * and waits until a member adds it with {@link #reconfigure}, instead of standing for election in a
     * group that does not know it (the leader would order it to shut down).
     *
     * @throws StorageException when the directory belongs to another node or the server cannot start
     */
    public ClusterFileStorage(FileBlockProvider provider, Options options) {
        this(provider, options, false, null, 1);
    }

    /**
     * Opens node {@code options.nodeId()} as a <em>learner</em> of a running group: its Raft server starts
     * outside any configuration, so it neither votes nor stands for election, and its client reaches the
     * group through the other {@code options.peers()}; it waits for the leader. The leader adds it with a configuration
     * change ({@link HazelcastMembership#grow} does): Raft first brings it up to date as a non-voting
     * member, and it becomes a voter only once it caught up. Until then {@link #status()} reports
     * {@link ClusterStatus.Role#LISTENER}.
     *
     * <p>Not a Ratis listener: Ratis 3.2 keeps a listener that a configuration change promotes in its
     * listener role until it restarts (it would count as a voter without ever standing for election),
     * while a server outside the configuration becomes a full follower when the change reaches it.
     *
     * @param provider the node's own directory, empty for a node that never ran
     * @param options this node and the group's current voters
     * @return the open node
     * @throws StorageException when the directory belongs to another node or the server cannot start
     */
    public static ClusterFileStorage learner(FileBlockProvider provider, Options options) {
        return new ClusterFileStorage(provider, options, true, null, 1);
    }

    /**
     * Opens a node of a cloud cluster storage: {@code bucket} holds the segment bytes a restore entry or a
     * snapshot installed from the bucket leaves there, and Ratis asks the state machine to install snapshots
     * itself (from the bucket) instead of sending the leader's segment files.
     *
     * @param minIncarnation the lowest incarnation this run may use: above every incarnation of this node id
     *                       whose segments the bucket holds, so a node with a new directory never writes a
     *                       segment id an earlier cluster used
     */
    ClusterFileStorage(FileBlockProvider provider, Options options, boolean learner,
            SegmentReplica.Bucket bucket, long minIncarnation) {
        this.options = Objects.requireNonNull(options, "options");
        this.directory = provider.directory();
        this.self = options.self();
        this.selfId = RaftPeerId.valueOf(self.raftId());
        this.leadership = new LeadershipCheck(selfId, this::askTerm, reaskNanos());
        this.groupId = RaftGroupId.valueOf(
                UUID.nameUUIDFromBytes(("protobase:" + options.groupName()).getBytes(StandardCharsets.UTF_8)));
        long incarnation = nextIncarnation(minIncarnation);
        requireFreePort(self, directory);
        this.writingSegment = ((long) self.nodeId() << NODE_SHIFT) | (incarnation << SEQUENCE_BITS) | 1;
        this.sealAt = options.segmentSize();
        this.reclaimer = new Reclaimer();
        this.replica = new SegmentReplica(id -> (id >>> NODE_SHIFT) == self.nodeId(), this::appliedOwn, bucket);
        RaftProperties properties = raftProperties(bucket != null);
        Parameters parameters = raftParameters(options);
        boolean outside = learner || joinsRunningGroup(properties, parameters);
        RaftGroup group = RaftGroup.valueOf(groupId, options.peers().stream()
                .filter(p -> !outside || !p.equals(self)).map(ClusterFileStorage::raftPeer).toList());
        RaftServer started = null;
        try {
            // a learner starts without a configuration (Ratis refuses one that lacks the server itself)
            started = RaftServer.newBuilder().setServerId(selfId)
                    .setGroup(outside ? RaftGroup.valueOf(groupId) : group).setProperties(properties)
                    .setParameters(parameters).setStateMachine(replica).setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            started.start();
            this.server = started;
            this.properties = properties;
            this.parameters = parameters;
            this.group = group;
            this.members = options.peers();
            adoptConfiguration();
            this.client = newClient(null);
            this.queries = newClient(null);
            this.reads = newReadClient();
            this.clientVoters = voterAddresses(group.getPeers());
            this.writeClientVoters = clientVoters;
        } catch (IOException | RuntimeException e) {
            if (started != null) {
                try {
                    started.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new StorageException("Cannot start the Raft server of cluster node " + self + " on " + directory
                    + ": " + e.getMessage() + "; check that the port is free and the directory belongs to this node",
                    e);
        }
        LOG.info("Opened {}", describe());
    }

    /**
     * Whether this node, which was not opened as a learner, must start as one all the same: its directory
     * holds no Raft state for the group (it never ran), and one of the other peers runs the group without it.
     * Started inside the configuration it was given, it would stand for election before the leader adds it,
     * and the leader would order it to shut down (see {@link RunningGroupProbe}).
     */
    private boolean joinsRunningGroup(RaftProperties properties, Parameters parameters) {
        if (Files.isDirectory(directory.resolve("raft").resolve(groupId.getUuid().toString()))) {
            return false;
        }
        List<ClusterPeer> others = options.peers().stream().filter(p -> !p.equals(self)).toList();
        Optional<List<RaftPeer>> running = RunningGroupProbe.runningWithout(selfId, groupId, others, properties,
                parameters);
        running.ifPresent(voters -> LOG.info("Cluster node {} is not a member of the running group '{}' of {}: it"
                + " starts as a learner and waits until a member adds it (reconfigure)", self, options.groupName(),
                voters.stream().map(ClusterFileStorage::clusterPeer).toList()));
        return running.isPresent();
    }

    /**
     * Fails unless this node's Raft port can be bound. Ratis's gRPC server ends the whole JVM
     * ({@code System.exit}) when it cannot bind its port, so a port taken by another process must be
     * found before the server starts; the check and the server's bind are not atomic, but a port that
     * is taken stays taken in practice.
     */
    private static void requireFreePort(ClusterPeer self, Path directory) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(self.host(), self.port()));
        } catch (IOException e) {
            throw new StorageException("Cannot start the Raft server of cluster node " + self + " on " + directory
                    + ": port " + self.port() + " on " + self.host() + " cannot be bound (" + e.getMessage()
                    + "); stop the process that uses it or give this node another port, and check that " + self.host()
                    + " is an address of this host", e);
        }
    }

    /** A Raft client of the group that sends its first request to {@code leader} (when known). */
    private RaftClient newClient(@Nullable RaftPeerId leader) {
        RaftClient.Builder builder = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
                .setRaftGroup(group).setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(options.retries(),
                        retryInterval()));
        if (leader != null && group.getPeer(leader) != null) {
            builder.setLeaderId(leader);
        }
        return builder.build();
    }

    /** A Raft client for single read attempts addressed to one server: no retries of its own. */
    private RaftClient newReadClient() {
        return RaftClient.newBuilder().setProperties(properties).setParameters(parameters).setRaftGroup(group)
                .setRetryPolicy(RetryPolicies.noRetry()).build();
    }

    /**
     * Replaces the read client after an attempt through it failed with an exception: Ratis's client closes
     * its connection to a server after a failed attempt it does not retry, and would fail every later read
     * to that server with {@code AlreadyClosedException}. Only the first of several readers that saw the
     * same client fail replaces it.
     */
    private void renewReads(RaftClient failed) {
        synchronized (readsLock) {
            if (reads != failed || closed) {
                return;
            }
            reads = newReadClient();
        }
        closeInBackground(failed);
    }

    /** The pause between two attempts of a request: the request timeout shared by the retries. */
    private TimeDuration retryInterval() {
        return TimeDuration.valueOf(Math.max(10, options.requestTimeout().toMillis() / Math.max(1, options.retries())),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Replaces the Raft client that sends this node's entries, with one that starts at {@code leader}: after a
     * write failed (Ratis's ordered client closes itself once a request ran out of retries, and would refuse
     * every later one), or to give up on an entry stuck on a leader that stopped answering. The old client is
     * closed in the background: closing a gRPC channel to a node that holds a stream open without answering
     * (a paused process) takes Ratis 3.2.1 up to 3 s, which the entry sent again must not wait for. Holds
     * the submit lock.
     */
    private void renewClient(@Nullable RaftPeerId leader) {
        RaftClient old = client;
        client = newClient(leader);
        closeInBackground(old);
    }

    /**
     * Closes a replaced Raft client on a thread of its own: closing a gRPC channel to a node that holds a
     * stream open without answering takes Ratis 3.2.1 up to 3 s.
     */
    private void closeInBackground(RaftClient old) {
        Thread closer = new Thread(() -> {
            try {
                old.close();
            } catch (IOException | RuntimeException e) {
                LOG.debug("Closing a replaced Raft client of {}: {}", self, e.toString());
            }
        }, "protobase-raft-client-close-" + self.nodeId());
        closer.setDaemon(true);
        closer.start();
    }

    /** The leader this node's Raft server follows (or is) now, or {@code null} while it knows none. */
    private @Nullable RaftPeerId knownLeader() {
        try {
            return server.getDivision(groupId).getInfo().getLeaderId();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * How often a request waiting for its reply looks whether this node learnt of another leader: a
     * quarter of the election timeout, so that following the new leader costs little beyond the election.
     */
    private long followNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(10, options.electionTimeout().toMillis() / 4));
    }

    /**
     * The pause before a refused read index is asked again (no leader yet, one not ready): short, so that a
     * read waiting out an election is answered soon after the new leader is, not up to {@link #followNanos}
     * later; one small request per pause while there is no leader.
     */
    private long reaskNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(10, options.electionTimeout().toMillis() / 20));
    }

    static int nodeOf(long segmentId) {
        return (int) (segmentId >>> NODE_SHIFT);
    }

    /**
     * Rebuilds the Raft clients when the voters of this node's configuration are no longer those they
     * were built for (a node replaced or added, here or through another node; the configuration reaches
     * every node through the log). The write client is replaced only under the submit lock, where no
     * write is in flight; a replaced query client is closed at the next change, or on close, since reads
     * of other threads may still wait on it.
     *
     * @param write whether the caller holds the submit lock (and the write client may be replaced)
     */
    private void followMembers(boolean write) {
        RaftConfiguration conf;
        try {
            conf = server.getDivision(groupId).getRaftConf();
        } catch (IOException e) {
            return; // no group on this server: the request fails with its own message
        }
        Set<String> voters = voterAddresses(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
        if (voters.isEmpty() || (voters.equals(clientVoters) && !write)) {
            return;
        }
        synchronized (retiredQueries) {
            if (!voters.equals(clientVoters)) {
                try {
                    adoptConfiguration();
                } catch (IOException e) {
                    return;
                }
                for (RaftClient old : retiredQueries) {
                    closeInBackground(old);
                }
                retiredQueries.clear();
                retiredQueries.add(queries);
                queries = newClient(knownLeader());
                renewReads(reads);
                clientVoters = voters;
                LOG.info("Members of {} changed: its Raft clients now reach {}", describe(), voters);
            }
        }
        if (write && !voters.equals(writeClientVoters)) {
            renewClient(knownLeader());
            writeClientVoters = voters;
        }
    }

    private static Set<String> voterAddresses(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId() + "@" + p.getAddress()).collect(Collectors.toSet());
    }


    /**
     * Takes the members from the configuration the Raft server started with: the one persisted in the
     * node's directory when it ran before (which may differ from {@link Options#peers} after members were
     * added, promoted or replaced), else the one it was given.
     */
    private void adoptConfiguration() throws IOException {
        RaftConfiguration conf = server.getDivision(groupId).getRaftConf();
        List<RaftPeer> voters = List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
        if (voters.isEmpty()) {
            return; // a learner, not added yet: its client asks the voters it was given
        }
        List<ClusterPeer> all = new ArrayList<>();
        conf.getAllPeers(RaftPeerRole.FOLLOWER).forEach(p -> all.add(clusterPeer(p)));
        conf.getAllPeers(RaftPeerRole.LISTENER).forEach(p -> all.add(clusterPeer(p)));
        members = all.stream().distinct().sorted(Comparator.comparingInt(ClusterPeer::nodeId)).toList();
        group = RaftGroup.valueOf(groupId, voters);
    }

    private static RaftPeer listener(ClusterPeer p) {
        return RaftPeer.newBuilder().setId(p.raftId()).setAddress(p.address()).setStartupRole(RaftPeerRole.LISTENER)
                .build();
    }

    static RaftPeer raftPeer(ClusterPeer p) {
        return RaftPeer.newBuilder().setId(p.raftId()).setAddress(p.address()).build();
    }

    private RaftProperties raftProperties(boolean fromBucket) {
        RaftProperties p = new RaftProperties();
        // Ratis's gRPC transport, whose log appender also serves a follower from the very start of the log
        RaftConfigKeys.Rpc.setType(p, new StartAwareGrpc());
        if (fromBucket) {
            // a node too far behind for the log starts from the bucket: the leader only tells it so, and its state
            // machine installs the snapshot itself (SegmentReplica.notifyInstallSnapshotFromLeader)
            RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
        }
        RaftServerConfigKeys.setStorageDir(p, List.of(directory.resolve("raft").toFile()));
        GrpcConfigKeys.Server.setHost(p, self.host());
        GrpcConfigKeys.Server.setPort(p, self.port());
        long election = options.electionTimeout().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
        // Ratis's follower sleeps one random timeout, then starts an election only if it heard nothing for that
        // long; a leader lost in mid-sleep is thus noticed after the rest of that sleep plus a whole new one. With
        // timeouts up to twice the shortest, a new leader took about two timeouts (median of SIGKILL runs); up to
        // one and a half keeps the spread that breaks split votes (pre-vote makes them rare with three nodes)
        // and brings it to about one and a half
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(election * 3 / 2, TimeUnit.MILLISECONDS));
        // reads on any node: the follower asks the leader for its commit index and answers once it applied it
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // the leader answers a read index from its lease (renewed by heartbeat acknowledgements from a
        // majority) instead of a heartbeat round per read
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
        RaftServerConfigKeys.Read.setTimeout(p, attemptTimeout());
        // an entry carries at most maxEntryBytes of pieces: appender batches, the log's write buffer, gRPC
        // messages and log segments must each hold one (Ratis checks that each limit exceeds the one before)
        long batch = options.maxEntryBytes() + 1024L * 1024;
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(batch));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(batch + 1024));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(batch + 2 * 1024 * 1024));
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf(options.maxEntryBytes()));
        // log segments are what Ratis purges after a snapshot: small enough to be closed and dropped
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(2 * batch + 1024 * 1024));
        RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf(Math.max(64L * 1024 * 1024, 4 * batch)));
        // a node being added becomes a voter only once it is this close to the leader's log (Raft's catch-up
        // of new members): a learner does not weaken the majority while it copies the data
        RaftServerConfigKeys.setStagingCatchupGap(p, CATCH_UP_GAP);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, options.snapshotInterval());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(options.snapshotInterval(), 1024));
        // one attempt is short, so that an attempt stuck on a server that lost its leader is retried
        // elsewhere well within the request timeout
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, attemptTimeout());
        // a write re-sent to the next leader after a lost reply keeps its client and call id; every node
        // records the outcome of each applied entry under them, and a new leader serves writes only once it
        // applied its predecessor's entries, so the re-sent write gets the recorded outcome instead of
        // entering the log twice (a second compare-and-set would fail, and the engine would commit again).
        // The record must outlive every retry of a request.
        RaftServerConfigKeys.RetryCache.setExpiryTime(p, TimeDuration.valueOf(
                Math.max(60_000, 2 * options.requestTimeout().toMillis()), TimeUnit.MILLISECONDS));
        return p;
    }

    /**
     * With {@link Options#tls}, one mutual-TLS configuration for every gRPC channel of the node: its
     * server (which then requires a trusted client certificate), its connections to the other servers,
     * and its Raft clients. Ratis uses the general TLS configuration wherever no channel-specific one is
     * set, so none of the node's traffic can go out in plain text. Always: the gRPC server hands the
     * Raft server one append-entries message at a time ({@link OneAppendAtATime}: a Ratis race).
     */
    private static Parameters raftParameters(Options options) {
        Parameters parameters = new Parameters();
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, new OneAppendAtATime());
        if (options.tls() != null) {
            GrpcConfigKeys.TLS.setConf(parameters, options.tls().grpcConfig());
        }
        return parameters;
    }

    /** How long one attempt of a request may take: a few election timeouts, within the request timeout. */
    private TimeDuration attemptTimeout() {
        long millis = Math.min(options.requestTimeout().toMillis(),
                Math.max(1000, 3 * options.electionTimeout().toMillis()));
        return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
    }

    private static TimeDuration toRatis(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Counts up the incarnation recorded in the node directory (written durably before any segment
     * of the new incarnation exists) and returns it.
     */
    private long nextIncarnation(long minIncarnation) {
        Path file = directory.resolve(NODE_FILE);
        try {
            Files.createDirectories(directory);
            long incarnation = minIncarnation;
            if (Files.exists(file)) {
                Map<String, String> values = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                        .filter(l -> l.contains("="))
                        .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
                                l -> l.substring(l.indexOf('=') + 1)));
                int recorded = Integer.parseInt(values.getOrDefault("node", "-1"));
                if (recorded != self.nodeId()) {
                    throw new StorageException("The directory " + directory + " belongs to cluster node " + recorded
                            + ", not to node " + self.nodeId() + "; give each node its own directory, and start a"
                            + " node whose directory was lost under a new id (docs/cluster.md)");
                }
                incarnation = Math.max(minIncarnation, Long.parseLong(values.getOrDefault("incarnation", "0")) + 1);
            }
            if (incarnation >= (1L << INCARNATION_BITS)) {
                throw new StorageException("Cluster node " + self.nodeId() + " in " + directory + " was opened "
                        + incarnation + " times, more than its segment ids can count; add it back under a new id");
            }
            Path tmp = directory.resolve(NODE_FILE + ".tmp");
            Files.writeString(tmp, "node=" + self.nodeId() + "\nincarnation=" + incarnation + "\n",
                    StandardCharsets.UTF_8);
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return incarnation;
        } catch (IOException | NumberFormatException e) {
            throw new StorageException("Cannot record the start of cluster node " + self.nodeId() + " in " + file
                    + ": " + e.getMessage() + "; check the directory and its permissions", e);
        }
    }

    /** The segment id's incarnation of its node. */
    static long incarnationOf(long segmentId) {
        return (segmentId >>> SEQUENCE_BITS) & ((1L << INCARNATION_BITS) - 1);
    }

    /** This node's replicated state. */
    SegmentReplica replica() {
        return replica;
    }

    /**
     * Asks the cluster (the leader, after a read index) for the identity of its cloud cluster history: what a
     * node that starts from the bucket checks the bucket's root object against.
     *
     * @throws StorageUnavailableException when no leader answers within the request timeout
     */
    UploadMarks.Identity clusterIdentity() {
        RaftClient c = queries;
        if (c == null || closed) {
            throw new StorageUnavailableException("Cannot ask the cluster for its history: " + describe()
                    + " is not open");
        }
        try {
            RaftClientReply reply = c.io().sendReadOnly(Message.valueOf(UnsafeByteOperations.unsafeWrap(
                    new byte[] {SegmentReplica.QUERY_IDENTITY})));
            if (!reply.isSuccess()) {
                throw new StorageUnavailableException("Cannot ask the cluster for its history through " + describe()
                        + ": " + reply.getException(), reply.getException());
            }
            return UploadMarks.Identity.decode(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (IOException e) {
            // asked again at the leader's next notification: no probing of the peers for a message
            throw new StorageUnavailableException("Cannot ask the cluster for its history through " + describe()
                    + ": " + e, e);
        }
    }

    /** The Raft term this node knows now. */
    long currentTerm() {
        try {
            return server.getDivision(groupId).getInfo().getCurrentTerm();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Submits one entry of the cloud cluster's upload (a restore, a mark, an upload notice) through a
     * client of its own, and returns its outcome once it is committed and applied on this node.
     *
     * @throws StorageUnavailableException when no quorum commits it before {@code deadline}
     */
    byte sendControl(ClusterEntry entry, long deadline, String what) {
        ensureOpen(what);
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry.encode()));
        RaftClient c;
        synchronized (controlLock) {
            if (control == null) {
                control = newClient(knownLeader());
            }
            c = control;
        }
        RaftClientReply reply;
        try {
            reply = awaitControl(c.async().send(message), deadline, what);
        } catch (StorageUnavailableException e) {
            synchronized (controlLock) {
                if (control == c) {
                    control = null;
                }
            }
            try {
                c.close();
            } catch (IOException closing) {
                LOG.debug("Closing the failed upload client of {}: {}", self, closing.toString());
            }
            throw e;
        }
        if (!replica.awaitApplied(reply.getLogIndex(), deadline)) {
            throw unavailable(what, "log entry " + reply.getLogIndex() + " is committed, but this node did not apply"
                    + " it in time", null);
        }
        return reply.getMessage().getContent().byteAt(0);
    }

    /**
     * Waits until {@code deadline} for the reply to an upload entry. Unlike a commit ({@link #awaitEntry}) it
     * is never sent again by this node: an entry the old leader may still have appended must not be there
     * twice, so any failure is reported and the uploader starts over from what the log then holds.
     */
    private RaftClientReply awaitControl(CompletableFuture<RaftClientReply> future, long deadline, String what) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    RaftClientReply reply = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (!reply.isSuccess()) {
                        throw unavailable(what, String.valueOf(reply.getException()), reply.getException());
                    }
                    return reply;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    throw unavailable(what, "no quorum answered within " + options.requestTimeout(), null);
                } catch (ExecutionException e) {
                    if (closed) {
                        throw new StorageClosedException("Cannot " + what + ": " + describe()
                                + " was closed meanwhile");
                    }
                    throw unavailable(what, String.valueOf(e.getCause()), e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ atoms

    @Override
    public AtomPointer push(byte[] atom) {
        ensureOpen("push an atom");
        byte[] copy = atom.clone();
        byte[] record = SegmentReplica.record(copy);
        if (record.length > options.maxEntryBytes()) {
            throw new StorageException("Cannot push an atom of " + copy.length + " bytes to " + describe()
                    + ": one log entry carries at most " + options.maxEntryBytes() + " bytes; raise maxEntryBytes");
        }
        AtomPointer pointer;
        boolean ship;
        synchronized (pushLock) {
            if (writingEnd > 0 && writingEnd + record.length > sealAt) {
                closePiece();
                writingSegment++;
                writingEnd = 0;
            }
            if (piece.size() + record.length > options.maxEntryBytes()) {
                closePiece();
            }
            if (piece.size() == 0) {
                pieceStart = writingEnd;
            }
            pointer = new AtomPointer(writingSegment, writingEnd);
            buffered.computeIfAbsent(writingSegment, s -> new ConcurrentSkipListMap<>()).put(writingEnd, copy);
            piece.writeBytes(record);
            writingEnd += record.length;
            pendingBytes += record.length;
            ship = pendingBytes >= options.maxEntryBytes();
        }
        if (ship) {
            submit(false, null, null, "ship pushed atoms ahead of a commit");
        }
        return pointer;
    }

    /** Moves the piece being collected to the closed ones; holds the push lock. */
    private void closePiece() {
        if (piece.size() > 0) {
            closedPieces.add(new ClusterEntry.Piece(writingSegment, pieceStart, piece.toByteArray()));
            piece.reset();
        }
    }

    /** Drops the buffered copies of this node's atoms once the local state machine applied them. */
    private void appliedOwn(long segmentId, long from, long to) {
        ConcurrentSkipListMap<Long, byte[]> atoms = buffered.get(segmentId);
        if (atoms != null) {
            atoms.subMap(from, to).clear();
        }
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureOpen("read an atom");
        ConcurrentSkipListMap<Long, byte[]> atoms = buffered.get(pointer.segmentId());
        byte[] mine = atoms == null ? null : atoms.get(pointer.offset());
        if (mine != null) {
            return mine.clone();
        }
        byte[] applied = replica.read(pointer);
        if (applied == null) {
            throw new CorruptionException("No atom at " + pointer + " (segment " + pointer.segmentId() + ", offset "
                    + pointer.offset() + ") on " + describe() + ": node " + (pointer.segmentId() >>> NODE_SHIFT)
                    + " wrote no such atom that this node has applied; the pointer is not from this cluster, comes from"
                    + " a commit this node has not applied yet (read the root first), or the data is corrupt");
        }
        return applied;
    }

    // ------------------------------------------------------------------ root

    @Override
    public AtomPointer readRoot() {
        ensureOpen("read the root");
        if (options.readConsistency() == ReadConsistency.LOCAL) {
            rootReadAt.get()[0] = replica.appliedIndex();
            return replica.root();
        }
        // once this node has applied as far as a confirmed leader's read index, its root is at least as new as
        // every commit acknowledged before this call
        followMembers(false);
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        String what = "read the root (linearizable)";
        long index = linearizableIndex(deadline, what);
        if (!replica.awaitApplied(index, deadline)) {
            throw unavailable(what, "this node did not apply log entry " + index + " in time", null);
        }
        rootReadAt.get()[0] = replica.appliedIndex();
        return replica.root();
    }

    /**
     * The root this node has applied, without a read index: a commit built on it that another node's commit
     * overtook loses its compare-and-set in the log, and by the time this node has the outcome it has applied
     * the newer root as well. While another node's commit that lost is owed a turn (it lost recently, and
     * before any loss of this node), this node first waits until that node's retry is applied, at most a
     * fortieth of an election timeout: otherwise the leader's node, which applies every entry first, wins
     * nearly every race and the other nodes' commits can fail after every retry.
     */
    @Override
    public AtomPointer readRootToCommitOn() {
        ensureOpen("read the root");
        long election = options.electionTimeout().toNanos();
        replica.yieldToLosers(self.nodeId(), election / 4, election / 40);
        rootReadAt.get()[0] = replica.appliedIndex();
        return replica.root();
    }

    /**
     * The index a linearizable read applies before it reads its root (Raft's read index, Ongaro's dissertation
     * §6.4, in two halves): a leader names the last entry of this storage it applied once it had applied its
     * commit index ({@link SegmentReplica#leaderReadIndex()}, asked by {@link #readIndexUntil}), and a
     * majority of the voters then reports a term no later than that leader's ({@link LeadershipCheck}), so no
     * later leader had committed anything before. Ratis's own read index is not used: it answers without
     * asking anyone when its commit index has not moved since the last confirmation, which lets a leader
     * deposed while paused or cut off answer from its stale state (see {@link LeadershipCheck}). The majority
     * is counted in the leader's configuration (both, during a change), as the leader would count heartbeat
     * answers; a read index a later term overtook is asked again.
     */
    private long linearizableIndex(long deadline, String what) {
        while (true) {
            LeaderAnswer answer = readIndexUntil(deadline, what);
            long term = answer.index().term();
            Map<RaftPeerId, Long> known = new HashMap<>();
            known.put(answer.leader(), term);
            try {
                known.put(selfId, server.getDivision(groupId).getInfo().getCurrentTerm());
            } catch (IOException e) {
                throw unavailable(what, "this node's Raft server has no group " + groupId, e);
            }
            try {
                if (leadership.confirm(term, known, answer.index().voters(), deadline)
                        == LeadershipCheck.Outcome.CONFIRMED) {
                    return answer.index().index();
                }
                LOG.debug("Read index of {} in term {} overtaken by a later term, asking again", answer.leader(), term);
            } catch (TimeoutException e) {
                throw unavailable(what, "no majority of the voters confirmed within " + options.requestTimeout()
                        + " that " + answer.leader() + " still led in term " + term + " (" + e.getMessage() + ")", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable(what, "interrupted while the voters confirmed the leader", e);
            }
            LockSupport.parkNanos(Math.max(0, Math.min(deadline - System.nanoTime(), reaskNanos())));
        }
    }

    /** A read index and the server that named it while it led. */
    private record LeaderAnswer(RaftPeerId leader, ReadIndex index) {
    }

    /** Asks {@code voter} for its current term, for {@link #leadership}. */
    private CompletableFuture<Long> askTerm(RaftPeerId voter) {
        if (closed) {
            return CompletableFuture.failedFuture(new StorageClosedException(describe() + " is closed"));
        }
        RaftClient c = termClients.computeIfAbsent(voter, v -> newReadClient());
        return staleRead(c, voter, QUERY_TERM).handle((reply, failure) -> {
            Throwable refused = failure != null ? failure : reply.isSuccess() ? null : reply.getException();
            if (refused != null) {
                // Ratis reconnects only for the requests it sends itself: the next question starts on a new client
                if (termClients.remove(voter, c)) {
                    closeInBackground(c);
                }
                throw new CompletionException(refused);
            }
            return reply.getMessage().getContent().asReadOnlyByteBuffer().getLong();
        });
    }

    /**
     * Sends {@code message} to the state machine of {@code server} as a stale read (Ratis passes it on without
     * asking anyone), on the unordered stream of {@code c}, which times each request out after the attempt
     * timeout. Not Ratis's asynchronous stale read: it goes through the client's ordered stream, where a request
     * that failed holds up the ones after it. A failed request makes the caller replace the client (Ratis's
     * client reconnects only for the requests it sends itself). The minimum index is -1 so that a server that
     * has not learnt of any commit yet (a new node) answers too.
     */
    private CompletableFuture<RaftClientReply> staleRead(RaftClient c, RaftPeerId server, Message message) {
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(c.getId()).setServerId(server)
                .setGroupId(groupId).setCallId(CallId.getAndIncrement()).setMessage(message)
                .setType(RaftClientRequest.staleReadRequestType(-1)).build();
        try {
            return c.getClientRpc().sendRequestAsyncUnordered(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Asks the leader for a read index ({@link SegmentReplica#leaderReadIndex()}) until {@code deadline}: a
     * read changes nothing, so asking again is always safe. Each attempt goes to the leader this node's Raft
     * server follows, once (a stale read, which Ratis hands to the state machine without asking anyone); while
     * it waits, a new leader this node learns of (the old one crashed, paused or handed over) makes it ask the
     * new one at once, rather than wait out an attempt on a silent node and the Raft client's reconnection. A
     * refused attempt (no leader yet, a leader not ready, a server that does not lead, a connection refused) is
     * repeated after a twentieth of an election timeout. On the leader's own node the replica answers in
     * process. While this node knows no leader (a learner not added yet) the question goes through the group
     * client, which looks for the leader itself.
     */
    private LeaderAnswer readIndexUntil(long deadline, String what) {
        Throwable last = null;
        boolean interrupted = false;
        try {
            while (true) {
                ensureOpen(what);
                RaftPeerId leader = knownLeader();
                RaftClient reader = reads;
                boolean here = selfId.equals(leader);
                CompletableFuture<ReadIndex> local = here ? replica.leaderReadIndex() : null;
                CompletableFuture<RaftClientReply> remote = here ? null : leader == null
                        ? queries.async().sendReadOnlyUnordered(QUERY_READ_INDEX)
                        : staleRead(reader, leader, QUERY_READ_INDEX);
                if (remote != null && leader != null) {
                    // a failure that comes after this read gave up still replaces the client for the next one
                    remote.whenComplete((reply, failure) -> {
                        if (failure != null) {
                            renewReads(reader);
                        }
                    });
                }
                boolean moved = false;
                while (true) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw unavailable(what, "no leader named a read index within " + options.requestTimeout()
                                + " (last asked: " + (here ? "this node" : leader == null ? "the group" : leader)
                                + ", no answer yet" + (last == null ? "" : "; answer before: " + last) + ")", last);
                    }
                    long wait = Math.min(left, followNanos());
                    try {
                        ReadIndex answer;
                        RaftPeerId by;
                        if (here) {
                            answer = local.get(wait, TimeUnit.NANOSECONDS);
                            by = selfId;
                        } else {
                            RaftClientReply reply = remote.get(wait, TimeUnit.NANOSECONDS);
                            if (!reply.isSuccess()) {
                                last = reply.getException();
                                break;
                            }
                            answer = ReadIndex.decode(reply.getMessage().getContent().asReadOnlyByteBuffer());
                            by = reply.getServerId();
                        }
                        if (answer.leader()) {
                            return new LeaderAnswer(by, answer);
                        }
                        last = new IllegalStateException(by + " does not lead (its term is " + answer.term() + ")");
                        break;
                    } catch (IllegalArgumentException e) {
                        last = e;
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (TimeoutException e) {
                        RaftPeerId now = knownLeader();
                        if (now != null && !now.equals(leader)) {
                            moved = true;
                            break;
                        }
                    } catch (ExecutionException e) {
                        last = e.getCause();
                        break;
                    }
                }
                if (!moved) {
                    LOG.debug("Read index on {} refused, asking again: {}", self, last);
                    LockSupport.parkNanos(Math.max(0, Math.min(deadline - System.nanoTime(), reaskNanos())));
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        ensureOpen("acquire the commit lock");
        return commitLock.acquire(timeout, this::describe);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        ensureOpen("publish a root");
        commitLock.check(lock, this::describe);
        Objects.requireNonNull(newRoot, "newRoot");
        return submit(true, expected, newRoot, "publish root " + newRoot) == ClusterEntry.APPLIED;
    }

    @Override
    public void flush() {
        ensureOpen("flush");
        submit(false, null, null, "flush pushed atoms");
    }

    /**
     * Hands the pushed pieces (and the commit, if any) to the log: pieces beyond
     * {@link Options#maxEntryBytes} in entries of their own first, then the last entry; each waits
     * until committed and applied on this node. Returns the last entry's outcome.
     */
    private byte submit(boolean commit, AtomPointer expected, AtomPointer newRoot, String what) {
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        lockUntil(deadline, what);
        try {
            followMembers(true);
            sendReclaimEntries(deadline, what);
            synchronized (pushLock) {
                closePiece();
                unconfirmed.addAll(closedPieces);
                closedPieces.clear();
                pendingBytes = 0;
            }
            while (!unconfirmed.isEmpty() && (!commit || bytes(unconfirmed) > options.maxEntryBytes())) {
                int n = 0;
                long size = 0;
                while (n < unconfirmed.size() && (n == 0
                        || size + unconfirmed.get(n).bytes().length <= options.maxEntryBytes())) {
                    size += unconfirmed.get(n).bytes().length;
                    n++;
                }
                List<ClusterEntry.Piece> batch = List.copyOf(unconfirmed.subList(0, n));
                checkPlaced(send(ClusterEntry.pieces(batch), deadline, what), batch);
                unconfirmed.subList(0, n).clear();
            }
            if (!commit) {
                return ClusterEntry.APPLIED;
            }
            List<ClusterEntry.Piece> last = List.copyOf(unconfirmed);
            byte outcome = checkPlaced(send(ClusterEntry.commit(last, expected, newRoot), deadline, what), last);
            unconfirmed.clear();
            return outcome;
        } finally {
            submitLock.unlock();
        }
    }

    /**
     * Sends the reclamation entries this node's compaction decided, in order, before anything else of this node;
     * holds the submit lock. An entry whose outcome is unknown stays queued and goes again (applying one twice
     * changes nothing).
     */
    private void sendReclaimEntries(long deadline, String what) {
        for (ClusterEntry e; (e = reclaimEntries.peek()) != null; ) {
            send(e, deadline, what);
            reclaimEntries.poll();
        }
    }

    private void lockUntil(long deadline, String what) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (submitLock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                    throw unavailable(what, "another request of this node is still waiting for the quorum", null);
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

    private static long bytes(List<ClusterEntry.Piece> pieces) {
        long n = 0;
        for (ClusterEntry.Piece p : pieces) {
            n += p.bytes().length;
        }
        return n;
    }

    private byte checkPlaced(byte outcome, List<ClusterEntry.Piece> pieces) {
        if (outcome == ClusterEntry.GAP) {
            throw new StorageException("The cluster refused atoms of " + describe() + " at " + pieces.get(0).segmentId()
                    + ":" + pieces.get(0).offset() + ": they would leave a gap in the segment, so bytes this node"
                    + " pushed earlier never reached the log. Nothing of this request was applied; reopen the node to"
                    + " continue in a new segment");
        }
        return outcome;
    }

    /**
     * Submits one entry; returns its outcome once it is committed and applied on this node. While this node leads,
     * the entry goes to its own Raft server in-process first ({@link #sendHere}).
     *
     * <p>The Raft client retries the entry under the same call id until a leader takes it. In two cases the
     * entry is sent again as a new request instead:
     * <ul>
     * <li>A leader handing its leadership over (it is closing) refuses new entries with Ratis's
     * {@code LeaderSteppingDownException}, which the Raft client does not retry. It refuses before the entry
     * is appended to its log (in Ratis 3.2.1 the check runs under the same lock as the append, and returns
     * before it), so nothing of the entry is in the log: it is sent again after a short pause, and the old
     * leader, once it follows, sends it on to the new one.
     * <li>While the entry waits for its reply, the Raft client still waits on another node than the leader
     * this node's Raft server follows, for longer than an election timeout: the node it waits on may be
     * paused, or gone without closing its connections, and the Raft client would wait out its attempt and
     * then up to 3 s more while it closes its connection there. The entry goes again through a new client,
     * straight to the leader this node knows. The first copy may reach the log too (a paused leader may have
     * replicated it before it stopped); applying both is harmless: bytes already in place are skipped, and
     * the state machine recognises the second copy of a commit that took effect and answers it as applied
     * (see {@link SegmentReplica}).
     * </ul>
     */
    private byte send(ClusterEntry entry, long deadline, String what) {
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry.encode()));
        long started = System.nanoTime();
        RaftClientReply reply = selfId.equals(knownLeader()) ? sendHere(message, deadline, what) : null;
        while (reply == null) {
            RaftClient sender = client;
            try {
                reply = awaitEntry(sender, sender.async().send(message), deadline, what);
            } catch (StorageUnavailableException e) {
                if (!closed) {
                    renewClient(knownLeader());
                }
                throw e;
            }
            if (reply == null) {
                ensureOpen(what);
            }
        }
        if (!replica.awaitApplied(reply.getLogIndex(), deadline)) {
            throw unavailable(what, "log entry " + reply.getLogIndex() + " is committed, but this node did not apply"
                    + " it in time", null);
        }
        replicationNanos.add(System.nanoTime() - started);
        replicatedEntries.increment();
        return reply.getMessage().getContent().byteAt(0);
    }

    /**
     * Submits an entry to this node's own Raft server, which leads as far as this node knows: the request the
     * Raft client would send it over gRPC, without the network hop. Returns the reply once the entry is committed
     * and applied here, or {@code null} when the server refused or dropped it without an outcome (it no longer
     * leads, or hands leadership over): the entry then goes through the Raft client to the leader, and a copy
     * that reached the log all the same is harmless (see {@link #send}).
     */
    private @Nullable RaftClientReply sendHere(Message message, long deadline, String what) {
        CompletableFuture<RaftClientReply> future;
        try {
            future = server.submitClientRequestAsync(RaftClientRequest.newBuilder().setClientId(localWriter)
                    .setServerId(selfId).setGroupId(groupId).setCallId(localWriteCalls.incrementAndGet())
                    .setMessage(message).setType(RaftClientRequest.writeRequestType()).build());
        } catch (IOException e) {
            return null;
        }
        boolean interrupted = false;
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw unavailable(what, "no quorum answered within " + options.requestTimeout(), null);
                }
                try {
                    RaftClientReply reply = future.get(Math.min(left, followNanos()), TimeUnit.NANOSECONDS);
                    return reply.isSuccess() ? reply : null;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return null;
                } catch (TimeoutException e) {
                    if (!selfId.equals(knownLeader())) {
                        return null; // another node leads now: ask it, as the Raft client would
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits until {@code deadline} for the reply to one submission of an entry through {@code sender};
     * returns {@code null} when the entry is to be sent again (see {@link #send}). An interrupt does not
     * abort the wait (the caller may be publishing other threads' commits); the interrupt status is
     * restored on return.
     */
    private @Nullable RaftClientReply awaitEntry(RaftClient sender, CompletableFuture<RaftClientReply> future,
            long deadline, String what) {
        boolean interrupted = false;
        long movedAt = 0;
        boolean moved = false;
        try {
            while (true) {
                Throwable refusal;
                try {
                    RaftClientReply reply = future.get(Math.max(0, Math.min(deadline - System.nanoTime(),
                            followNanos())), TimeUnit.NANOSECONDS);
                    if (reply.isSuccess()) {
                        return reply;
                    }
                    refusal = reply.getException();
                } catch (InterruptedException e) {
                    interrupted = true;
                    continue;
                } catch (TimeoutException e) {
                    if (deadline - System.nanoTime() <= 0) {
                        throw unavailable(what, "no quorum answered within " + options.requestTimeout(), null);
                    }
                    RaftPeerId now = knownLeader();
                    RaftPeerId target = sender.getLeaderId();
                    if (now == null || now.equals(target)) {
                        moved = false;
                    } else if (!moved) {
                        moved = true;
                        movedAt = System.nanoTime();
                    } else if (System.nanoTime() - movedAt >= options.electionTimeout().toNanos()) {
                        LOG.info("{}: no reply from {} while {} leads; sending the entry to {} again", self, target,
                                now, now);
                        renewClient(now);
                        return null;
                    }
                    continue;
                } catch (ExecutionException e) {
                    if (closed) {
                        throw new StorageClosedException("Cannot " + what + ": " + describe()
                                + " was closed meanwhile");
                    }
                    refusal = e.getCause();
                }
                if (!steppingDown(refusal)) {
                    throw unavailable(what, String.valueOf(refusal), refusal);
                }
                if (deadline - System.nanoTime() <= 0) {
                    throw unavailable(what, "the leader was still handing leadership over after "
                            + options.requestTimeout(), refusal);
                }
                LOG.debug("{}: the leader hands leadership over and refused the entry; sending it again", self);
                LockSupport.parkNanos(Math.min(deadline - System.nanoTime(),
                        Math.min(followNanos(), TimeUnit.MILLISECONDS.toNanos(20))));
                return null;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether a request was refused by a leader that hands its leadership over (before appending anything). */
    private static boolean steppingDown(@Nullable Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof LeaderSteppingDownException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private StorageUnavailableException unavailable(String what, String why, Throwable cause) {
        List<ClusterPeer> silent = new ArrayList<>();
        for (ClusterPeer p : members) {
            if (p.nodeId() != self.nodeId() && !answers(p)) {
                silent.add(p);
            }
        }
        List<String> tlsProblems = members.stream().filter(p -> p.nodeId() != self.nodeId() && !silent.contains(p))
                .map(p -> PeerTlsProbe.problem(p, options.tls())).flatMap(Optional::stream).toList();
        String message = "Cannot " + what + " on " + describe() + ": " + why + ". "
                + (silent.isEmpty() ? "All peers accept connections, but no quorum completed the request"
                        : "Peers that did not answer: " + silent)
                + (tlsProblems.isEmpty() ? "" : ". TLS keeps peers from talking with this node: "
                        + String.join("; ", tlsProblems))
                + ". Without a majority of the Raft group nothing can be committed; the outcome of this request is"
                + " unknown until the quorum is back (a commit may still take effect). Bring the missing nodes back,"
                + " then retry";
        return cause == null ? new StorageUnavailableException(message)
                : new StorageUnavailableException(message, cause);
    }

    /** Whether {@code peer} accepts a TCP connection on its Raft port within a short while. */
    static boolean answers(ClusterPeer peer) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(peer.host(), peer.port()), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ space

    /**
     * The segments of every node, for the engine's compaction on this node (see {@link Reclaimer}). In a cloud
     * cluster a gone segment's file stays until a root object in the bucket no longer names it.
     */
    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return Optional.ofNullable(reclaimer);
    }

    /** The segments this node deleted because every node gave them up (for tests and statistics). */
    Set<Long> deletedSegments() {
        return replica.deletedSegments();
    }

    /** The segments condemned and not yet given up by every node. */
    Set<Long> condemnedSegments() {
        return replica.condemnedSegments();
    }

    /**
     * The cluster's side of compaction on this node. Segments are per node (ids carry the node), so only segments
     * of one node are ordered ({@link #sameWriter}). What the engine's release of a segment means depends on
     * where the segment is in its reclamation (docs/cluster.md, "Space reclamation"):
     * <ul>
     * <li>not condemned: on the leader, a {@link ClusterEntry#CONDEMN} naming the members as the nodes that must
     *     acknowledge; elsewhere such segments are listed as still written, so only the leader's compaction
     *     rewrites and condemns;</li>
     * <li>condemned, not acknowledged by this node (or only by a stale acknowledgement): an
     *     {@link ClusterEntry#ACK} with the log index of the root the compaction read; a segment with a stale
     *     acknowledgement that the compaction did not release is {@link ClusterEntry#RETRACT retracted};</li>
     * <li>gone: the file is deleted here (no local reader needs it, the compaction proved it; in a cloud cluster,
     *     once no upload mark from the uploaded one on names it).</li>
     * </ul>
     * A condemned or gone segment is {@link #retiring}: the engine refuses commits referencing it, while readers
     * that reached it before still read it until its file is deleted.
     */
    private final class Reclaimer implements SegmentReclaimer {

        /** Segments this node queued an acknowledgement of that may not be applied yet. */
        private final Set<Long> acking = ConcurrentHashMap.newKeySet();
        /** Segments this node queued a retraction of and has not acknowledged again since. */
        private final Set<Long> retracting = ConcurrentHashMap.newKeySet();

        @Override
        public List<Segment> segments() {
            boolean leader = leading();
            long writing = writingSegment();
            List<Integer> members = leader ? memberIds() : List.of();
            List<SegmentReplica.ReclaimView> view = replica.reclaimView(self.nodeId());
            Map<Integer, Long> newest = new HashMap<>();
            for (SegmentReplica.ReclaimView v : view) {
                newest.merge(nodeOf(v.id()), v.id(), Math::max);
            }
            List<Segment> list = new ArrayList<>(view.size());
            for (SegmentReplica.ReclaimView v : view) {
                list.add(switch (v.state()) {
                    // a node's segment is sealed once it writes a later one; this node's own writing one never is
                    case LIVE -> new Segment(v.id(), v.bytes(), leader && (nodeOf(v.id()) == self.nodeId()
                            ? v.id() < writing : v.id() < newest.get(nodeOf(v.id()))));
                    // counted once per node: by the node that condemned it, and by the others when they give it up
                    case UNACKED, STALE -> new Segment(v.id(), v.condemnedBy() == self.nodeId() ? 0 : v.bytes(),
                            true);
                    // waiting for the other nodes; the leader looks whether it is reached again (then it pardons it)
                    // and whether a node that must acknowledge was removed (then it condemns it again)
                    case ACKED -> new Segment(v.id(), v.bytes(), leader);
                    case GONE -> new Segment(v.id(), 0, true);
                });
            }
            return list;
        }

        @Override
        public long writingSegment() {
            synchronized (pushLock) {
                return writingSegment;
            }
        }

        @Override
        public void release(Collection<Long> ids) {
            releaseDeferred(ids).run();
        }

        /**
         * Decides, holding the engine's pin lock, what releasing {@code ids} means for each (see the class
         * comment) and queues the entries, so that this node's next entry carries them first; the returned step
         * deletes the files of gone segments and sends the entries.
         */
        @Override
        public Runnable releaseDeferred(Collection<Long> ids) {
            Set<Long> chosen = Set.copyOf(ids);
            long writing = writingSegment();
            if (chosen.contains(writing)) {
                throw new IllegalArgumentException("Cannot release segment " + writing + " of " + describe()
                        + ": this node is still writing it");
            }
            boolean leader = leading();
            List<Integer> members = leader ? memberIds() : List.of();
            long seen = rootReadAt.get()[0];
            List<Long> condemn = new ArrayList<>();
            List<Long> ack = new ArrayList<>();
            List<Long> retract = new ArrayList<>();
            List<Long> pardon = new ArrayList<>();
            List<Long> delete = new ArrayList<>();
            for (SegmentReplica.ReclaimView v : replica.reclaimView(self.nodeId())) {
                boolean released = chosen.contains(v.id());
                if (released && leader && !v.required().isEmpty() && !members.containsAll(v.required())) {
                    // a node that must acknowledge was removed: wait for the members only from now on
                    condemn.add(v.id());
                }
                boolean condemned = v.state() == SegmentReplica.Reclaim.UNACKED
                        || v.state() == SegmentReplica.Reclaim.STALE || v.state() == SegmentReplica.Reclaim.ACKED;
                if (condemned && leader && !released) {
                    // reached again (a commit that was in flight, or one carrying an older reference, was published
                    // since): a live segment again, which compaction rewrites or condemns anew
                    pardon.add(v.id());
                    continue;
                }
                switch (v.state()) {
                    case LIVE -> {
                        if (released && leader) {
                            condemn.add(v.id());
                        }
                    }
                    case UNACKED -> {
                        if (released) {
                            ack.add(v.id());
                        }
                    }
                    case STALE -> {
                        if (released) {
                            ack.add(v.id());
                        } else if (retracting.add(v.id())) {
                            // the compaction found it reached (or in flight) again: a commit of this node may
                            // now reference it, which the log must know before that commit
                            retract.add(v.id());
                        }
                    }
                    case GONE -> {
                        // in a cloud cluster an upload round may still ship it, or a root object name it, until a
                        // mark after it is in the bucket: then the file goes, and later the leader its chunks
                        if (released && !replica.marks().names(v.id())) {
                            delete.add(v.id());
                        }
                    }
                    default -> {
                        // ACKED: this node's acknowledgement is valid; the segment waits for the other nodes
                    }
                }
            }
            int node = self.nodeId();
            ack.forEach(retracting::remove);
            if (!pardon.isEmpty()) {
                reclaimEntries.add(ClusterEntry.reclaim(ClusterEntry.PARDON,
                        new ClusterEntry.Reclaim(node, 0, List.of(), pardon)));
            }
            if (!retract.isEmpty()) {
                reclaimEntries.add(ClusterEntry.reclaim(ClusterEntry.RETRACT,
                        new ClusterEntry.Reclaim(node, 0, List.of(), retract)));
            }
            if (!condemn.isEmpty()) {
                reclaimEntries.add(ClusterEntry.reclaim(ClusterEntry.CONDEMN,
                        new ClusterEntry.Reclaim(node, 0, memberIds(), condemn)));
            }
            if (!ack.isEmpty()) {
                acking.addAll(ack);
                reclaimEntries.add(ClusterEntry.reclaim(ClusterEntry.ACK,
                        new ClusterEntry.Reclaim(node, seen, List.of(), ack)));
            }
            return () -> {
                if (!delete.isEmpty()) {
                    try {
                        replica.deleteLocally(delete);
                    } catch (IOException e) {
                        // the journal or a file could not be written: the segments stay as garbage, never a hole
                        throw new StorageException("Cannot delete released segments " + delete + " of "
                                + describe() + ": " + e.getMessage() + "; they are deleted by a later compaction", e);
                    }
                }
                if (!reclaimEntries.isEmpty()) {
                    flushReclaimEntries();
                }
            };
        }

        @Override
        public void limitSegmentSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("segment size must be positive, got " + bytes);
            }
            // an atom larger than the limit goes alone into a segment of its own
            sealAt = Math.min(bytes, options.segmentSize());
        }

        @Override
        public boolean sameWriter(long a, long b) {
            return nodeOf(a) == nodeOf(b);
        }

        /** The engine asks {@link #retiring} about every reference a commit makes. */
        @Override
        public boolean refusesReferences() {
            return true;
        }

        /**
         * Gone (or deleted here) segments are refused. A condemned segment may still be referenced: the root may
         * reach it again (a commit in flight when it was condemned), and failing the commit would fail a user's
         * commit; but this node's acknowledgement no longer holds, so it is retracted, in the log before this
         * node's next commit, and that commit then makes the other nodes' acknowledgements stale.
         */
        @Override
        public boolean retiring(long segmentId) {
            if (replica.gone(segmentId)) {
                return true;
            }
            if ((acking.contains(segmentId) || replica.acknowledgement(segmentId, self.nodeId()) != null)
                    && retracting.add(segmentId)) {
                acking.remove(segmentId);
                reclaimEntries.add(ClusterEntry.reclaim(ClusterEntry.RETRACT,
                        new ClusterEntry.Reclaim(self.nodeId(), 0, List.of(), List.of(segmentId))));
            }
            return false;
        }
    }

    /** Whether this node leads now; {@code false} when its Raft server cannot tell. */
    private boolean leading() {
        try {
            return server.getDivision(groupId).getInfo().isLeader();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The node ids of every member (voters and listeners) in this node's configuration, this node included. */
    private List<Integer> memberIds() {
        Set<Integer> ids = new java.util.TreeSet<>();
        ids.add(self.nodeId());
        try {
            RaftConfiguration conf = server.getDivision(groupId).getRaftConf();
            conf.getAllPeers(RaftPeerRole.FOLLOWER).forEach(p -> ids.add(nodeIdOf(p.getId())));
            conf.getAllPeers(RaftPeerRole.LISTENER).forEach(p -> ids.add(nodeIdOf(p.getId())));
        } catch (IOException e) {
            members.forEach(p -> ids.add(p.nodeId()));
        }
        return List.copyOf(ids);
    }

    /**
     * Sends the queued reclamation entries now, for a compaction that just decided them; when the quorum or the
     * submit lock is not to be had, they go with this node's next entry instead.
     */
    private void flushReclaimEntries() {
        if (closed) {
            return;
        }
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        String what = "send the decisions of compaction";
        try {
            lockUntil(deadline, what);
        } catch (StorageUnavailableException e) {
            return;
        }
        try {
            sendReclaimEntries(deadline, what);
        } catch (StorageException e) {
            LOG.info("{}: compaction's decisions wait for this node's next entry: {}", self, e.getMessage());
        } finally {
            submitLock.unlock();
        }
    }

    // ------------------------------------------------------------------ membership

    /**
     * Makes {@code peers} the members of the Raft group (Raft's joint-consensus configuration change,
     * through the leader): to add a node (started with the current members and itself as its peers),
     * to replace a node whose directory was lost by a new one under a new id, or to remove one. Returns
     * once the new configuration is committed. Never removes nodes by itself.
     *
     * @throws StorageUnavailableException when no quorum completes the change within the request timeout
     */
    public void reconfigure(List<ClusterPeer> peers) {
        ensureOpen("change the members");
        followMembers(false);
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a Raft group needs at least one member");
        }
        try {
            RaftClientReply reply = queries.admin().setConfiguration(
                    peers.stream().map(ClusterFileStorage::raftPeer).toList());
            if (!reply.isSuccess()) {
                throw unavailable("change the members to " + peers, String.valueOf(reply.getException()),
                        reply.getException());
            }
            members = List.copyOf(peers);
            group = RaftGroup.valueOf(groupId, peers.stream().map(ClusterFileStorage::raftPeer).toList());
        } catch (IOException e) {
            throw unavailable("change the members to " + peers, e.toString(), e);
        }
    }

    /**
     * Removes node {@code nodeId} from the Raft group for good (a machine retired, a directory lost):
     * the group's configuration without it is committed through the leader, with its listeners kept.
     * An explicit operation, never done automatically: a node that is only down for a while must stay,
     * or the majority that holds the commits would shrink. Refused when the voters left would not be a
     * majority of the current configuration (so from two voters to one, for instance), since a commit
     * acknowledged by the majority of the current configuration could then be missing from all of them.
     *
     * @param nodeId the node to remove; stop it before or after, it no longer counts
     * @throws StorageException when {@code nodeId} is not a member, or removing it would leave fewer than a
     *                          majority of the current voters
     * @throws StorageUnavailableException when no quorum completes the change within the request timeout
     */
    public void removeMember(int nodeId) {
        ensureOpen("remove a member");
        followMembers(false);
        RaftConfiguration conf;
        try {
            conf = server.getDivision(groupId).getRaftConf();
        } catch (IOException e) {
            throw new StorageUnavailableException("Cannot remove node " + nodeId + " through " + describe()
                    + ": its Raft server has no group '" + options.groupName() + "' (" + e.getMessage()
                    + "); restart the node", e);
        }
        List<RaftPeer> voters = List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
        List<RaftPeer> listeners = conf.getCurrentPeers(RaftPeerRole.LISTENER).stream()
                .filter(p -> nodeIdOf(p.getId()) != nodeId).toList();
        List<RaftPeer> remaining = voters.stream().filter(p -> nodeIdOf(p.getId()) != nodeId).toList();
        List<ClusterPeer> current = voters.stream().map(ClusterFileStorage::clusterPeer)
                .sorted(Comparator.comparingInt(ClusterPeer::nodeId)).toList();
        if (remaining.size() == voters.size()) {
            throw new StorageException("Cannot remove node " + nodeId + " from group '" + options.groupName()
                    + "': it is not a voting member of " + current + "; check the node id");
        }
        if (2 * remaining.size() <= voters.size()) {
            throw new StorageException("Cannot remove node " + nodeId + " from group '" + options.groupName()
                    + "' of " + current + ": the " + remaining.size() + " voters left would not be a majority of the "
                    + voters.size() + " now, and commits acknowledged by a majority could be lost; add a node"
                    + " (reconfigure) before removing this one");
        }
        List<ClusterPeer> after = remaining.stream().map(ClusterFileStorage::clusterPeer).toList();
        try {
            RaftClientReply reply = queries.admin().setConfiguration(remaining, listeners);
            if (!reply.isSuccess()) {
                throw unavailable("remove node " + nodeId, String.valueOf(reply.getException()), reply.getException());
            }
        } catch (IOException e) {
            throw unavailable("remove node " + nodeId, e.toString(), e);
        }
        members = after;
        group = RaftGroup.valueOf(groupId, remaining);
        LOG.info("Removed node {} from {}", nodeId, describe());
    }

    /**
     * Changes the group's voters and listeners in one configuration change through the leader, provided
     * its voters and listeners are still the expected ones (so a decision taken on an older configuration, by
     * this or an earlier leader, is refused rather than applied to a newer one). For
     * {@link HazelcastMembership#grow}: a new node added as a voter, in place of a lost one if there is one.
     *
     * @throws StorageException when the configuration changed meanwhile or no quorum completed the change
     */
    void changeMembers(List<ClusterPeer> expectedVoters, List<ClusterPeer> expectedListeners, List<ClusterPeer> voters,
            List<ClusterPeer> listeners) {
        ensureOpen("change the members");
        followMembers(false);
        String what = "change the members to voters " + voters + " and listeners " + listeners;
        try {
            RaftClientReply reply = queries.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                    .setServersInCurrentConf(expectedVoters.stream().map(ClusterFileStorage::raftPeer).toList())
                    .setListenersInCurrentConf(expectedListeners.stream().map(ClusterFileStorage::listener).toList())
                    .setServersInNewConf(voters.stream().map(ClusterFileStorage::raftPeer).toList())
                    .setListenersInNewConf(listeners.stream().map(ClusterFileStorage::listener).toList())
                    .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
            if (!reply.isSuccess() && !hasConfiguration(voters, listeners)) {
                throw new StorageException("Cannot " + what + " through " + describe() + ": "
                        + reply.getException(), reply.getException());
            }
        } catch (IOException e) {
            if (!hasConfiguration(voters, listeners)) {
                throw unavailable(what, e.toString(), e);
            }
        }
        List<ClusterPeer> all = new ArrayList<>(voters);
        all.addAll(listeners);
        members = all.stream().sorted(Comparator.comparingInt(ClusterPeer::nodeId)).toList();
        group = RaftGroup.valueOf(groupId, voters.stream().map(ClusterFileStorage::raftPeer).toList());
        LOG.info("Changed the members of {}: voters {}, listeners {}", describe(), voters, listeners);
    }

    /**
     * Whether this node's configuration is {@code voters} and {@code listeners}, and not a joint one. A
     * change whose attempt timed out while Raft caught the new node up is retried by the client, and the
     * retry's compare-and-set then fails against the configuration its own first attempt installed.
     */
    private boolean hasConfiguration(List<ClusterPeer> voters, List<ClusterPeer> listeners) {
        try {
            RaftConfiguration conf = server.getDivision(groupId).getRaftConf();
            return conf.getPreviousPeers().isEmpty()
                    && nodeIds(conf.getCurrentPeers(RaftPeerRole.FOLLOWER)).equals(
                            voters.stream().map(ClusterPeer::nodeId).collect(Collectors.toSet()))
                    && nodeIds(conf.getCurrentPeers(RaftPeerRole.LISTENER)).equals(
                            listeners.stream().map(ClusterPeer::nodeId).collect(Collectors.toSet()));
        } catch (IOException e) {
            return false;
        }
    }

    private static Set<Integer> nodeIds(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> nodeIdOf(p.getId())).collect(Collectors.toSet());
    }

    /** The options this node was opened with. */
    public Options options() {
        return options;
    }

    /** Whether this node is the Raft leader right now (for health and tests of failover). */
    public boolean isLeader() {
        ensureOpen("ask for the role");
        try {
            return server.getDivision(groupId).getInfo().isLeader();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * What this node knows about the group now: role, term, leader, commit and applied index, lag,
     * the members and whether it is in contact with a majority (see {@link ClusterStatus}). Asks the
     * local Raft server only, so it answers at once, with or without a quorum.
     *
     * @throws StorageClosedException when this storage is closed
     * @throws StorageUnavailableException when the Raft server of this node is not running
     */
    public ClusterStatus status() {
        ensureOpen("report the cluster status");
        RaftServer.Division division;
        try {
            division = server.getDivision(groupId);
        } catch (IOException e) {
            throw new StorageUnavailableException("Cannot report the status of " + describe() + ": its Raft server"
                    + " has no group '" + options.groupName() + "' (" + e.getMessage() + "); restart the node", e);
        }
        DivisionInfo info = division.getInfo();
        RoleInfoProto roleInfo = info.getRoleInfoProto();
        ClusterStatus.Role role = switch (info.getCurrentRole()) {
            case LEADER -> ClusterStatus.Role.LEADER;
            // a learner: a server outside the configuration waits for the leader to add it (see learner())
            case FOLLOWER -> division.getRaftConf().getPeer(selfId, RaftPeerRole.FOLLOWER) == null
                    ? ClusterStatus.Role.LISTENER : ClusterStatus.Role.FOLLOWER;
            case LISTENER -> ClusterStatus.Role.LISTENER;
            // a role this Ratis version does not name: neither leading nor following, as a candidate
            case CANDIDATE, UNRECOGNIZED -> ClusterStatus.Role.CANDIDATE;
        };
        Map<RaftPeerId, Long> commitIndices = new HashMap<>();
        for (CommitInfoProto c : division.getCommitInfos()) {
            commitIndices.put(RaftPeerId.valueOf(c.getServer().getId()), c.getCommitIndex());
        }
        Map<RaftPeerId, Duration> contact = new HashMap<>();
        if (role == ClusterStatus.Role.LEADER && roleInfo.hasLeaderInfo()) {
            for (ServerRpcProto f : roleInfo.getLeaderInfo().getFollowerInfoList()) {
                contact.put(RaftPeerId.valueOf(f.getId().getId()), Duration.ofMillis(f.getLastRpcElapsedTimeMs()));
            }
        }
        RaftConfiguration conf = division.getRaftConf();
        List<ClusterStatus.Member> memberStatus = new ArrayList<>();
        conf.getCurrentPeers(RaftPeerRole.FOLLOWER).forEach(p -> memberStatus.add(member(p, true, commitIndices,
                contact)));
        conf.getCurrentPeers(RaftPeerRole.LISTENER).forEach(p -> memberStatus.add(member(p, false, commitIndices,
                contact)));
        memberStatus.sort(Comparator.comparingInt(m -> m.peer().nodeId()));

        long commitIndex = division.getRaftLog().getLastCommittedIndex();
        long applied = info.getLastAppliedIndex();
        long newest = Math.max(commitIndex, commitIndices.values().stream().mapToLong(Long::longValue).max()
                .orElse(commitIndex));
        Duration silence = options.electionTimeout().multipliedBy(2);
        boolean quorum = switch (role) {
            case LEADER -> {
                long voters = memberStatus.stream().filter(ClusterStatus.Member::voting).count();
                long answering = 1 + memberStatus.stream().filter(m -> m.voting() && m.peer().nodeId() != self.nodeId()
                        && m.lastContact().map(d -> d.compareTo(silence) <= 0).orElse(false)).count();
                yield 2 * answering > voters;
            }
            case FOLLOWER, LISTENER -> info.getLeaderId() != null && roleInfo.hasFollowerInfo()
                    && Duration.ofMillis(roleInfo.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs())
                            .compareTo(silence) <= 0;
            case CANDIDATE -> false;
        };
        RaftPeerId leaderId = info.getLeaderId();
        return new ClusterStatus(self, role, info.getCurrentTerm(),
                leaderId == null ? OptionalInt.empty() : OptionalInt.of(nodeIdOf(leaderId)), commitIndex, applied,
                Math.max(0, newest - applied), memberStatus, quorum, replica.leaderChanges(),
                replicatedEntries.sum(), Duration.ofNanos(replicationNanos.sum()));
    }

    private static ClusterStatus.Member member(RaftPeer p, boolean voting, Map<RaftPeerId, Long> commitIndices,
            Map<RaftPeerId, Duration> contact) {
        return new ClusterStatus.Member(clusterPeer(p), voting, commitIndices.getOrDefault(p.getId(), -1L),
                Optional.ofNullable(contact.get(p.getId())));
    }

    /** The member a Raft peer of this storage stands for: the inverse of {@link #raftPeer}. */
    private static ClusterPeer clusterPeer(RaftPeer p) {
        String address = p.getAddress();
        int colon = address.lastIndexOf(':');
        return new ClusterPeer(nodeIdOf(p.getId()), address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1)));
    }

    private static int nodeIdOf(RaftPeerId id) {
        return Integer.parseInt(id.toString().substring(1));
    }

    @Override
    public String describe() {
        return "cluster storage node " + self + " in " + directory + " (group '" + options.groupName() + "' of "
                + members + ")";
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes the node: a leader first hands leadership to another member (so the others need not wait
     * an election timeout), then the client and the Raft server stop. Pushed atoms no commit referenced
     * are not shipped. Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        transferLeadershipIfLeading();
        List<RaftClient> clients = new ArrayList<>(List.of(client, queries));
        synchronized (controlLock) {
            if (control != null) {
                clients.add(control);
            }
        }
        synchronized (readsLock) {
            if (reads != null) {
                clients.add(reads);
            }
        }
        synchronized (retiredQueries) {
            clients.addAll(retiredQueries);
            retiredQueries.clear();
        }
        clients.addAll(termClients.values());
        termClients.clear();

        for (RaftClient c : clients) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("Closing a Raft client of {} failed: {}", describe(), e.toString());
            }
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("Closing the Raft server of {} failed: {}", describe(), e.toString());
        }
        LOG.info("Closed {}", describe());
    }

    /**
     * Hands leadership to another voter when this node leads (best effort; the others elect a leader
     * after an election timeout anyway). {@link #close()} starts with it.
     */
    void transferLeadershipIfLeading() {
        try {
            RaftServer.Division division = server.getDivision(groupId);
            if (!division.getInfo().isLeader()) {
                return;
            }
            RaftPeer next = division.getRaftConf().getCurrentPeers().stream()
                    .filter(p -> !p.getId().equals(selfId)).findFirst().orElse(null);
            if (next == null) {
                return;
            }
            RaftClientReply reply = queries.admin().transferLeadership(next.getId(),
                    2 * options.electionTimeout().toMillis());
            if (!reply.isSuccess()) {
                LOG.info("Leadership of {} not transferred before close: {}", describe(), reply.getException());
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the others elect a leader after an election timeout anyway
            LOG.info("Leadership of {} not transferred before close: {}", describe(), e.toString());
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": " + describe() + " is closed");
        }
    }
}
