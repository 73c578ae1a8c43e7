package io.protobase.storage.cluster;

import io.protobase.storage.cloud.ChunkSweeper;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.RootObject;
import io.protobase.storage.cloud.RootObjectWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Garbage collection in the bucket of a cloud cluster, run by the Raft leader's upload loop only
 * (docs/cloud.md, "Cloud cluster: space reclamation"). The upload marks leave out the segments every
 * node gave up (gone, docs/cluster.md "Space reclamation"), so the root object of a newer mark no
 * longer lists them in {@code segments=}; this collector moves them to {@code released=} in that
 * root, stamped with the leader's clock, and once {@code gc-grace} has passed deletes their chunks
 * and drops them from the list. Orphan chunks (of segments no root object names, shipped by a round
 * whose root was never written) are deleted once seen for the grace. The lists live in the root
 * object: a new leader takes them over when it claims it, and a deposed leader deletes nothing, as
 * it checks before each deletion that the root object still carries its epoch. Uploader thread only,
 * except the counters.
 */
final class ClusterChunkCollector {

    private static final Logger LOG = LoggerFactory.getLogger(CloudClusterFileStorage.class);

    /** The lists of a root object about to be written, the releases it makes public and their stamp. */
    record Lists(NavigableSet<Long> live, NavigableMap<Long, Long> released, List<Long> dropped, long stamp) {
    }

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final SegmentReplica replica;
    private final UploadMarks marks;
    private final ChunkSweeper sweeper;
    private final long graceMillis;
    private final Clock clock;

    /** The live list of the root object this leader last wrote or claimed; null before its first claim. */
    private NavigableSet<Long> live;
    /** The released list of that root, with the stamps from when the grace counts. */
    private NavigableMap<Long, Long> released = new TreeMap<>();
    /** Whether the root object must be written again for the lists alone (a deletion, a later stamp). */
    private boolean rootStale;
    /** Clock millis of the next orphan pass. */
    private long nextOrphanPass;

    private volatile int pending;
    private final AtomicLong deletedSegments = new AtomicLong();
    private final AtomicLong deletedOrphans = new AtomicLong();
    private volatile String lastFailure;

    ClusterChunkCollector(CloudBlockProvider provider, SegmentReplica replica, long graceMillis, Clock clock) {
        this.provider = provider;
        this.store = provider.store();
        this.replica = replica;
        this.marks = replica.marks();
        this.sweeper = new ChunkSweeper(provider, graceMillis);
        this.graceMillis = graceMillis;
        this.clock = clock;
    }

    /**
     * Takes the lists of the root object this leader just claimed: what the leaders before released goes
     * on. Orphans are counted afresh: a new leader observes them for a whole grace, meanwhile applying
     * the log its predecessor marked and shipped.
     */
    void adopt(RootObject claimed) {
        live = new TreeSet<>(claimed.lengths() != null ? claimed.lengths().keySet()
                : claimed.segments() != null ? claimed.segments() : Set.of());
        released = new TreeMap<>(claimed.released());
        pending = released.size();
        rootStale = false;
        sweeper.forgetOrphans();
        nextOrphanPass = clock.millis() + graceMillis;
    }

    /** Whether the root object must be written again for the garbage-collection lists alone. */
    boolean rootStale() {
        return rootStale;
    }

    /**
     * The lists of the root object naming mark {@code m}: its segments are the live list; a segment the
     * last root listed as live and {@code m} no longer names is gone, and is released, stamped now.
     */
    Lists next(UploadMarks.Mark m) {
        long now = clock.millis();
        NavigableSet<Long> nextLive = new TreeSet<>(m.lengths().keySet());
        NavigableMap<Long, Long> nextReleased = new TreeMap<>(released);
        List<Long> dropped = new ArrayList<>();
        for (long id : live == null ? Set.<Long>of() : live) {
            if (!nextLive.contains(id) && nextReleased.putIfAbsent(id, now) == null) {
                dropped.add(id);
            }
        }
        nextReleased.keySet().removeAll(nextLive);
        return new Lists(nextLive, nextReleased, dropped, now);
    }

