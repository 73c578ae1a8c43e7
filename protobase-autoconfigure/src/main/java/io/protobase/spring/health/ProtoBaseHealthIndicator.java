package io.protobase.spring.health;

import io.protobase.CorruptionException;
import io.protobase.ObjectSpace;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterStatus;
import io.protobase.storage.SharedStorage;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Health of an {@link ObjectSpace}: UP when the space is open, its root record readable and (for a
 * file storage) its directory present and writable; DOWN with a {@code reason} otherwise. Details:
 * {@code type}, {@code location}, {@code databases}, {@code lastCommit}; for a cluster node also its Raft
 * state, and DOWN without a quorum; for a cloud storage and a cloud cluster node also the upload state,
 * and DOWN when commits fail for want of the bucket.
 *
 * <p>Reading the root goes through the storage's checksums, so a corrupt root shows as DOWN; it is
 * one small read, served from the OS cache in the usual case.
 */
public class ProtoBaseHealthIndicator extends AbstractHealthIndicator {

    private final ObjectSpace space;
    private final String type;
    private final Path directory;

    /**
     * @param space the object space to watch
     * @param type the storage type reported ({@code memory}, {@code file}, ...)
     * @param directory the storage directory to check for writability, or {@code null}
     */
    public ProtoBaseHealthIndicator(ObjectSpace space, String type, Path directory) {
        super("ProtoBase health check failed");
        this.space = space;
        this.type = type;
        this.directory = directory;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        SharedStorage storage = space.storage();
        builder.withDetail("type", type)
                .withDetail("location", directory != null ? directory.toString() : storage.describe());
        if (space.isClosed() || space.isClosing()) {
            builder.down().withDetail("reason", "the object space is "
                    + (space.isClosed() ? "closed" : "shutting down"));
            return;
        }
        if (directory != null && !(Files.isDirectory(directory) && Files.isWritable(directory))) {
            builder.down().withDetail("reason", "the storage directory " + directory
                    + (Files.isDirectory(directory) ? " is not writable" : " is missing"));
            return;
        }
        try {
            ClusterStatus status = storage instanceof ClusterFileStorage cluster ? cluster.status()
                    : storage instanceof CloudClusterFileStorage cloudCluster ? cloudCluster.status() : null;
            if (status != null && !clusterHealth(builder, status)) {
                if (storage instanceof CloudClusterFileStorage cloudCluster) {
                    uploadDetails(builder, cloudCluster, status);
                }
                return;
            }
            AtomPointer root = storage.readRoot();
            if (root != null) {
                storage.read(root);
            }
            List<String> databases = space.listDatabases();
            Instant lastCommit = space.statistics().lastCommit();
            builder.up().withDetail("databases", databases);
            if (lastCommit != null) {
                builder.withDetail("lastCommit", lastCommit.toString());
            }
            if (storage instanceof CloudFileStorage cloud) {
                cloudHealth(builder, cloud);
            }
            if (storage instanceof CloudClusterFileStorage cloudCluster) {
                cloudClusterHealth(builder, cloudCluster, status);
            }
        } catch (CorruptionException e) {
            builder.down().withDetail("reason", "corrupt: " + e.getMessage());
        } catch (RuntimeException e) {
            builder.down().withDetail("reason", e.getMessage());
        }
    }

