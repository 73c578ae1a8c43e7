package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.TestCertificates;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code protobase.storage.cluster.ssl.bundle}: a cluster node takes its Raft TLS from a Spring Boot SSL
 * bundle, from a key store ({@code spring.ssl.bundle.jks}) or PEM files ({@code spring.ssl.bundle.pem}),
 * and a name no bundle has fails the startup naming the key. A group of one node commits through its
 * own Raft client and server, so one context shows both sides use the bundle.
 */
@ExpectedWarnings(loggers = { "org.springframework.context", "org.apache.ratis" })
class ClusterSslBundleTests {

    @TempDir
    static Path certificates;
    @TempDir
    Path dir;

    private static TestCertificates.NodeKey key;
    private static Path keyStore;
    private static Path trustStore;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, ProtoBaseAutoConfiguration.class));

    @BeforeAll
    static void makeCertificates() {
        TestCertificates authority = TestCertificates.authority(certificates, "raft");
        key = authority.issue("node-1");
        keyStore = key.writeKeyStore(certificates.resolve("node-1-keys.p12"));
        trustStore = authority.writeTrustStore(certificates.resolve("trust.p12"));
        key.writeChainPem(certificates.resolve("node-1.pem"));
        key.writeKeyPem(certificates.resolve("node-1-key.pem"));
        authority.writeCertificatePem(certificates.resolve("ca.pem"));
    }

    private ApplicationContextRunner oneNode(int port, String bundle) {
        return runner.withPropertyValues("protobase.storage.type=cluster", "protobase.storage.cluster.node-id=1",
                "protobase.storage.cluster.peers=1@127.0.0.1:" + port,
                "protobase.storage.cluster.path=" + dir.resolve("node-1"),
                "protobase.storage.cluster.election-timeout=300ms", "protobase.storage.cluster.ssl.bundle=" + bundle);
    }

    private static String[] jksBundle(String name) {
        String prefix = "spring.ssl.bundle.jks." + name;
        return new String[] { prefix + ".keystore.location=file:" + keyStore, prefix + ".keystore.type=PKCS12",
            prefix + ".keystore.password=" + TestCertificates.PASSWORD,
            prefix + ".truststore.location=file:" + trustStore, prefix + ".truststore.type=PKCS12",
            prefix + ".truststore.password=" + TestCertificates.PASSWORD };
    }

    @Test
    void aNodeWithAKeyStoreBundleCommitsAndServesItsRaftPortOverMutualTls() {
        int port = ClusterStorageAutoConfigurationTests.freePort();
        oneNode(port, "raft").withPropertyValues(jksBundle("raft")).run(context -> {
            assertThat(context).hasNotFailed();
            assertCommitsAndShowsItsCertificateOnItsRaftPort(context, port);
        });
    }

    @Test
    void aNodeWithAPemBundleCommitsAndServesItsRaftPortOverMutualTls() {
        int port = ClusterStorageAutoConfigurationTests.freePort();
        oneNode(port, "raft-pem").withPropertyValues(
                "spring.ssl.bundle.pem.raft-pem.keystore.certificate=file:" + certificates.resolve("node-1.pem"),
                "spring.ssl.bundle.pem.raft-pem.keystore.private-key=file:" + certificates.resolve("node-1-key.pem"),
                "spring.ssl.bundle.pem.raft-pem.truststore.certificate=file:" + certificates.resolve("ca.pem"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertCommitsAndShowsItsCertificateOnItsRaftPort(context, port);
                });
    }

    @Test
    void anSslBundleNameNoBundleHasFailsNamingTheKeyAndTheDefinedBundles() {
        oneNode(ClusterStorageAutoConfigurationTests.freePort(), "rafts").withPropertyValues(jksBundle("raft"))
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = new StorageFailureAnalyzers.ClusterUnusable()
                            .analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription()).contains("protobase.storage.cluster.ssl.bundle")
                            .contains("names the SSL bundle 'rafts', but no bundle of that name is defined")
                            .contains("defined: [raft]");
                    assertThat(analysis.getAction()).contains("spring.ssl.bundle.jks.rafts")
                            .contains("spring.ssl.bundle.pem.rafts");
                });
    }

    /**
     * The node's first commit (its database) went through its Raft client and server; a TLS client with the
     * bundle's key and trust sees the node's certificate on the Raft port.
     */
    private static void assertCommitsAndShowsItsCertificateOnItsRaftPort(ApplicationContext context, int port)
            throws IOException {
        assertThat(context.getBean(ClusterFileStorage.class).options().tls()).isNotNull();
        context.getBean(Database.class).write(tx -> {
            tx.setRootObject("greeting", "over TLS");
            return null;
        });
        Object greeting = context.getBean(Database.class).read(tx -> tx.getRootObject("greeting"));
        assertThat(greeting).isEqualTo("over TLS");

        String bundle = context.getBean(ProtoBaseProperties.class).storage().cluster().ssl().bundle();
        SSLContext ssl = context.getBean(SslBundles.class).getBundle(bundle).createSslContext();
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] { "h2" });
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertThat((X509Certificate) socket.getSession().getPeerCertificates()[0]).isEqualTo(key.chain()[0]);
        }
    }
}
