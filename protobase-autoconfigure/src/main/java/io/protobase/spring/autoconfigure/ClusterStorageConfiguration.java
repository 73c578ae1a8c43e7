package io.protobase.spring.autoconfigure;

import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.file.FileBlockProvider;
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

/**
 * {@code protobase.storage.type=cluster}: this application is one node of a Raft group
 * ({@code protobase.storage.cluster.*}), with its log and its copy of the data in
 * {@code protobase.storage.cluster.path}. Apache Ratis is an optional dependency of the engine, so
 * its absence is reported here, naming the artifacts to add, before anything of Ratis is loaded.
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

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ResourceLoader resourceLoader) {
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        requireRatis(resourceLoader.getClassLoader());
        Path directory = StorageDirectories.usable("protobase.storage.cluster.path", cluster.path());
        ClusterFileStorage.Options options = ClusterFileStorage.Options.of(cluster.nodeId(), cluster.members())
                .withElectionTimeout(cluster.electionTimeout()).withRequestTimeout(cluster.requestTimeout())
                .withRetries(cluster.retries()).withReadConsistency(cluster.readConsistency())
                .withGroupName(cluster.groupName()).withSegmentSize(cluster.segmentSize().toBytes())
                .withSnapshotInterval(cluster.snapshotInterval());
        try {
            return new ClusterFileStorage(new FileBlockProvider(directory), options);
        } catch (StorageException e) {
            throw new ClusterStorageUnusableException("cannot open cluster node " + options.self() + " in "
                    + directory + ": " + e.getMessage(), "Check that port " + options.self().port() + " on "
                    + options.self().host() + " is free and belongs to this node (protobase.storage.cluster.host, "
                    + ".port or its entry in .peers), and that protobase.storage.cluster.path is this node's own "
                    + "directory (a node whose directory was lost joins under a new node-id).", e);
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
