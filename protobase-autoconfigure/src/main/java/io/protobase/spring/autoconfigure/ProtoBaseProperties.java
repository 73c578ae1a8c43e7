package io.protobase.spring.autoconfigure;

import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ReadConsistency;
import io.protobase.storage.file.FsyncPolicy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Configuration of ProtoBase in a Spring Boot application, bound from {@code protobase.*}.
 *
 * <p>Values are checked while binding (no Bean Validation provider needed): an impossible value
 * fails the startup with a report naming the property and its fix.
 *
 * @param enabled whether to auto-configure ProtoBase at all
 * @param database name of the database injected as the {@code Database} bean (created on first start)
 * @param storage where the data lives
 * @param cache the in-memory cache of decoded nodes
 * @param commit how concurrent commits are grouped
 * @param history how much history {@code Database.at} can read
 * @param compaction how space of superseded versions is reclaimed
 * @param shutdown how the application context closes the object space
 * @param repositories Spring Data repositories on ProtoBase
 */
@ConfigurationProperties("protobase")
public record ProtoBaseProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("default") String database,
        @DefaultValue Storage storage,
        @DefaultValue Cache cache,
        @DefaultValue Commit commit,
        @DefaultValue History history,
        @DefaultValue Compaction compaction,
        @DefaultValue Shutdown shutdown,
        @DefaultValue Repositories repositories) {

    public ProtoBaseProperties {
        if (database == null || database.isBlank()) {
            throw new InvalidProtoBasePropertyException("protobase.database", database,
                    "a database name must not be blank",
                    "Set protobase.database to a name such as 'default', or remove it to use the default");
        }
    }

    /**
     * A directory property, converted here rather than by the binder. The binder converts text to a
     * {@code Path} with Spring's {@code PathEditor}, which asks the application context's resource
     * loader and so every {@code ProtocolResolver} registered in it; Spring Cloud AWS registers one
     * that builds the S3 client, which needs an AWS region. A local directory must not depend on AWS
     * configuration, so it is bound as text and read as a file-system path, as Boot reads its own
     * directory properties without the context's resource loader.
     */
    static Path directory(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidProtoBasePropertyException(property, value, "a directory path must not be blank",
                    "Set it to a directory such as ./protobase-data, or remove it to use the default");
        }
        try {
            return Path.of(value).normalize();
        } catch (InvalidPathException e) {
            throw new InvalidProtoBasePropertyException(property, value, "it is not a valid path (" + e.getReason()
                    + ")", "Set it to a directory path such as ./protobase-data");
        }
    }

    /**
     * Storage settings.
     *
     * @param type the backend: {@code memory}, {@code file}, {@code cloud}, {@code cluster} or
     *             {@code cloud-cluster}
     * @param file settings of the {@code file} backend
     * @param cloud settings of the {@code cloud} backend, and the bucket side of {@code cloud-cluster}
     * @param cluster settings of the {@code cluster} backend, and the Raft side of {@code cloud-cluster}
     */
    public record Storage(@DefaultValue("file") StorageType type, @DefaultValue File file, @DefaultValue Cloud cloud,
            @DefaultValue Cluster cluster) {

        public Storage {
            boolean inS3 = type == StorageType.CLOUD || type == StorageType.CLOUD_CLUSTER;
            if (inS3 && (cloud.bucket() == null || cloud.bucket().isBlank())) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.bucket", cloud.bucket(),
                        "the " + type + " storage needs a bucket", "Set it to the name of an existing S3 bucket");
            }
            if (type == StorageType.CLUSTER || type == StorageType.CLOUD_CLUSTER) {
                cluster.self();
            }
        }
    }

    /**
     * Settings of the {@code cluster} storage backend: a Raft group of application nodes (Apache Ratis),
     * each with its own directory and a copy of every node's data.
     *
     * @param nodeId this node's id, from 1 to 8388607, unique in the cluster and never reused; required
     *               with {@code type=cluster} and {@code type=cloud-cluster}
     * @param host the address this node's Raft server listens on and the others reach it at; taken from
     *             this node's entry in {@code peers} when it has one, else 127.0.0.1
     * @param port the port of this node's Raft server; taken from this node's entry in {@code peers}
     *             when it has one, else 9871
     * @param peers the members of the Raft group when it first forms, as {@code id@host:port}; this node
     *              is added when it is not listed. Later changes go through
     *              {@code ClusterFileStorage.reconfigure}. When empty, the nodes (of {@code type=cluster} and
     *              {@code type=cloud-cluster}) find each other through Hazelcast
     * @param path directory of this node's Raft log and its copy of the data (created when missing); not
     *             with {@code type=cloud-cluster}, whose nodes keep them in {@code cloud.cache-dir}/cluster
     * @param electionTimeout the shortest Raft election timeout (the longest is one and a half times as
     *                        long): how long followers wait for a silent leader before they elect another
     * @param requestTimeout how long a commit or linearizable read waits for a quorum before it fails
     *                       with {@code StorageUnavailableException}; longer than the election timeout
     * @param retries how often a request is retried within the request timeout (another leader, a
     *                leader not ready yet)
     * @param readConsistency what a transaction waits for before it reads: {@code linearizable} (every
     *                        commit acknowledged anywhere before it began) or {@code local} (this node's
     *                        applied state, no round trip)
     * @param groupName the name of the Raft group; every node of one cluster uses the same
     * @param segmentSize size at which this node starts its next segment (4MB to 1TB)
     * @param snapshotInterval log entries between snapshots, after which the Raft log is purged
     * @param initialMembers without {@code peers}: how many nodes must have published their Raft address
     *                       through Hazelcast before the group forms from them
     * @param initialMembersTimeout without {@code peers}: how long a starting node waits for the
     *                              {@code initial-members} (or a running group to join) before the
     *                              startup fails
     * @param membershipCheckInterval without {@code peers}: how often the leader compares the group with
     *                                the nodes published through Hazelcast and adds a new one, besides
     *                                reacting to Hazelcast's events
     * @param hazelcast the embedded Hazelcast member that discovers the nodes when {@code peers} is not set
     *                  and the application has no {@code HazelcastInstance} of its own
     * @param ssl mutual TLS for the Raft traffic between the nodes
     */
    public record Cluster(
            Integer nodeId,
            String host,
            Integer port,
            List<ClusterPeer> peers,
            Path path,
            Duration electionTimeout,
            Duration requestTimeout,
            int retries,
            ReadConsistency readConsistency,
            String groupName,
            DataSize segmentSize,
            long snapshotInterval,
            int initialMembers,
            Duration initialMembersTimeout,
            Duration membershipCheckInterval,
            ClusterHazelcast hazelcast,
            ClusterSsl ssl) {

        /** Binds {@code path} as text: see {@link ProtoBaseProperties#directory}. */
        @ConstructorBinding
        public Cluster(
                Integer nodeId,
                String host,
                Integer port,
                @DefaultValue List<ClusterPeer> peers,
                @DefaultValue("./protobase-cluster") String path,
                @DefaultValue("1s") Duration electionTimeout,
                @DefaultValue("10s") Duration requestTimeout,
                @DefaultValue("100") int retries,
                @DefaultValue("linearizable") ReadConsistency readConsistency,
                @DefaultValue("protobase") String groupName,
                @DefaultValue("64MB") DataSize segmentSize,
                @DefaultValue("10000") long snapshotInterval,
                @DefaultValue("3") int initialMembers,
                @DefaultValue("5m") Duration initialMembersTimeout,
                @DefaultValue("1s") Duration membershipCheckInterval,
                @DefaultValue ClusterHazelcast hazelcast,
                @DefaultValue ClusterSsl ssl) {
            this(nodeId, host, port, peers, directory("protobase.storage.cluster.path", path), electionTimeout,
                    requestTimeout, retries, readConsistency, groupName, segmentSize, snapshotInterval,
                    initialMembers, initialMembersTimeout, membershipCheckInterval, hazelcast, ssl);
        }

        public Cluster {
            peers = List.copyOf(peers);
            if (nodeId != null && (nodeId < 1 || nodeId > ClusterPeer.MAX_NODE_ID)) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.node-id", nodeId,
                        "a node id must be between 1 and " + ClusterPeer.MAX_NODE_ID,
                        "Set it to this node's id in the cluster, such as 1");
            }
            if (host != null && host.isBlank()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.host", host,
                        "the host must not be blank", "Set it to the address the other nodes reach this node at, "
                                + "or remove it to take it from this node's entry in protobase.storage.cluster.peers");
            }
            if (port != null && (port < 1 || port > 65_535)) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.port", port,
                        "a port must be between 1 and 65535", "Set it to a free port such as 9871");
            }
            Set<Integer> ids = new HashSet<>();
            for (ClusterPeer peer : peers) {
                if (!ids.add(peer.nodeId())) {
                    throw new InvalidProtoBasePropertyException("protobase.storage.cluster.peers", peers,
                            "node " + peer.nodeId() + " is listed twice",
                            "Set it to the members with one entry per node id, such as "
                                    + "1@10.0.0.11:9871,2@10.0.0.12:9871,3@10.0.0.13:9871");
                }
            }
            if (electionTimeout.toMillis() < 50) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.election-timeout",
                        electionTimeout, "the election timeout must be at least 50ms",
                        "Set it to a duration such as 1s");
            }
            if (requestTimeout.compareTo(electionTimeout) <= 0) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.request-timeout",
                        requestTimeout, "it must be longer than protobase.storage.cluster.election-timeout ("
                                + electionTimeout + "), or no request would outlast an election",
                        "Set it to a duration such as 10s");
            }
            if (retries < 0) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.retries", retries,
                        "the number of retries must not be negative", "Set it to a number such as 100");
            }
            if (groupName == null || groupName.isBlank()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.group-name", groupName,
                        "the group name must not be blank",
                        "Set it to the name every node of this cluster uses, such as 'protobase'");
            }
            if (segmentSize.toBytes() < 4L * 1024 * 1024 || segmentSize.toBytes() > (1L << 40)) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.segment-size", segmentSize,
                        "a segment must be between 4MB (the largest log entry) and 1TB",
                        "Set it to a size such as 64MB");
            }
            if (snapshotInterval < 1) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.snapshot-interval",
                        snapshotInterval, "the interval must be a positive number of log entries",
                        "Set it to a number such as 10000");
            }
            if (initialMembers < 1) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.initial-members",
                        initialMembers, "a Raft group needs at least one member to form",
                        "Set it to the number of nodes that start the cluster, such as 3");
            }
            if (initialMembersTimeout.isNegative() || initialMembersTimeout.isZero()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.initial-members-timeout",
                        initialMembersTimeout, "a node must wait some time for the other initial members",
                        "Set it to a duration such as 5m");
            }
            if (membershipCheckInterval.toMillis() < 1) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.membership-check-interval",
                        membershipCheckInterval, "the leader must check the members at some positive interval",
                        "Set it to a duration such as 1s");
            }
        }

        /**
         * This node: {@code node-id} with {@code host} and {@code port}, or with its entry in
         * {@code peers}, which they must then agree with.
         *
         * @return this node's id and Raft address
         * @throws InvalidProtoBasePropertyException when {@code node-id} is missing, or {@code host} or
         *                                           {@code port} differ from this node's entry in {@code peers}
         */
        public ClusterPeer self() {
            if (nodeId == null) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.node-id", null,
                        "the cluster storage needs this node's id",
                        "Set it to a number from 1 to " + ClusterPeer.MAX_NODE_ID + ", unique in the cluster, "
                                + "such as 1 on the first node, 2 on the second");
            }
            ClusterPeer listed = peers.stream().filter(p -> p.nodeId() == nodeId).findFirst().orElse(null);
            if (listed == null) {
                return new ClusterPeer(nodeId, host != null ? host : "127.0.0.1", port != null ? port : 9871);
            }
            if (host != null && !host.equals(listed.host())) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.host", host,
                        "node " + nodeId + " is listed in protobase.storage.cluster.peers as " + listed,
                        "Set it to '" + listed.host() + "', or remove it, or correct the node's entry in the peers");
            }
            if (port != null && port != listed.port()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.port", port,
                        "node " + nodeId + " is listed in protobase.storage.cluster.peers as " + listed,
                        "Set it to " + listed.port() + ", or remove it, or correct the node's entry in the peers");
            }
            return listed;
        }

        /**
         * The members of the group when it first forms: {@code peers}, with this node added when it is
         * not among them.
         *
         * @return every member, this node included
         */
        public List<ClusterPeer> members() {
            ClusterPeer self = self();
            List<ClusterPeer> members = new ArrayList<>(peers);
            if (members.stream().noneMatch(p -> p.nodeId() == self.nodeId())) {
                members.add(self);
            }
            return List.copyOf(members);
        }
    }

    /**
     * The embedded Hazelcast member of a cluster node that discovers the other nodes (when
     * {@code protobase.storage.cluster.peers} is not set and the application has no
     * {@code HazelcastInstance} bean).
     *
     * @param clusterName the Hazelcast cluster name; every node of one ProtoBase cluster uses the same
     * @param port the port this Hazelcast member listens on
     * @param members the Hazelcast members to join by TCP-IP, as {@code host} or {@code host:port}
     * @param multicast whether to find the members by multicast instead (only on networks that allow it)
     * @param interfaces the addresses Hazelcast may bind to, such as {@code 10.0.0.*}; empty: any
     */
    public record ClusterHazelcast(
            @DefaultValue("protobase") String clusterName,
            @DefaultValue("5701") int port,
            @DefaultValue List<String> members,
            @DefaultValue("false") boolean multicast,
            @DefaultValue List<String> interfaces) {

        public ClusterHazelcast {
            members = List.copyOf(members);
            interfaces = List.copyOf(interfaces);
            if (clusterName == null || clusterName.isBlank()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.hazelcast.cluster-name",
                        clusterName, "the Hazelcast cluster name must not be blank",
                        "Set it to the name every node of this cluster uses, such as 'protobase'");
            }
            if (port < 1 || port > 65_535) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.hazelcast.port", port,
                        "a port must be between 1 and 65535", "Set it to a free port such as 5701");
            }
            if (!members.isEmpty() && multicast) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.hazelcast.multicast", true,
                        "the members to join are listed in protobase.storage.cluster.hazelcast.members",
                        "Remove either the members list (to use multicast) or set multicast to false");
            }
        }
    }

    /**
     * Mutual TLS for the Raft traffic of a cluster node: every node shows the key of an SSL bundle and
     * accepts only peers whose certificate the bundle's trust store trusts.
     *
     * @param bundle the name of a Spring Boot SSL bundle ({@code spring.ssl.bundle.jks.<name>} or
     *               {@code spring.ssl.bundle.pem.<name>}) with this node's key and the certificates it
     *               trusts; unset: plain gRPC. Every node of the group sets it, or none does
     */
    public record ClusterSsl(String bundle) {

        public ClusterSsl {
            if (bundle != null && bundle.isBlank()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cluster.ssl.bundle", bundle,
                        "the name of an SSL bundle must not be blank",
                        "Set it to the name of a bundle under spring.ssl.bundle.jks or spring.ssl.bundle.pem, or"
                                + " remove it for plain Raft traffic");
            }
        }
    }

    /**
     * Settings of the {@code cloud} storage backend: S3 (through Spring Cloud AWS's {@code S3Client},
     * so {@code spring.cloud.aws.*} sets region, credentials and endpoint) with a local log and cache.
     *
     * @param bucket the S3 bucket; required with {@code type=cloud} and {@code type=cloud-cluster}, and it
     *               must exist
     * @param prefix key prefix of this storage inside the bucket; one writer per prefix
     * @param cacheDir local directory of the write-ahead log and the disk cache (created when missing); a
     *                 {@code cloud-cluster} node keeps its Raft log and copy of the data in its
     *                 {@code cluster} subdirectory
     * @param cacheSize bound of the disk cache of data read back or already uploaded
     * @param objectSize size at which a log segment is sealed; bounds each uploaded object (64KB to 1GB)
     * @param uploadInterval longest time a commit waits in the local log before it is uploaded (async)
     * @param durability when a commit returns: {@code async} (locally durable, uploaded in the
     *                   background) or {@code sync} (in S3)
     * @param maxBacklog bytes of log not yet uploaded beyond which commits wait for the uploader
     * @param gcGrace how long the S3 objects of segments released by compaction (and orphan objects of
     *                fenced or crashed writers, or of a deposed cloud-cluster leader) stay before they are
     *                deleted: the longest time a reader may use an older root object; for {@code cloud} and
     *                {@code cloud-cluster}
     */
    public record Cloud(
            String bucket,
            String prefix,
            Path cacheDir,
            DataSize cacheSize,
            DataSize objectSize,
            Duration uploadInterval,
            CloudFileStorage.Durability durability,
            DataSize maxBacklog,
            Duration gcGrace) {

        /** Binds {@code cache-dir} as text: see {@link ProtoBaseProperties#directory}. */
        @ConstructorBinding
        public Cloud(
                String bucket,
                @DefaultValue("") String prefix,
                @DefaultValue("./protobase-cache") String cacheDir,
                @DefaultValue("500MB") DataSize cacheSize,
                @DefaultValue("5MB") DataSize objectSize,
                @DefaultValue("5s") Duration uploadInterval,
                @DefaultValue("async") CloudFileStorage.Durability durability,
                @DefaultValue("1GB") DataSize maxBacklog,
                @DefaultValue("1h") Duration gcGrace) {
            this(bucket, prefix, directory("protobase.storage.cloud.cache-dir", cacheDir), cacheSize, objectSize,
                    uploadInterval, durability, maxBacklog, gcGrace);
        }

        public Cloud {
            if (cacheSize.toBytes() < 0) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.cache-size", cacheSize,
                        "the cache size must not be negative", "Set it to a size such as 500MB");
            }
            if (objectSize.toBytes() < 64 * 1024 || objectSize.toBytes() > (1L << 30)) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.object-size", objectSize,
                        "an object must be between 64KB and 1GB", "Set it to a size such as 5MB");
            }
            if (uploadInterval.isNegative() || uploadInterval.isZero()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.upload-interval", uploadInterval,
                        "the interval must be positive", "Set it to a duration such as 5s");
            }
            if (maxBacklog.toBytes() <= 0) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.max-backlog", maxBacklog,
                        "the backlog bound must be positive", "Set it to a size such as 1GB");
            }
            if (gcGrace.isNegative() || gcGrace.isZero()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.cloud.gc-grace", gcGrace,
                        "the grace must be positive: it is how long readers of an older root can still read it",
                        "Set it to a duration such as 1h");
            }
        }
    }

    /**
     * Settings of the {@code file} storage backend.
     *
     * @param path directory of the write-ahead log (created when missing)
     * @param fsync when commits are forced to disk: {@code commit} (every commit is durable when it
     *              returns), {@code interval} (at most every fsync-interval) or {@code none} (only at
     *              segment rotation and close)
     * @param fsyncInterval longest time between forced writes with {@code fsync=interval}
     * @param segmentSize size at which a new log segment file is started (64KB to 1GB)
     */
    public record File(Path path, FsyncPolicy fsync, Duration fsyncInterval, DataSize segmentSize) {

        /** Binds {@code path} as text: see {@link ProtoBaseProperties#directory}. */
        @ConstructorBinding
        public File(
                @DefaultValue("./protobase-data") String path,
                @DefaultValue("commit") FsyncPolicy fsync,
                @DefaultValue("1s") Duration fsyncInterval,
                @DefaultValue("64MB") DataSize segmentSize) {
            this(directory("protobase.storage.file.path", path), fsync, fsyncInterval, segmentSize);
        }

        public File {
            if (fsyncInterval.isNegative() || fsyncInterval.isZero()) {
                throw new InvalidProtoBasePropertyException("protobase.storage.file.fsync-interval", fsyncInterval,
                        "the interval must be positive", "Set it to a positive duration such as 1s or 200ms");
            }
            if (segmentSize.toBytes() < 64 * 1024 || segmentSize.toBytes() > (1L << 30)) {
                throw new InvalidProtoBasePropertyException("protobase.storage.file.segment-size", segmentSize,
                        "a segment must be between 64KB and 1GB", "Set it to a size such as 64MB");
            }
        }
    }

    /**
     * Node cache settings.
     *
     * @param maxSize bound of the decoded-node cache, counted in encoded bytes
     */
    public record Cache(@DefaultValue("128MB") DataSize maxSize) {

        public Cache {
            if (maxSize.toBytes() <= 0) {
                throw new InvalidProtoBasePropertyException("protobase.cache.max-size", maxSize,
                        "the cache size must be positive", "Set it to a size such as 128MB");
            }
        }
    }

    /**
     * Commit settings.
     *
     * @param groupDelay how long a commit may hold back its fsync while other read-write transactions
     *                   are running, so that one fsync covers their commits too ({@code 0ms}: never wait;
     *                   a single writer never waits)
     */
    public record Commit(@DefaultValue("0ms") Duration groupDelay) {

        public Commit {
            if (groupDelay.isNegative()) {
                throw new InvalidProtoBasePropertyException("protobase.commit.group-delay", groupDelay,
                        "the delay must not be negative", "Set it to a duration such as 1ms, or 0ms not to wait");
            }
        }
    }

    /**
     * History settings.
     *
     * @param retention how far back {@code Database.at(Instant)} reaches; older instants fail with
     *                  {@code HistoryExpiredException}. Longer keeps more history readable, at the cost
     *                  of keeping about this much time's worth of writes on disk once old versions
     *                  are reclaimed ({@code 0s}: the current version only)
     * @param maxSpaceRatio the most space history may take, as a multiple of the live data's (at least 1 MiB):
     *                      older versions within the retention are dropped once keeping them would take more,
     *                      so that the disk stays in proportion to the data whatever the commit rate;
     *                      {@code Infinity} bounds history by time alone
     */
    public record History(@DefaultValue("1m") Duration retention, @DefaultValue("0.5") double maxSpaceRatio) {

        public History {
            if (retention.isNegative()) {
                throw new InvalidProtoBasePropertyException("protobase.history.retention", retention,
                        "the retention must not be negative",
                        "Set it to a duration such as 1m, or 0s to keep no history");
            }
            if (!(maxSpaceRatio > 0)) {
                throw new InvalidProtoBasePropertyException("protobase.history.max-space-ratio", maxSpaceRatio,
                        "the ratio must be positive",
                        "Set it to a multiple of the live data such as 0.5, or Infinity to bound history by time "
                                + "alone");
            }
        }
    }

    /**
     * Compaction settings (space reclamation).
     *
     * @param interval how often the background compactor runs ({@code 0s}: never; {@code ObjectSpace.compact()}
     *                 still works)
     * @param liveFraction sealed segments less live than this fraction (0 to 1) are rewritten
     * @param idleLiveFraction once commits pause, the background compactor rewrites sealed segments less live than
     *                         this fraction (0 to 1; the higher of the two applies), so that the store settles near
     *                         its live size after a burst of commits
     * @param minDeadBytes segments are rewritten only when together they hold at least this many dead bytes
     * @param bytesPerSecond live bytes the background compactor may rewrite per second
     */
    public record Compaction(@DefaultValue("30s") Duration interval, @DefaultValue("0.5") double liveFraction,
            @DefaultValue("0.9") double idleLiveFraction, @DefaultValue("1MB") DataSize minDeadBytes,
            @DefaultValue("8MB") DataSize bytesPerSecond) {

        public Compaction {
            if (interval.isNegative()) {
                throw new InvalidProtoBasePropertyException("protobase.compaction.interval", interval,
                        "the interval must not be negative", "Set it to a duration such as 30s, or 0s to run none");
            }
            if (!(liveFraction >= 0 && liveFraction <= 1)) {
                throw new InvalidProtoBasePropertyException("protobase.compaction.live-fraction", liveFraction,
                        "the fraction must be between 0 and 1", "Set it to a fraction such as 0.5");
            }
            if (!(idleLiveFraction >= 0 && idleLiveFraction <= 1)) {
                throw new InvalidProtoBasePropertyException("protobase.compaction.idle-live-fraction",
                        idleLiveFraction, "the fraction must be between 0 and 1", "Set it to a fraction such as 0.9");
            }
            if (minDeadBytes.toBytes() < 0) {
                throw new InvalidProtoBasePropertyException("protobase.compaction.min-dead-bytes", minDeadBytes,
                        "the size must not be negative", "Set it to a size such as 1MB");
            }
            if (bytesPerSecond.toBytes() <= 0) {
                throw new InvalidProtoBasePropertyException("protobase.compaction.bytes-per-second", bytesPerSecond,
                        "the budget must be positive", "Set it to a size such as 8MB");
            }
        }
    }

    /**
     * Shutdown settings.
     *
     * @param timeout how long closing the context waits for running transactions before closing the
     *                storage under them
     */
    public record Shutdown(@DefaultValue("30s") Duration timeout) {

        public Shutdown {
            if (timeout.isNegative()) {
                throw new InvalidProtoBasePropertyException("protobase.shutdown.timeout", timeout,
                        "the timeout must not be negative", "Set it to a duration such as 30s, or 0s not to wait");
            }
        }
    }

    /**
     * Spring Data repository settings.
     *
     * @param enabled whether repository interfaces in the application's packages become beans
     *                (when Spring Data Commons is on the classpath)
     */
    public record Repositories(@DefaultValue("true") boolean enabled) {
    }
}
