package io.protobase.sample;

import io.protobase.spring.autoconfigure.ProtoBaseProperties;
import io.protobase.spring.autoconfigure.StorageType;
import io.protobase.storage.cluster.ClusterPeer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code cloud-cluster} profile that docs/cloud.md starts three times on one machine: the node id
 * given on the command line picks the node's Raft port and its own cache directory, all three on one
 * bucket prefix, with the S3 client (off in the other profiles) switched on.
 */
class CloudClusterProfileTests {

    @Test
    void eachInstanceIsOneOfThreeLocalNodesWithItsOwnCacheDirectoryOnOneBucketPrefix() throws IOException {
        StandardEnvironment environment = ClusterProfileTests.profile("cloud-cluster", "3");

        ProtoBaseProperties properties = Binder.get(environment).bind("protobase", ProtoBaseProperties.class)
                .get();

        assertThat(properties.storage().type()).isEqualTo(StorageType.CLOUD_CLUSTER);
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        assertThat(cluster.self()).isEqualTo(new ClusterPeer(3, "127.0.0.1", 9873));
        assertThat(cluster.members()).hasSize(3);
        assertThat(cluster.groupName()).isEqualTo("catalog");
        ProtoBaseProperties.Cloud cloud = properties.storage().cloud();
        assertThat(cloud.bucket()).isEqualTo("catalog");
        assertThat(cloud.prefix()).isEqualTo("catalog/");
        assertThat(cloud.cacheDir()).isEqualTo(Path.of("data-cloud-cluster", "node-3"));
        assertThat(environment.getProperty("spring.cloud.aws.s3.enabled", Boolean.class)).isTrue();
        assertThat(ClusterProfileTests.profile("cluster", "3").getProperty("spring.cloud.aws.s3.enabled",
                Boolean.class)).isFalse();
    }
}
