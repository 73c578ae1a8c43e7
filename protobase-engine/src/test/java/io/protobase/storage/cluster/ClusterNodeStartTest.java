package io.protobase.storage.cluster;

import io.protobase.StorageException;
import io.protobase.storage.file.FileBlockProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Opening a node that cannot start fails with an exception the application can report. */
class ClusterNodeStartTest {

    @TempDir
    Path dir;

    /**
     * Ratis's gRPC server calls {@code System.exit} when it cannot bind its port: without the check
     * before it starts, this test's JVM ends instead of the test failing.
     */
    @Test
    void aNodeWhosePortIsTakenFailsNamingThePortInsteadOfEndingTheProcess() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ClusterPeer self = new ClusterPeer(1, "127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(() -> new ClusterFileStorage(new FileBlockProvider(dir),
                    ClusterFileStorage.Options.of(1, List.of(self))))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " on 127.0.0.1 cannot be bound")
                    .hasMessageContaining("stop the process that uses it or give this node another port");
        }
    }
}
