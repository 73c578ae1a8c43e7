package io.protobase.storage.cluster;

import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.file.FileBlockProvider;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Raft traffic over mutual TLS: nodes with certificates of one authority form a group and replicate;
 * a node whose certificate another authority issued, or that has none, cannot talk to the group,
 * which goes on committing. The certificates are made at test time ({@link TestCertificates}).
 */
@Tag("slow")
class ClusterTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path certificates;
    @TempDir
    Path dir;

    private static TestCertificates authority;
    private static TestCertificates foreign;
    private static final Map<Integer, TestCertificates.NodeKey> keys = new HashMap<>();
    private static TestCertificates.NodeKey intruderKey;

    private TestCluster cluster;
    private final List<ClusterFileStorage> outsiders = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() {
        authority = TestCertificates.authority(certificates, "group");
        for (int id = 1; id <= 3; id++) {
            keys.put(id, authority.issue("node-" + id));
        }
        foreign = TestCertificates.authority(certificates, "foreign");
        intruderKey = foreign.issue("intruder");
    }

    @AfterEach
    void stop() {
        outsiders.forEach(ClusterFileStorage::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    private static TestCluster startTlsCluster() {
        return TestCluster.start(3, o -> o.withTls(authority.tls(keys.get(o.nodeId()))));
    }

    @Test
    void threeNodesWithCertificatesOfOneAuthorityCommitAndReadOverMutualTls() {
        cluster = startTlsCluster();
        byte[] atom = "over TLS".getBytes(StandardCharsets.UTF_8);
        AtomPointer committed = TestCluster.commit(cluster.node(1), atom);

        for (int id = 2; id <= 3; id++) {
            ClusterFileStorage node = cluster.node(id);
            assertThat(node.readRoot()).as("root on node %d", id).isEqualTo(committed);
            assertThat(node.read(committed)).as("atom on node %d", id).isEqualTo(atom);
        }
        AtomPointer second = TestCluster.commit(cluster.node(3), "from node 3".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.node(1).readRoot()).isEqualTo(second);
    }

    @Test
    void theRaftPortShowsTheNodesCertificateAndRefusesAClientWithoutOne() throws Exception {
        cluster = startTlsCluster();
        ClusterPeer node1 = cluster.peer(1);

        try (SSLSocket socket = handshake(node1, keys.get(2).keyManagers())) {
            X509Certificate shown = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertThat(shown).isEqualTo(keys.get(1).chain()[0]);
        }
        // TLS 1.3: the server checks the client's certificate after the client finished its handshake, and
        // answers a missing one with an alert the client reads (writing first could meet the closed connection)
        assertThatThrownBy(() -> {
            try (SSLSocket socket = handshake(node1, null)) {
                if (socket.getInputStream().read() >= 0) {
                    throw new AssertionError("the server answered a client without a certificate");
                }
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("certificate");
    }

    @Test
    void aNodeWithACertificateOfAnotherAuthorityCannotJoinOrWriteAndTheGroupKeepsCommitting() {
        cluster = startTlsCluster();
        TestCluster.commit(cluster.node(1), "before".getBytes(StandardCharsets.UTF_8));

        // the intruder even trusts the group's authority: what keeps it out is that no member trusts it
        assertCannotReplaceTheRoot(outsider(foreign.tls(intruderKey, authority)))
                .hasMessageContaining("TLS keeps peers from talking with this node")
                .hasMessageFindingMatch("node [123] at 127\\.0\\.0\\.1:\\d+ refuses this node's certificate")
                .hasMessageContaining("give this node a certificate of the authority the group trusts");

        byte[] after = "after".getBytes(StandardCharsets.UTF_8);
        AtomPointer committed = TestCluster.commit(cluster.node(2), after);
        assertThat(cluster.node(3).readRoot()).isEqualTo(committed);
        // a linearizable read first: node 1 has applied the commit afterwards
        assertThat(cluster.node(1).readRoot()).isEqualTo(committed);
        assertThat(cluster.node(1).read(committed)).isEqualTo(after);
        assertThat(cluster.node(1).status().members()).extracting(m -> m.peer().nodeId()).containsExactly(1, 2, 3);
    }

    @Test
    void aNodeWithoutTlsCannotWriteToAGroupThatUsesIt() {
        cluster = startTlsCluster();
        TestCluster.commit(cluster.node(1), "before".getBytes(StandardCharsets.UTF_8));

        assertCannotReplaceTheRoot(outsider(null))
                .hasMessageFindingMatch("node ([123]) at 127\\.0\\.0\\.1:\\d+ uses TLS on its Raft port"
                        + " \\(CN=node-\\1\\), but this node does not")
                .hasMessageContaining("give this node the same TLS configuration as the others");

        AtomPointer committed = TestCluster.commit(cluster.node(1), "members".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.node(2).readRoot()).isEqualTo(committed);
    }

    @Test
    void aNodeWithTlsInAGroupWithoutItFailsSayingThatThePeersDoNotUseTls() {
        cluster = TestCluster.start(3);
        TestCluster.commit(cluster.node(1), "plain".getBytes(StandardCharsets.UTF_8));

        assertCannotReplaceTheRoot(outsider(authority.tls(keys.get(1))))
                .hasMessageFindingMatch("node [123] at 127\\.0\\.0\\.1:\\d+ does not use TLS on its Raft port")
                .hasMessageContaining("but this node does: give every node of the group the same TLS configuration");
    }

    @Test
    void aNodeThatDoesNotTrustTheGroupsAuthorityFailsNamingTheCertificateItRefused() {
        cluster = startTlsCluster();

        assertCannotReplaceTheRoot(outsider(foreign.tls(intruderKey)))
                .hasMessageFindingMatch("this node does not trust the certificate node ([123]) at 127\\.0\\.0\\.1:\\d+"
                        + " shows \\(CN=node-\\1, issued by CN=group CA\\)")
                .hasMessageContaining("add its issuer to this node's trust store");
    }

    @Test
    void certificatesThatDoNotNameTheHostTheNodesAreReachedAtKeepTheGroupFromFormingAndTheErrorSaysSo() {
        Map<Integer, TestCertificates.NodeKey> misnamed = new HashMap<>();
        for (int id = 1; id <= 3; id++) {
            misnamed.put(id, authority.issue("misnamed-" + id, "dns:node-" + id + ".example.invalid"));
        }
        cluster = TestCluster.start(3, o -> o.withTls(authority.tls(misnamed.get(o.nodeId())))
                .withRequestTimeout(Duration.ofSeconds(3)));

        assertThatThrownBy(() -> TestCluster.commit(cluster.node(1), "misnamed".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(StorageUnavailableException.class)
                .hasMessageFindingMatch("the certificate node ([23]) shows \\(CN=misnamed-\\1\\) does not name"
                        + " 127\\.0\\.0\\.1, the host this node reaches it at")
                .hasMessageContaining("issue it with 127.0.0.1 as a subject alternative name");
    }

    @Test
    void aKeyStoreWithoutAKeyIsRefusedSayingWhatTheNodeNeeds() throws GeneralSecurityException, IOException {
        KeyStore empty = KeyStore.getInstance("PKCS12");
        empty.load(null, null);
        KeyManagerFactory noKey = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        noKey.init(empty, TestCertificates.PASSWORD.toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(authority.trustStore());

        assertThatThrownBy(() -> ClusterTls.of(noKey, trust)).isInstanceOf(StorageException.class)
                .hasMessageContaining("the key store holds no private key with a certificate");
        TrustManagerFactory trustsNothing = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustsNothing.init(empty);
        assertThatThrownBy(() -> ClusterTls.of(keys.get(1).keyManagers(), trustsNothing))
                .isInstanceOf(StorageException.class).hasMessageContaining("the trust store holds no certificate");
    }

    /**
     * Node 4, outside the group's members but naming them as its peers and the group's name, with a request
     * timeout short enough for a test: what an intruder would start.
     */
    private ClusterFileStorage outsider(ClusterTls tls) {
        List<ClusterPeer> peers = new ArrayList<>(cluster.peers());
        peers.add(new ClusterPeer(4, "127.0.0.1", TestCluster.freePort()));
        ClusterFileStorage node = new ClusterFileStorage(new FileBlockProvider(dir.resolve("node-4")),
                ClusterFileStorage.Options.of(4, peers).withGroupName(cluster.node(1).options().groupName())
                        .withElectionTimeout(TestCluster.ELECTION).withRequestTimeout(Duration.ofSeconds(3))
                        .withReadConsistency(ReadConsistency.LOCAL).withTls(tls));
        outsiders.add(node);
        return node;
    }

    /**
     * {@code outsider} tries to replace the group's root, expecting the root the group has: were its request
     * to reach the leader, the compare-and-set would succeed in the group's log (the outsider itself, not a
     * member, would still wait in vain to apply it).
     */
    private AbstractThrowableAssert<?, ? extends Throwable> assertCannotReplaceTheRoot(ClusterFileStorage outsider) {
        AtomPointer groupRoot = cluster.node(1).readRoot();
        AtomPointer smuggled = outsider.push("smuggled".getBytes(StandardCharsets.UTF_8));
        StorageUnavailableException failure;
        try (CommitLock lock = outsider.acquireCommitLock(WAIT)) {
            failure = catchThrowableOfType(StorageUnavailableException.class,
                    () -> outsider.compareAndSetRoot(lock, groupRoot, smuggled));
        }
        for (ClusterFileStorage member : cluster.running()) {
            assertThat(member.readRoot()).as("root on %s", member.describe()).isEqualTo(groupRoot);
        }
        return assertThat(failure).as("the outsider's failure").isNotNull();
    }

    /** Commits {@code atom} as the new root on {@code node}, rebasing on a concurrent root. */
    /** A TLS client connection to {@code peer}'s Raft port trusting the group's authority, with {@code keys}. */
    private static SSLSocket handshake(ClusterPeer peer, KeyManagerFactory keys) throws GeneralSecurityException,
            IOException {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(authority.trustStore());
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(peer.host(), peer.port());
        var parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] { "h2" });
        socket.setSSLParameters(parameters);
        socket.setSoTimeout((int) WAIT.toMillis());
        socket.startHandshake();
        return socket;
    }
}