    /**
     * Adopts the lists of the root object just written. A reader may have read the older root until the
     * PUT returned, so the grace of the releases it made public counts from now; the next root records
     * the later stamp (a new leader before that counts from the earlier one, the PUT's duration sooner).
     */
    void published(Lists lists) {
        long written = clock.millis();
        live = lists.live();
        released = lists.released();
        pending = released.size();
        rootStale = false;
        if (written != lists.stamp()) {
            for (long id : lists.dropped()) {
                if (released.replace(id, lists.stamp(), written)) {
                    rootStale = true;
                }
            }
        }
    }

    /**
     * One pass, after a successful round of the leader that holds the root object's chain at
     * {@code epoch}: deletes the chunks of segments released longer than the grace ago and, every grace
     * period, LISTs the bucket for orphans. Each deletion waits until a read of the root object shows
     * this epoch still (a deposed leader deletes nothing). A failure is logged and retried at the next
     * pass; commits never see it.
     *
     * <p>A pass stops starting deletions once it has taken {@link ChunkSweeper#PASS_BUDGET_MILLIS}; the next
     * round's pass goes on where it stopped.
     */
    void collect(RootObjectWriter writer, long epoch, BooleanSupplier leading) {
        if (live == null) {
            return;
        }
        long now = clock.millis();
        long stopAt = now + ChunkSweeper.PASS_BUDGET_MILLIS;
        try {
            List<Long> due = sweeper.due(released, now);
            if (!due.isEmpty() && holds(writer, epoch, leading)) {
                int deleted = ChunkSweeper.withinBudget(due, clock, stopAt, id -> {
                    sweeper.deleteChunks(id);
                    released.remove(id);
                    rootStale = true;
                    deletedSegments.incrementAndGet();
                });
                pending = released.size();
                LOG.debug("Deleted the chunks of {} of {} released segment(s) due in {}", deleted, due.size(),
                        store.describe());
            }
            if (now >= nextOrphanPass && clock.millis() < stopAt
                    && collectOrphans(writer, epoch, leading, now, stopAt)) {
                nextOrphanPass = now + graceMillis;
            }
            if (lastFailure != null) {
                LOG.info("Garbage collection in {} works again", store.describe());
            }
            lastFailure = null;
        } catch (RuntimeException e) {
            if (lastFailure == null) {
                LOG.warn("Garbage collection in {} failed; it is retried at the next pass and commits are not "
                        + "affected: {}", store.describe(), e.getMessage());
            }
            lastFailure = e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /**
     * Deletes the chunks seen orphaned for the grace: a chunk of a segment that neither list of the root
     * object names, that no upload mark from the uploaded one on names (the round in progress ships
     * those), and that this node does not hold as a segment the cluster may still name.
     *
     * @return whether nothing due is left (the pass ran out of its budget otherwise: the next one lists again)
     */
    private boolean collectOrphans(RootObjectWriter writer, long epoch, BooleanSupplier leading, long now,
            long stopAt) {
        Set<Long> named = new HashSet<>(live);
        named.addAll(released.keySet());
        List<String> due = sweeper.dueOrphans(store.list(provider.segmentsPrefix()),
                id -> !named.contains(id) && !marks.names(id) && !replica.holdsLive(id), now);
        if (due.isEmpty() || !holds(writer, epoch, leading)) {
            return true;
        }
        int deleted = ChunkSweeper.withinBudget(due, clock, stopAt, key -> {
            sweeper.deleteOrphan(key);
            deletedOrphans.incrementAndGet();
        });
        LOG.info("Deleted {} of {} orphan chunk(s) due in {} that no root object names", deleted, due.size(),
                store.describe());
        return deleted == due.size();
    }

    /** Whether this node still leads and the bucket's root object still carries its epoch. */
    private static boolean holds(RootObjectWriter writer, long epoch, BooleanSupplier leading) {
        return leading.getAsBoolean() && writer.currentEpoch() == epoch;
    }

    /** Released segments whose chunks are not deleted yet, as the last root this node wrote lists them. */
    int pendingSegmentDeletions() {
        return pending;
    }

    long deletedSegments() {
        return deletedSegments.get();
    }

    long deletedOrphanChunks() {
        return deletedOrphans.get();
    }

    Optional<String> failure() {
        return Optional.ofNullable(lastFailure);
    }
}
