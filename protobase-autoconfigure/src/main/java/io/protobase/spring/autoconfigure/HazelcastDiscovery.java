package io.protobase.spring.autoconfigure;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.HazelcastMembership;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The members of a cluster node's Raft group when {@code protobase.storage.cluster.peers} is not set:
 * found through the application's {@code HazelcastInstance} bean (Spring Boot's Hazelcast
 * auto-configuration), else through an embedded Hazelcast member configured from
 * {@code protobase.storage.cluster.hazelcast.*}. Loaded only once Hazelcast is known to be on the
 * classpath.
 *
 * <p>The membership (and an embedded Hazelcast member) is registered with the bean factory as a
 * disposable that the storage depends on, so the context closes the storage first, then withdraws the
 * node's address and shuts the embedded member down; also when the storage fails to open.
 */
final class HazelcastDiscovery implements DisposableBean {

    private final HazelcastMembership membership;
    private final HazelcastInstance embedded;

    private HazelcastDiscovery(HazelcastMembership membership, HazelcastInstance embedded) {
        this.membership = membership;
        this.embedded = embedded;
    }

    /**
     * Publishes {@code self} and finds how the node starts in its group: a new group once the initial
     * members are published, a running group as a learner, or at once when {@code directory} holds the
     * node's earlier run ({@link HazelcastMembership#awaitGroup}). Once the node is open, pass it to
     * {@link #grow}.
     *
     * @param storageBean the name of the storage bean, which is closed before the discovery
     * @return how the node starts; its {@code membership} grows the group once the node is open
     */
    static Joined join(ProtoBaseProperties.Cluster cluster, ClusterPeer self, Path directory,
            DefaultListableBeanFactory beanFactory, String storageBean) {
        HazelcastInstance application = beanFactory.getBeanProvider(HazelcastInstance.class).getIfUnique();
        HazelcastInstance embedded = application == null ? embedded(cluster) : null;
        HazelcastMembership membership;
        try {
            membership = new HazelcastMembership(application != null ? application : embedded, cluster.groupName(),
                    self);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.shutdown();
            }
            throw e;
        }
        String name = storageBean + ".hazelcastDiscovery";
        beanFactory.registerDisposableBean(name, new HazelcastDiscovery(membership, embedded));
        beanFactory.registerDependentBean(name, storageBean);
        return new Joined(membership, membership.awaitGroup(directory, cluster.initialMembers(),
                cluster.initialMembersTimeout()));
    }

    /**
     * How a node starts, and the membership that grows its group once it is open.
     *
     * @param membership the node's publication in Hazelcast
     * @param start its node id, peers and whether it joins as a learner
     */
    record Joined(HazelcastMembership membership, HazelcastMembership.Start start) {

        /** Lets {@code storage}, once open, grow the group whenever it leads. */
        void grow(ClusterFileStorage storage, Duration checkInterval) {
            membership.grow(storage, checkInterval);
        }
    }

    private static HazelcastInstance embedded(ProtoBaseProperties.Cluster cluster) {
        ProtoBaseProperties.ClusterHazelcast settings = cluster.hazelcast();
        if (settings.members().isEmpty() && !settings.multicast() && cluster.initialMembers() > 1) {
            throw new ClusterStorageUnusableException("protobase.storage.cluster.hazelcast.members is empty and"
                    + " multicast is off: without protobase.storage.cluster.peers the nodes find each other through"
                    + " Hazelcast, and the embedded Hazelcast member of cluster node " + cluster.nodeId()
                    + " has no other member to join",
                    "List the Hazelcast members of the other nodes in protobase.storage.cluster.hazelcast.members "
                            + "(host:port, such as 10.0.0.12:5701), set protobase.storage.cluster.hazelcast.multicast"
                            + "=true on a network that allows it, define a HazelcastInstance bean, or list the Raft "
                            + "peers in protobase.storage.cluster.peers.", null);
        }
        Config config = new Config().setClusterName(settings.clusterName());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().setPort(settings.port()).setPortAutoIncrement(false);
        if (!settings.interfaces().isEmpty()) {
            config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(settings.interfaces());
        }
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(settings.multicast());
        join.getTcpIpConfig().setEnabled(!settings.multicast()).setMembers(settings.members());
        try {
            return Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            throw new ClusterStorageUnusableException("cannot start the embedded Hazelcast member of cluster node "
                    + cluster.nodeId() + " on port " + settings.port() + " (Hazelcast cluster '"
                    + settings.clusterName() + "'): " + e.getMessage(), "Check that "
                    + "protobase.storage.cluster.hazelcast.port (" + settings.port() + ") is free on this host and "
                    + "that protobase.storage.cluster.hazelcast.interfaces names an address of it.", e);
        }
    }

    @Override
    public void destroy() {
        try {
            membership.close();
        } finally {
            if (embedded != null) {
                embedded.shutdown();
            }
        }
    }
}