    /**
     * Raft state of a cluster node: role, term, leader, commit and applied index, lag, the members
     * and whether this node is in contact with a majority. Without one it is DOWN at once, without
     * the read of the root, which would wait out the request timeout: commits and linearizable reads
     * on this node fail until a majority is back.
     *
     * @return whether the node has a quorum
     */
    private static boolean clusterHealth(Health.Builder builder, ClusterStatus status) {
        builder.withDetail("nodeId", status.self().nodeId())
                .withDetail("role", status.role().name().toLowerCase(Locale.ROOT))
                .withDetail("term", status.term())
                .withDetail("commitIndex", status.commitIndex())
                .withDetail("appliedIndex", status.appliedIndex())
                .withDetail("lag", status.lag())
                .withDetail("quorum", status.quorum());
        status.leader().ifPresent(leader -> builder.withDetail("leader", leader));
        List<Map<String, Object>> peers = new ArrayList<>();
        for (ClusterStatus.Member m : status.members()) {
            Map<String, Object> peer = new LinkedHashMap<>();
            peer.put("nodeId", m.peer().nodeId());
            peer.put("address", m.peer().host() + ":" + m.peer().port());
            peer.put("voting", m.voting());
            peer.put("commitIndex", m.commitIndex());
            m.lastContact().ifPresent(d -> peer.put("lastContact", d.toString()));
            peers.add(peer);
        }
        builder.withDetail("peers", peers);
        if (!status.quorum()) {
            long voters = status.members().stream().filter(ClusterStatus.Member::voting).count();
            builder.down().withDetail("reason", "no quorum: this node (" + status.role().name().toLowerCase(Locale.ROOT)
                    + ") is not in contact with a majority of the " + voters + " voting members, so commits and "
                    + "linearizable reads fail until enough of them are back");
            return false;
        }
        return true;
    }

    /**
     * Upload state of a cloud storage: backlog and lag always; DOWN when fenced, or in {@code sync}
     * mode while the bucket is unreachable (commits fail then); in {@code async} mode an unreachable
     * bucket leaves it UP, since commits still succeed locally, with the error in the details.
     *
     * <p>A fenced node is DOWN for good: it tells which epoch took the prefix over and what to do,
     * because restarting it is not always right (a restarted node takes the prefix back and fences
     * the other writer in turn).
     */
    private static void cloudHealth(Health.Builder builder, CloudFileStorage cloud) {
        builder.withDetail("durability", cloud.durability().name().toLowerCase())
                .withDetail("uploadBacklogBytes", cloud.uploadBacklogBytes())
                .withDetail("oldestUnuploadedCommitAge", cloud.oldestUnuploadedCommitAge().toString())
                .withDetail("bucketReachable", cloud.isBucketReachable());
        cloud.lastUploadFailure().ifPresent(f -> builder.withDetail("lastUploadError", f));
        builder.withDetail("pendingSegmentDeletions", cloud.pendingSegmentDeletions());
        cloud.garbageCollectionFailure().ifPresent(f -> builder.withDetail("lastGarbageCollectionError", f));
        Optional<CloudFileStorage.Fencing> fencing = cloud.fencing();
        if (fencing.isPresent()) {
            CloudFileStorage.Fencing f = fencing.get();
            String newer = f.newerEpoch().isPresent() ? "writer epoch " + f.newerEpoch().getAsLong()
                    : "another writer";
            builder.down().withDetail("fenced", true).withDetail("writerEpoch", f.epoch());
            f.newerEpoch().ifPresent(e -> builder.withDetail("fencedByEpoch", e));
            builder.withDetail("reason", "fenced: " + newer + " took over " + cloud.provider().store().describe()
                    + " prefix '" + cloud.provider().prefix() + "' from this node (writer epoch " + f.epoch()
                    + "); this node no longer writes, and its commits not yet uploaded are not in the bucket")
                    .withDetail("action", "Keep one writer per prefix. If the other writer is the one to keep, stop "
                            + "this node. If this node should write, restart it: it takes the prefix back and fences "
                            + "the other writer. If two deployments share the prefix by mistake, give each its own "
                            + "protobase.storage.cloud.prefix.");
        } else if (!cloud.isBucketReachable() && cloud.durability() == CloudFileStorage.Durability.SYNC) {
            builder.down().withDetail("reason", "the S3 bucket is unreachable and durability is sync: commits fail");
        } else {
            backlogHealth(builder, cloud.uploadBacklogBytes(), cloud.options());
        }
    }

    /**
     * DOWN once the bytes not in the bucket exceed {@code max-backlog}: commits then wait for the uploader
     * and fail after the commit timeout, whatever the durability.
     */
    private static void backlogHealth(Health.Builder builder, long backlogBytes, CloudFileStorage.Options options) {
        if (backlogBytes > options.maxBacklog()) {
            builder.down().withDetail("reason", "the upload backlog (" + backlogBytes + " bytes not in the bucket) "
                    + "exceeds max-backlog (" + options.maxBacklog() + " bytes): commits wait for the uploads and "
                    + "fail after " + options.commitTimeout());
        }
    }

