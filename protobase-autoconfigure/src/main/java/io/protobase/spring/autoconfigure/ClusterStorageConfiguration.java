package io.protobase.spring.autoconfigure;

import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.HazelcastMembership;
import io.protobase.storage.file.FileBlockProvider;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * {@code protobase.storage.type=cluster}: this application is one node of a Raft group
 * ({@code protobase.storage.cluster.*}), with its log and its copy of the data in
 * {@code protobase.storage.cluster.path}. Apache Ratis is an optional dependency of the engine, so
 * its absence is reported here, naming the artifacts to add, before anything of Ratis is loaded.
 * Without {@code protobase.storage.cluster.peers} the members are discovered through Hazelcast
 * ({@link HazelcastDiscovery}), whose absence is reported the same way.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cluster")
class ClusterStorageConfiguration {

    /** A class of each Ratis artifact the cluster storage needs, by the artifact's Maven coordinates. */
    private static final Map<String, String> RATIS = new LinkedHashMap<>();

    static {
        RATIS.put("org.apache.ratis:ratis-server", "org.apache.ratis.server.impl.ServerImplUtils");
        RATIS.put("org.apache.ratis:ratis-grpc", "org.apache.ratis.grpc.GrpcFactory");
        RATIS.put("org.apache.ratis:ratis-metrics-dropwizard3",
                "org.apache.ratis.metrics.dropwizard3.Dm3MetricRegistriesImpl");
    }

    /** The class of {@code com.hazelcast:hazelcast} the discovery of nodes without peers needs. */
    private static final String HAZELCAST = "com.hazelcast.core.HazelcastInstance";

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ResourceLoader resourceLoader,
            DefaultListableBeanFactory beanFactory) {
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        requireRatis(resourceLoader.getClassLoader());
        Path directory = StorageDirectories.usable("protobase.storage.cluster.path", cluster.path());
        UnaryOperator<ClusterFileStorage.Options> settings = o -> o.withElectionTimeout(cluster.electionTimeout())
                .withRequestTimeout(cluster.requestTimeout()).withRetries(cluster.retries())
                .withReadConsistency(cluster.readConsistency()).withGroupName(cluster.groupName())
                .withSegmentSize(cluster.segmentSize().toBytes()).withSnapshotInterval(cluster.snapshotInterval());
        if (cluster.peers().isEmpty()) {
            HazelcastDiscovery.Joined joined = discover(cluster, directory, resourceLoader.getClassLoader(),
                    beanFactory);
            HazelcastMembership.Start start = joined.start();
            ClusterFileStorage.Options options = settings.apply(ClusterFileStorage.Options.of(start.nodeId(),
                    start.peers()));
            ClusterFileStorage storage = open(directory, options,
                    () -> start.open(new FileBlockProvider(directory), settings));
            joined.grow(storage, cluster.membershipCheckInterval());
            return storage;
        }
        ClusterFileStorage.Options options = settings.apply(ClusterFileStorage.Options.of(cluster.nodeId(),
                cluster.members()));
        return open(directory, options, () -> new ClusterFileStorage(new FileBlockProvider(directory), options));
    }

    private static ClusterFileStorage open(Path directory, ClusterFileStorage.Options options,
            Supplier<ClusterFileStorage> opening) {
        try {
            return opening.get();
        } catch (StorageException e) {
            throw new ClusterStorageUnusableException("cannot open cluster node " + options.self() + " in "
                    + directory + ": " + e.getMessage(), "Check that port " + options.self().port() + " on "
                    + options.self().host() + " is free and belongs to this node (protobase.storage.cluster.host, "
                    + ".port or its entry in .peers), and that protobase.storage.cluster.path is this node's own "
                    + "directory (a node whose directory was lost joins under a new node-id).", e);
        }
    }

    /**
     * How this node starts, found through Hazelcast: without a peers list the nodes publish their Raft
     * addresses there; a new group forms from the first {@code initial-members} of them, a node started
     * later joins the running group as a learner, a node with its directory restarts at once.
     */
    private static HazelcastDiscovery.Joined discover(ProtoBaseProperties.Cluster cluster, Path directory,
            ClassLoader classLoader, DefaultListableBeanFactory beanFactory) {
        if (!ClassUtils.isPresent(HAZELCAST, classLoader)) {
            throw new ClusterStorageUnusableException("protobase.storage.cluster.peers is not set, so the cluster"
                    + " nodes find each other through Hazelcast, but com.hazelcast:hazelcast is not on the classpath",
                    "Add com.hazelcast:hazelcast (its version is managed by Spring Boot) to the application's "
                            + "dependencies, or list the members in protobase.storage.cluster.peers.", null);
        }
        ClusterPeer self = cluster.self();
        try {
            return HazelcastDiscovery.join(cluster, self, directory, beanFactory, "protoBaseStorage");
        } catch (StorageException e) {
            throw new ClusterStorageUnusableException("cluster node " + self + " cannot find the members of its"
                    + " Raft group through Hazelcast: " + e.getMessage(), "Start the other "
                    + (cluster.initialMembers() - 1) + " initial members with the same "
                    + "protobase.storage.cluster.hazelcast.cluster-name and group-name, check that their Hazelcast "
                    + "members can reach each other (protobase.storage.cluster.hazelcast.members, .port), lower "
                    + "protobase.storage.cluster.initial-members, or list the peers in "
                    + "protobase.storage.cluster.peers.", e);
        }
    }

    /** Fails, naming every missing artifact, unless each Ratis artifact the storage needs is present. */
    private static void requireRatis(ClassLoader classLoader) {
        List<String> missing = RATIS.entrySet().stream().filter(e -> !ClassUtils.isPresent(e.getValue(), classLoader))
                .map(Map.Entry::getKey).toList();
        if (!missing.isEmpty()) {
            throw new ClusterStorageUnusableException("protobase.storage.type is 'cluster' but Apache Ratis is not "
                    + "(completely) on the classpath: " + String.join(", ", missing) + " missing",
                    "Add " + String.join(", ", missing.stream().map(m -> m + ":3.2.1").toList())
                            + " to the application's dependencies (the engine declares them optional, so "
                            + "single-node applications do not carry them), or choose another "
                            + "protobase.storage.type.", null);
        }
    }
}
