package io.protobase.spring.autoconfigure;

import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.HazelcastMembership;
import io.protobase.storage.cluster.ClusterTls;
import io.protobase.storage.file.FileBlockProvider;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.function.UnaryOperator;

/**
 * {@code protobase.storage.type=cluster}: this application is one node of a Raft group
 * ({@code protobase.storage.cluster.*}), with its log and its copy of the data in
 * {@code protobase.storage.cluster.path}. Apache Ratis is an optional dependency of the engine, so
 * its absence is reported here, naming the artifacts to add, before anything of Ratis is loaded.
 * Without {@code protobase.storage.cluster.peers} the members are discovered through Hazelcast
 * ({@link HazelcastDiscovery}), whose absence is reported the same way. With
 * {@code protobase.storage.cluster.ssl.bundle} the Raft traffic uses mutual TLS with that Spring Boot
 * SSL bundle's key and trust material.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cluster")
class ClusterStorageConfiguration {

    /** The Ratis version the engine is built and tested with. */
    private static final String RATIS_VERSION = "3.2.1";

    /** A class of each Ratis artifact the cluster storage needs, by the artifact's Maven coordinates. */
    private static final Map<String, String> RATIS = new LinkedHashMap<>();

    static {
        RATIS.put("org.apache.ratis:ratis-server", "org.apache.ratis.server.impl.ServerImplUtils");
        RATIS.put("org.apache.ratis:ratis-grpc", "org.apache.ratis.grpc.GrpcFactory");
        RATIS.put("org.apache.ratis:ratis-metrics-dropwizard3",
                "org.apache.ratis.metrics.dropwizard3.Dm3MetricRegistriesImpl");
    }

    private static final String SSL_BUNDLE = "protobase.storage.cluster.ssl.bundle";

    /** The class of {@code com.hazelcast:hazelcast} the discovery of nodes without peers needs. */
    private static final String HAZELCAST = "com.hazelcast.core.HazelcastInstance";

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ResourceLoader resourceLoader,
            DefaultListableBeanFactory beanFactory, ObjectProvider<SslBundles> sslBundles) {
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        requireDependencies(StorageType.CLUSTER, missingRatis(resourceLoader.getClassLoader()), "");
        UnaryOperator<ClusterFileStorage.Options> settings = settings(cluster, tls(cluster.ssl(), sslBundles));
        Path directory = StorageDirectories.usable("protobase.storage.cluster.path", cluster.path());
        if (cluster.peers().isEmpty()) {
            HazelcastDiscovery.Joined joined = discover(StorageType.CLUSTER, cluster, directory,
                    resourceLoader.getClassLoader(), beanFactory);
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

    /**
     * The {@code protobase.storage.cluster.*} settings of a node (timeouts, retries, read consistency, group
     * name, segment size, snapshot interval, TLS), applied to the options of its id and peers.
     */
    static UnaryOperator<ClusterFileStorage.Options> settings(ProtoBaseProperties.Cluster cluster,
            @Nullable ClusterTls tls) {
        return o -> o.withElectionTimeout(cluster.electionTimeout()).withRequestTimeout(cluster.requestTimeout())
                .withRetries(cluster.retries()).withReadConsistency(cluster.readConsistency())
                .withGroupName(cluster.groupName()).withSegmentSize(cluster.segmentSize().toBytes())
                .withSnapshotInterval(cluster.snapshotInterval()).withTls(tls);
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
     * Mutual TLS from the SSL bundle {@code protobase.storage.cluster.ssl.bundle} names (its key and trust
     * managers, as Boot's {@code SslBundles} builds them), or {@code null} without that key: plain gRPC.
     */
    static @Nullable ClusterTls tls(ProtoBaseProperties.ClusterSsl ssl, ObjectProvider<SslBundles> sslBundles) {
        String name = ssl.bundle();
        if (name == null) {
            return null;
        }
        SslBundles bundles = sslBundles.getIfAvailable();
        if (bundles == null) {
            throw new ClusterStorageUnusableException(SSL_BUNDLE + " is '" + name + "' but the application has no SSL"
                    + " bundles (Spring Boot's SslBundles bean)", "Keep Spring Boot's SslAutoConfiguration enabled and"
                    + " define the bundle under spring.ssl.bundle.jks." + name + " or spring.ssl.bundle.pem." + name
                    + ", or remove " + SSL_BUNDLE + " for plain Raft traffic.", null);
        }
        SslBundle bundle;
        try {
            bundle = bundles.getBundle(name);
        } catch (NoSuchSslBundleException e) {
            List<String> known = bundles.getBundleNames();
            throw new ClusterStorageUnusableException(SSL_BUNDLE + " names the SSL bundle '" + name + "', but no"
                    + " bundle of that name is defined (" + (known.isEmpty() ? "none is" : "defined: " + known) + ")",
                    "Define the bundle under spring.ssl.bundle.jks." + name + " (a key store with this node's key"
                            + " and a trust store with the authority of the nodes' certificates) or"
                            + " spring.ssl.bundle.pem." + name + ", or set " + SSL_BUNDLE + " to the name of a"
                            + " defined bundle.", e);
        }
        try {
            return ClusterTls.of(bundle.getManagers().getKeyManagerFactory(),
                    bundle.getManagers().getTrustManagerFactory());
        } catch (StorageException | IllegalStateException e) {
            throw new ClusterStorageUnusableException("the SSL bundle '" + name + "' (" + SSL_BUNDLE + ") cannot"
                    + " secure the Raft traffic: " + e.getMessage(), "Give the bundle '" + name + "' a key store"
                    + " with this node's private key and certificate chain and a trust store with the certificate"
                    + " of the authority that issued the nodes' certificates.", e);
        }
    }

    /**
     * How this node starts, found through Hazelcast: without a peers list the nodes publish their Raft
     * addresses there; a new group forms from the first {@code initial-members} of them, a node started
     * later joins the running group as a learner, a node with its directory restarts at once.
     *
     * @param type the storage type, named in a failure report
     * @param directory the node's Raft directory, which tells whether it ran before
     */
    static HazelcastDiscovery.Joined discover(StorageType type, ProtoBaseProperties.Cluster cluster, Path directory,
            ClassLoader classLoader, DefaultListableBeanFactory beanFactory) {
        if (!ClassUtils.isPresent(HAZELCAST, classLoader)) {
            throw new ClusterStorageUnusableException(type, "protobase.storage.cluster.peers is not set, so the cluster"
                    + " nodes find each other through Hazelcast, but com.hazelcast:hazelcast is not on the classpath",
                    "Add com.hazelcast:hazelcast (its version is managed by Spring Boot) to the application's "
                            + "dependencies, or list the members in protobase.storage.cluster.peers.", null);
        }
        ClusterPeer self = cluster.self();
        try {
            return HazelcastDiscovery.join(cluster, self, directory, beanFactory, "protoBaseStorage");
        } catch (StorageException e) {
            throw new ClusterStorageUnusableException(type, "cluster node " + self + " cannot find the members of its"
                    + " Raft group through Hazelcast: " + e.getMessage(), "Start the other "
                    + (cluster.initialMembers() - 1) + " initial members with the same "
                    + "protobase.storage.cluster.hazelcast.cluster-name and group-name, check that their Hazelcast "
                    + "members can reach each other (protobase.storage.cluster.hazelcast.members, .port), lower "
                    + "protobase.storage.cluster.initial-members, or list the peers in "
                    + "protobase.storage.cluster.peers.", e);
        }
    }

    /**
     * The Ratis artifacts the cluster storages need that {@code classLoader} lacks, under the library's name
     * (none when all are present), for {@link #requireDependencies}.
     */
    static Map<String, List<String>> missingRatis(ClassLoader classLoader) {
        List<String> missing = RATIS.entrySet().stream().filter(e -> !ClassUtils.isPresent(e.getValue(), classLoader))
                .map(e -> e.getKey() + ":" + RATIS_VERSION).toList();
        return missing.isEmpty() ? Map.of() : Map.of("Apache Ratis", missing);
    }

    /**
     * Fails, naming every missing library and artifact, unless {@code missing} is empty. Apache Ratis (and
     * the AWS SDK) are optional dependencies of the engine, so single-node applications do not carry them.
     *
     * @param missing the artifacts {@code type} needs that the classpath lacks, by library
     * @param alternative what else makes the storage usable, as the end of a sentence ("" for nothing)
     */
    static void requireDependencies(StorageType type, Map<String, List<String>> missing, String alternative) {
        if (missing.isEmpty()) {
            return;
        }
        String libraries = missing.entrySet().stream().map(e -> e.getKey() + " (" + String.join(", ", e.getValue())
                + ")").collect(Collectors.joining(" and "));
        List<String> artifacts = missing.values().stream().flatMap(List::stream).toList();
        throw new ClusterStorageUnusableException(type, "protobase.storage.type is '" + type + "' but " + libraries
                + (missing.size() == 1 ? " is" : " are") + " not (completely) on the classpath",
                "Add " + String.join(", ", artifacts) + " to the application's dependencies (the engine declares "
                        + "them optional, so single-node applications do not carry them)" + alternative
                        + ", or choose another protobase.storage.type.", null);
    }
}