    /**
     * The upload state of a cloud cluster node: durability, backlog in bytes and in log entries, upload lag,
     * the log index the bucket holds, and (on the leader, which alone uploads) whether the bucket is
     * reachable and why the last upload failed.
     *
     * @return whether the bucket is known to be unreachable (the leader's last upload round failed)
     */
    private static boolean uploadDetails(Health.Builder builder, CloudClusterFileStorage cloudCluster,
            ClusterStatus status) {
        long uploaded = cloudCluster.uploadedIndex();
        long backlogBytes = cloudCluster.uploadBacklogBytes();
        // the entries after the uploaded one include the upload's own bookkeeping (marks, "uploaded")
        long backlogEntries = backlogBytes == 0 || uploaded < 0 ? 0 : Math.max(0, status.appliedIndex() - uploaded);
        builder.withDetail("durability", cloudCluster.cloudOptions().durability().name().toLowerCase(Locale.ROOT))
                .withDetail("uploadBacklogBytes", backlogBytes)
                .withDetail("uploadBacklogEntries", backlogEntries)
                .withDetail("uploadLag", cloudCluster.uploadLag().toString())
                .withDetail("uploadedIndex", uploaded);
        cloudCluster.fencing().ifPresent(f -> builder.withDetail("lastFencing", f));
        if (!cloudCluster.isLeader()) {
            return false;
        }
        Optional<String> failure = cloudCluster.lastUploadFailure();
        builder.withDetail("bucketReachable", failure.isEmpty());
        failure.ifPresent(f -> builder.withDetail("lastUploadError", f));
        // the leader collects garbage in the bucket
        builder.withDetail("pendingSegmentDeletions", cloudCluster.pendingSegmentDeletions());
        cloudCluster.garbageCollectionFailure().ifPresent(f -> builder.withDetail("lastGarbageCollectionError", f));
        return failure.isPresent();
    }

    /**
     * Upload state of a cloud cluster node, with the cloud storage's rules: DOWN when fenced for good
     * (another cluster or a newer generation writes the prefix: commits fail), or with {@code sync} while
     * the bucket does not take the uploads (the leader's last round failed, or the oldest commit not in the
     * bucket has waited longer than the commit timeout: commits fail); with {@code async} an unreachable
     * bucket leaves it UP with the error, since commits still succeed on a majority, until the backlog
     * exceeds {@code max-backlog}. Being deposed as leader in one term (a routine fencing) is shown as
     * {@code lastFencing}, not as DOWN.
     */
    private static void cloudClusterHealth(Health.Builder builder, CloudClusterFileStorage cloudCluster,
            ClusterStatus status) {
        boolean unreachable = uploadDetails(builder, cloudCluster, status);
        CloudFileStorage.Options options = cloudCluster.cloudOptions();
        if (cloudCluster.isFencedForGood()) {
            builder.down().withDetail("fenced", true).withDetail("reason", "fenced: " + cloudCluster.fencing()
                    .orElse("another cluster writes the prefix")).withDetail("action", "Keep one cluster per "
                    + "prefix: give this cluster or the other one its own protobase.storage.cloud.prefix, or stop "
                    + "the cluster that should not write it.");
        } else if (options.durability() == CloudFileStorage.Durability.SYNC
                && (unreachable || cloudCluster.uploadLag().compareTo(options.commitTimeout()) > 0)) {
            builder.down().withDetail("reason", "durability is sync and " + (unreachable
                    ? "the uploads to the S3 bucket fail" : "the oldest commit not in the bucket has waited "
                    + cloudCluster.uploadLag()) + ": commits fail after " + options.commitTimeout());
        } else {
            backlogHealth(builder, cloudCluster.uploadBacklogBytes(), options);
        }
    }
}
