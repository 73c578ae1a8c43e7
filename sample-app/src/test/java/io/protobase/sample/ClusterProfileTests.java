package io.protobase.sample;

import io.protobase.spring.autoconfigure.ProtoBaseProperties;
import io.protobase.spring.autoconfigure.StorageType;
import io.protobase.storage.cluster.ClusterPeer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code cluster} profile that docs/cluster.md starts three times on one machine: the node id
 * given on the command line picks the node's Raft port and its own directory.
 */
class ClusterProfileTests {

    @Test
    void eachInstanceOfTheClusterProfileIsOneOfThreeLocalNodesWithItsOwnDirectory() throws IOException {
        ProtoBaseProperties properties = Binder.get(profile("cluster", "2")).bind("protobase",
                ProtoBaseProperties.class).get();

        assertThat(properties.storage().type()).isEqualTo(StorageType.CLUSTER);
        ProtoBaseProperties.Cluster cluster = properties.storage().cluster();
        assertThat(cluster.members()).containsExactly(new ClusterPeer(1, "127.0.0.1", 9871),
                new ClusterPeer(2, "127.0.0.1", 9872), new ClusterPeer(3, "127.0.0.1", 9873));
        assertThat(cluster.self()).isEqualTo(new ClusterPeer(2, "127.0.0.1", 9872));
        assertThat(cluster.path()).isEqualTo(Path.of("data-cluster", "node-2"));
    }

    /**
     * The environment of an instance started with {@code --spring.profiles.active=<profile>} and
     * {@code --protobase.storage.cluster.node-id=<nodeId>}: the command line, then the profile's
     * application-&lt;profile&gt;.yml, then application.yml.
     */
    static StandardEnvironment profile(String profile, String nodeId) throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("command line",
                Map.of("protobase.storage.cluster.node-id", nodeId)));
        for (String file : new String[] { "application-" + profile + ".yml", "application.yml" }) {
            new YamlPropertySourceLoader().load(file, new ClassPathResource(file))
                    .forEach(environment.getPropertySources()::addLast);
        }
        return environment;
    }
}
