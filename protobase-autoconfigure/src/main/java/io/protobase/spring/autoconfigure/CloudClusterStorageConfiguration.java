package io.protobase.spring.autoconfigure;

import io.protobase.PrefixInUseException;
import io.protobase.StorageException;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.HazelcastMembership;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * {@code protobase.storage.type=cloud-cluster}: this application is one node of a Raft group
 * ({@code protobase.storage.cluster.*}) whose leader uploads the replicated data to S3
 * ({@code protobase.storage.cloud.*}, through the {@link ObjectStore} of
 * {@link CloudObjectStoreConfiguration} or the application's own). The node keeps its Raft log and
 * copy of the data in {@code protobase.storage.cloud.cache-dir}/cluster. Apache Ratis and the AWS SDK
 * are optional dependencies of the engine, so their absence is reported here, naming the artifacts to
 * add, before anything of Ratis is loaded. The members are listed in
 * {@code protobase.storage.cluster.peers}, or, without it, find each other through Hazelcast as with
 * {@code type=cluster} ({@link HazelcastDiscovery}); the Raft side is built as
 * {@link ClusterStorageConfiguration} builds it and the bucket side as {@link CloudStorageConfiguration} does.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "protobase.storage.type", havingValue = "cloud-cluster")
class CloudClusterStorageConfiguration {

    private static final String CLUSTER_PATH = "protobase.storage.cluster.path";

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, ResourceLoader resourceLoader,
            Environment environment, ObjectProvider<ObjectStore> objectStores,
            ObjectProvider<SslBundles> sslBundles, DefaultListableBeanFactory beanFactory) {
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        ProtoBaseProperties.Cloud cloud = properties.storage().cloud();
        ObjectStore store = objectStores.getIfAvailable();
        Map<String, List<String>> missing = new LinkedHashMap<>(
                ClusterStorageConfiguration.missingRatis(resourceLoader.getClassLoader()));
        if (store == null) {
            missing.put("the AWS SDK for S3", List.of(CloudStorageConfiguration.S3_STARTER));
        }
        ClusterStorageConfiguration.requireDependencies(StorageType.CLOUD_CLUSTER, missing,
                store == null ? " (or define an io.protobase.storage.cloud.ObjectStore bean for the bucket)" : "");
        if (environment.containsProperty(CLUSTER_PATH)) {
            throw new ClusterStorageUnusableException(StorageType.CLOUD_CLUSTER, CLUSTER_PATH + " is set ('"
                    + environment.getProperty(CLUSTER_PATH) + "'), but a cloud cluster node keeps its Raft log and "
                    + "its copy of the data in the subdirectory 'cluster' of protobase.storage.cloud.cache-dir",
                    "Remove " + CLUSTER_PATH + " and set protobase.storage.cloud.cache-dir to this node's own "
                            + "directory.", null);
        }
        UnaryOperator<ClusterFileStorage.Options> settings = ClusterStorageConfiguration.settings(cluster,
                ClusterStorageConfiguration.tls(cluster.ssl(), sslBundles));
        CloudBlockProvider provider = CloudStorageConfiguration.provider(cloud, store);
        CloudFileStorage.Options cloudOptions = CloudStorageConfiguration.options(cloud);
        if (cluster.peers().isEmpty()) {
            // the members find each other through Hazelcast, as with type=cluster; the Raft directory tells
            // whether this node ran before
            HazelcastDiscovery.Joined joined = ClusterStorageConfiguration.discover(StorageType.CLOUD_CLUSTER,
                    cluster, provider.cacheDirectory().resolve("cluster"), resourceLoader.getClassLoader(),
                    beanFactory);
            HazelcastMembership.Start start = joined.start();
            ClusterFileStorage.Options options = settings.apply(ClusterFileStorage.Options.of(start.nodeId(),
                    start.peers()));
            CloudClusterFileStorage storage = open(store, provider, options, () -> start.learner()
                    ? CloudClusterFileStorage.learner(provider, options, cloudOptions)
                    : new CloudClusterFileStorage(provider, options, cloudOptions));
            joined.grow(storage.node(), cluster.membershipCheckInterval());
            return storage;
        }
        ClusterFileStorage.Options options = settings.apply(ClusterFileStorage.Options.of(cluster.nodeId(),
                cluster.members()));
        return open(store, provider, options, () -> new CloudClusterFileStorage(provider, options, cloudOptions));
    }

    private static CloudClusterFileStorage open(ObjectStore store, CloudBlockProvider provider,
            ClusterFileStorage.Options options, Supplier<CloudClusterFileStorage> opening) {
        try {
            return opening.get();
        } catch (PrefixInUseException e) {
            throw new CloudStorageUnusableException(StorageType.CLOUD_CLUSTER, e.getMessage(), "Give each cluster "
                    + "and each cloud storage its own protobase.storage.cloud.prefix; to open the database of a "
                    + "cloud cluster, set protobase.storage.cluster.group-name to its cluster id.", e);
        } catch (StorageException e) {
            throw new ClusterStorageUnusableException(StorageType.CLOUD_CLUSTER, "cannot open cloud cluster node "
                    + options.self() + " of '" + options.groupName() + "' on " + store.describe() + " prefix '"
                    + provider.prefix() + "' in " + provider.cacheDirectory() + ": " + e.getMessage(),
                    "When the failure names the bucket, check " + CloudStorageConfiguration.BUCKET_SETTINGS
                            + ". When it names the Raft server or the directory, check that port "
                            + options.self().port() + " on " + options.self().host() + " is free and belongs to "
                            + "this node (its entry in protobase.storage.cluster.peers), and that "
                            + "protobase.storage.cloud.cache-dir is this node's own directory.", e);
        }
    }
}
