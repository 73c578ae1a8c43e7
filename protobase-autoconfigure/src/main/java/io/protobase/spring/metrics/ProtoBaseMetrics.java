package io.protobase.spring.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.protobase.ObjectSpace;
import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterStatus;
import io.protobase.TransactionEvent;
import io.protobase.TransactionListener;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of an {@link ObjectSpace}.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags</th></tr>
 * <tr><td>{@code protobase.transactions}</td><td>counter</td><td>{@code database}, {@code outcome} =
 *   committed | conflict | aborted | failed</td></tr>
 * <tr><td>{@code protobase.commit}</td><td>timer: time in commit</td><td>{@code database}, {@code outcome}
 *   = committed | conflict | failed</td></tr>
 * <tr><td>{@code protobase.storage.bytes.written} / {@code .read}</td><td>function counters, bytes</td><td></td></tr>
 * <tr><td>{@code protobase.cache.hits} / {@code .misses} / {@code .evictions}</td>
 *   <td>function counters</td><td></td></tr>
 * <tr><td>{@code protobase.cache.size}</td><td>gauge, bytes</td><td></td></tr>
 * <tr><td>{@code protobase.cloud.upload.backlog}</td><td>gauge, bytes not yet in S3 (cloud and cloud-cluster
 *   storage)</td><td></td></tr>
 * <tr><td>{@code protobase.cloud.upload.lag}</td>
 *   <td>time gauge: age of the oldest commit not yet in S3</td><td></td></tr>
 * <tr><td>{@code protobase.cloud.gc.pending}</td>
 *   <td>gauge, released segments whose S3 objects are not deleted yet</td><td></td></tr>
 * <tr><td>{@code protobase.cloud.requests}</td><td>function counter of S3 requests</td>
 *   <td>{@code method} = put | get</td></tr>
 * <tr><td>{@code protobase.cloud.upload.bytes}</td><td>function counter, bytes sent with PUT requests</td>
 *   <td></td></tr>
 * <tr><td>{@code protobase.cloud.upload.index}</td><td>gauge, the Raft log index the bucket holds
 *   (cloud-cluster storage)</td><td></td></tr>
 * <tr><td>{@code protobase.cluster.role}</td><td>gauge, 1 for this node's Raft role, else 0 (cluster and
 *   cloud-cluster storage)</td>
 *   <td>{@code role} = leader | follower | candidate | listener</td></tr>
 * <tr><td>{@code protobase.cluster.term}</td><td>gauge, the Raft term</td><td></td></tr>
 * <tr><td>{@code protobase.cluster.elections}</td><td>function counter of leader changes seen</td><td></td></tr>
 * <tr><td>{@code protobase.cluster.lag}</td><td>gauge, log entries behind the most advanced member</td>
 *   <td></td></tr>
 * <tr><td>{@code protobase.cluster.quorum}</td><td>gauge, 1 while in contact with a majority</td><td></td></tr>
 * <tr><td>{@code protobase.cluster.replication}</td>
 *   <td>function timer: this node's log entries until committed and applied</td><td></td></tr>
 * </table>
 *
 * Only read-write transactions are counted: read-only ones never publish anything and would drown
 * the commit figures. Tag values are bounded: outcomes are a closed set, and at most
 * {@link #MAX_DATABASE_TAGS} database names are used as tags, later ones being counted under
 * {@code database=other}.
 */
public class ProtoBaseMetrics implements MeterBinder {

    /** Database names tagged individually; further databases share the tag value {@code other}. */
    public static final int MAX_DATABASE_TAGS = 32;

    private final ObjectSpace space;
    private final Tags tags;
    private final Set<String> preRegistered;
    private final Set<String> taggedDatabases = ConcurrentHashMap.newKeySet();

    /**
     * @param space the object space to measure
     * @param tags extra tags on every meter
     * @param databases database names whose counters exist from the start (at zero)
     */
    public ProtoBaseMetrics(ObjectSpace space, Iterable<io.micrometer.core.instrument.Tag> tags,
            Set<String> databases) {
        this.space = space;
        this.tags = Tags.of(tags);
        this.preRegistered = Set.copyOf(databases);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("protobase.storage.bytes.written", space, s -> s.statistics().bytesWritten())
                .description("Bytes of atoms written to the storage").baseUnit(BaseUnits.BYTES).tags(tags)
                .register(registry);
        FunctionCounter.builder("protobase.storage.bytes.read", space, s -> s.statistics().bytesRead())
                .description("Bytes of atoms read from the storage (node cache misses)").baseUnit(BaseUnits.BYTES)
                .tags(tags).register(registry);
        FunctionCounter.builder("protobase.cache.hits", space, s -> s.statistics().cacheHits())
                .description("Node cache hits").tags(tags).register(registry);
        FunctionCounter.builder("protobase.cache.misses", space, s -> s.statistics().cacheMisses())
                .description("Node cache misses").tags(tags).register(registry);
        FunctionCounter.builder("protobase.cache.evictions", space, s -> s.statistics().cacheEvictions())
                .description("Node cache evictions").tags(tags).register(registry);
        Gauge.builder("protobase.cache.size", space, s -> s.statistics().cacheBytes())
                .description("Encoded bytes held by the node cache").baseUnit(BaseUnits.BYTES).tags(tags)
                .register(registry);
        FunctionCounter.builder("protobase.compaction.runs", space, s -> s.statistics().compactions())
                .description("Compaction runs completed, on demand or in the background").tags(tags).register(registry);
        FunctionCounter.builder("protobase.compaction.bytes.rewritten", space,
                        s -> s.statistics().compactionBytesRewritten())
                .description("Live atom bytes compaction rewrote").baseUnit(BaseUnits.BYTES).tags(tags)
                .register(registry);
        FunctionCounter.builder("protobase.compaction.segments.released", space,
                        s -> s.statistics().compactionSegmentsReleased())
                .description("Segments the storage released after compaction").tags(tags).register(registry);
        FunctionCounter.builder("protobase.compaction.bytes.released", space,
                        s -> s.statistics().compactionBytesReleased())
                .description("Bytes held by the segments released after compaction").baseUnit(BaseUnits.BYTES)
                .tags(tags).register(registry);
        if (space.storage() instanceof CloudFileStorage cloud) {
            bindCloud(registry, cloud);
        }
        if (space.storage() instanceof ClusterFileStorage cluster) {
            bindCluster(registry, cluster);
        }
        if (space.storage() instanceof CloudClusterFileStorage cloudCluster) {
            bindCloudCluster(registry, cloudCluster);
        }
        for (String database : preRegistered) {
            String tag = databaseTag(database);
            for (TransactionEvent.Outcome outcome : TransactionEvent.Outcome.values()) {
                transactions(registry, tag, outcome);
            }
            commitTimer(registry, tag, TransactionEvent.Outcome.COMMITTED);
        }
        space.addTransactionListener(new Recorder(registry));
    }

    private Counter transactions(MeterRegistry registry, String database, TransactionEvent.Outcome outcome) {
        return Counter.builder("protobase.transactions").description("Read-write transactions ended, by outcome")
                .tags(tags).tag("database", database).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    private Timer commitTimer(MeterRegistry registry, String database, TransactionEvent.Outcome outcome) {
        return Timer.builder("protobase.commit").description("Time read-write transactions spent committing")
                .tags(tags).tag("database", database).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    private String databaseTag(String database) {
        if (taggedDatabases.contains(database)) {
            return database;
        }
        synchronized (taggedDatabases) {
            if (taggedDatabases.size() < MAX_DATABASE_TAGS) {
                taggedDatabases.add(database);
                return database;
            }
        }
        return taggedDatabases.contains(database) ? database : "other";
    }

    /** Turns transaction events into counter increments and timer samples. */
    private final class Recorder implements TransactionListener {
        private final MeterRegistry registry;

        Recorder(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void transactionEnded(TransactionEvent event) {
            if (event.readOnly()) {
                return;
            }
            String database = databaseTag(event.database());
            transactions(registry, database, event.outcome()).increment();
            if (event.outcome() != TransactionEvent.Outcome.ABORTED) {
                commitTimer(registry, database, event.outcome()).record(event.commitDuration());
            }
        }

        @Override
        public String toString() {
            return "ProtoBase metrics recorder";
        }
    }

    private void bindCluster(MeterRegistry registry, SharedStorage cluster) {
        for (ClusterStatus.Role role : ClusterStatus.Role.values()) {
            Gauge.builder("protobase.cluster.role", cluster, c -> clusterValue(c, s -> s.role() == role ? 1 : 0))
                    .description("1 for the Raft role this node has now, 0 for the others").tags(tags)
                    .tag("role", role.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        Gauge.builder("protobase.cluster.term", cluster, c -> clusterValue(c, ClusterStatus::term))
                .description("The Raft term this node is in").tags(tags).register(registry);
        FunctionCounter.builder("protobase.cluster.elections", cluster, c -> clusterValue(c, ClusterStatus::elections))
                .description("Leader changes this node saw, each after an election").tags(tags).register(registry);
        Gauge.builder("protobase.cluster.lag", cluster, c -> clusterValue(c, ClusterStatus::lag))
                .description("Log entries this node is behind the most advanced member it knows of").tags(tags)
                .register(registry);
        Gauge.builder("protobase.cluster.quorum", cluster, c -> clusterValue(c, s -> s.quorum() ? 1 : 0))
                .description("1 while this node is in contact with a majority of the voting members, else 0")
                .tags(tags).register(registry);
        FunctionTimer.builder("protobase.cluster.replication", cluster,
                        c -> (long) clusterValue(c, ClusterStatus::replicatedEntries),
                        c -> clusterValue(c, s -> s.replicationTime().toNanos()), TimeUnit.NANOSECONDS)
                .description("This node's log entries from submission until committed and applied here")
                .tags(tags).register(registry);
    }

    /**
     * A figure of a cluster node's status ({@code cluster} or {@code cloud-cluster} storage), or NaN once the
     * storage is closed (meters outlive the space).
     */
    private static double clusterValue(SharedStorage cluster, ToDoubleFunction<ClusterStatus> figure) {
        try {
            return figure.applyAsDouble(cluster instanceof CloudClusterFileStorage c ? c.status()
                    : ((ClusterFileStorage) cluster).status());
        } catch (StorageException e) {
            return Double.NaN;
        }
    }

    private void bindCloud(MeterRegistry registry, CloudFileStorage cloud) {
        bindUpload(registry, cloud, CloudFileStorage::uploadBacklogBytes,
                c -> c.oldestUnuploadedCommitAge().toMillis(), cloud.provider());
        Gauge.builder("protobase.cloud.gc.pending", cloud, CloudFileStorage::pendingSegmentDeletions)
                .description("Segments released by compaction whose S3 objects are not deleted yet (gc-grace)")
                .tags(tags).register(registry);
    }

    private void bindCloudCluster(MeterRegistry registry, CloudClusterFileStorage cloudCluster) {
        bindCluster(registry, cloudCluster);
        bindUpload(registry, cloudCluster, CloudClusterFileStorage::uploadBacklogBytes, c -> c.uploadLag().toMillis(),
                cloudCluster.provider());
        Gauge.builder("protobase.cloud.upload.index", cloudCluster, CloudClusterFileStorage::uploadedIndex)
                .description("The Raft log index of the newest state the bucket holds (-1 before the first upload)")
                .tags(tags).register(registry);
        Gauge.builder("protobase.cloud.gc.pending", cloudCluster, CloudClusterFileStorage::pendingSegmentDeletions)
                .description("Segments released by compaction whose S3 objects are not deleted yet (gc-grace; "
                        + "counted by the leader)").tags(tags).register(registry);
    }

    /**
     * The upload meters of a storage that keeps its data in S3: backlog, lag, S3 requests and bytes sent,
     * the last three counted by {@code provider}.
     */
    private <S> void bindUpload(MeterRegistry registry, S storage, ToDoubleFunction<S> backlogBytes,
            ToDoubleFunction<S> lagMillis, CloudBlockProvider provider) {
        Gauge.builder("protobase.cloud.upload.backlog", storage, backlogBytes)
                .description("Bytes of committed log not yet uploaded to S3").baseUnit(BaseUnits.BYTES).tags(tags)
                .register(registry);
        TimeGauge.builder("protobase.cloud.upload.lag", storage, TimeUnit.MILLISECONDS, lagMillis)
                .description("Age of the oldest commit not yet uploaded to S3 (0 when none)").tags(tags)
                .register(registry);
        FunctionCounter.builder("protobase.cloud.requests", provider, CloudBlockProvider::putRequests)
                .description("S3 requests made by the storage").tags(tags).tag("method", "put").register(registry);
        FunctionCounter.builder("protobase.cloud.requests", provider, CloudBlockProvider::getRequests)
                .description("S3 requests made by the storage").tags(tags).tag("method", "get").register(registry);
        FunctionCounter.builder("protobase.cloud.upload.bytes", provider, CloudBlockProvider::putBytes)
                .description("Bytes sent to S3 with PUT requests (chunks, segments, root objects)")
                .baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
    }
}
