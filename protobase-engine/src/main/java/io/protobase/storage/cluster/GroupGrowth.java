package io.protobase.storage.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.map.MapEvent;
import io.protobase.StorageClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The leader's side of {@link HazelcastMembership#grow}: on one thread, at every Hazelcast event and
 * every check interval, a node that leads publishes the group's configuration, compares it with the
 * nodes published in Hazelcast, and adds one published node that is not a member (in place of the voter
 * it replaces, if that voter is lost). Raft brings the new node up to date before it counts as a voter
 * (see {@link ClusterFileStorage#learner}). Every change is a compare-and-set on the configuration it was
 * decided on, so a decision of an earlier leader, or on a configuration that changed meanwhile, is
 * refused by Raft and taken again on the next check. Nodes that do not lead only watch.
 */
final class GroupGrowth implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupGrowth.class);

    private final HazelcastMembership membership;
    private final ClusterFileStorage storage;
    private final ScheduledExecutorService checks;
    private final UUID entryListener;
    private final UUID membershipListener;

    GroupGrowth(HazelcastMembership membership, ClusterFileStorage storage, Duration checkInterval) {
        this.membership = membership;
        this.storage = storage;
        this.checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "protobase-group-growth-" + storage.options().nodeId());
            thread.setDaemon(true);
            return thread;
        });
        this.entryListener = membership.publishedNodes().addEntryListener(new PublishedNodeEvents());
        this.membershipListener = membership.hazelcast().getCluster().addMembershipListener(new MemberEvents());
        checks.scheduleWithFixedDelay(this::check, 0, checkInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void trigger() {
        try {
            checks.execute(this::check);
        } catch (RejectedExecutionException closed) {
            // stopped meanwhile: nothing to grow any more
        }
    }

    /** One check; never throws, so the periodic checks go on. */
    private void check() {
        try {
            grow();
        } catch (StorageClosedException closed) {
            // the node closes before its membership: nothing to do any more
        } catch (RuntimeException e) {
            LOG.info("Growing the group through {} failed, trying again at the next check: {}", storage.describe(),
                    e.toString());
        }
    }

    private void grow() {
        ClusterStatus status = storage.status();
        if (status.role() != ClusterStatus.Role.LEADER) {
            return;
        }
        List<ClusterPeer> voters = status.members().stream().filter(ClusterStatus.Member::voting)
                .map(ClusterStatus.Member::peer).toList();
        List<ClusterPeer> listeners = status.members().stream().filter(m -> !m.voting())
                .map(ClusterStatus.Member::peer).toList();
        PublishedGroup before = membership.publishedGroup();
        int highest = Stream.concat(voters.stream(), listeners.stream()).mapToInt(ClusterPeer::nodeId)
                .reduce(before == null ? 0 : before.highestNodeId(), Math::max);
        membership.publishGroup(new PublishedGroup(voters, listeners, highest));

        List<ClusterPeer> live = membership.members();
        Set<Integer> liveIds = live.stream().map(ClusterPeer::nodeId).collect(Collectors.toSet());
        Set<Integer> memberIds = status.members().stream().map(m -> m.peer().nodeId()).collect(Collectors.toSet());
        Optional<ClusterPeer> newcomer = live.stream().filter(p -> !memberIds.contains(p.nodeId())).findFirst();
        if (newcomer.isEmpty()) {
            return;
        }
        ClusterPeer learner = newcomer.get();
        Optional<ClusterPeer> lost = voters.stream().filter(v -> v.host().equals(learner.host())
                && v.port() == learner.port() && !liveIds.contains(v.nodeId())).findFirst();
        List<ClusterPeer> after = new ArrayList<>(voters);
        lost.ifPresent(after::remove);
        after.add(learner);
        storage.changeMembers(voters, listeners, after, listeners);
        LOG.info("Added node {} as a voter of the group{}", learner,
                lost.map(v -> " in place of node " + v + ", which is lost (its address is " + learner
                        + "'s and no live Hazelcast member publishes it)").orElse(""));
    }

    @Override
    public void close() {
        try {
            membership.publishedNodes().removeEntryListener(entryListener);
            membership.hazelcast().getCluster().removeMembershipListener(membershipListener);
        } catch (RuntimeException e) {
            // Hazelcast shut down first: its listeners are gone with it
            LOG.debug("Removing the listeners of {}: {}", storage.describe(), e.toString());
        }
        checks.shutdownNow();
    }

    private final class PublishedNodeEvents implements EntryListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            trigger();
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            trigger();
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            trigger();
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> event) {
            trigger();
        }

        @Override
        public void entryExpired(EntryEvent<String, String> event) {
            trigger();
        }

        @Override
        public void mapCleared(MapEvent event) {
            trigger();
        }

        @Override
        public void mapEvicted(MapEvent event) {
            trigger();
        }
    }

    private final class MemberEvents implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent event) {
            trigger();
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
            trigger();
        }
    }
}
