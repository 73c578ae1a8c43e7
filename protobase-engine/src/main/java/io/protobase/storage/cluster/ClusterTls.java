package io.protobase.storage.cluster;

import io.protobase.StorageException;
import org.apache.ratis.grpc.GrpcTlsConfig;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Mutual TLS for a node's Raft traffic: the key (private key and certificate chain) this node shows
 * to the others, and the certificates it trusts to have issued theirs. With it, the node's Raft
 * server requires a client certificate its trust store accepts on every connection, and the node's
 * outgoing connections (to the other servers, and its own Raft client's) present its key and check the
 * server's certificate; so a peer without a certificate the trust store accepts can neither join the
 * group nor read or write anything in it.
 *
 * <p>The same key is used as server and as client, so its certificate must allow both (no extended
 * key usage, or both {@code serverAuth} and {@code clientAuth}), and it must name the host the other
 * nodes reach this node at (its {@link ClusterPeer#host()}) as a subject alternative name: gRPC checks
 * the server's name. Every node of a group uses TLS, or none does; a mixed group cannot talk (see
 * docs/cluster.md, "Security").
 */
public final class ClusterTls {

    /** The key algorithms a node's key may have (those JSSE names for X.509 key managers). */
    private static final String[] KEY_TYPES = { "RSA", "EC", "EdDSA", "Ed25519", "Ed448", "RSASSA-PSS", "DSA" };

    private final X509KeyManager keyManager;
    private final X509TrustManager trustManager;

    private ClusterTls(X509KeyManager keyManager, X509TrustManager trustManager) {
        this.keyManager = keyManager;
        this.trustManager = trustManager;
    }

    /**
     * TLS from initialized factories, as a key store and a trust store give them (or a Spring Boot SSL
     * bundle's {@code SslManagerBundle}).
     *
     * @param keys the factory of this node's key: it must hold a private key with its certificate chain
     * @param trust the factory of the trusted certificates: it must trust at least one certificate
     * @return the TLS configuration of a node
     * @throws StorageException when {@code keys} holds no key or {@code trust} trusts no certificate
     */
    public static ClusterTls of(KeyManagerFactory keys, TrustManagerFactory trust) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(trust, "trust");
        return of(x509(keys.getKeyManagers(), X509KeyManager.class, "key managers"),
                x509(trust.getTrustManagers(), X509TrustManager.class, "trust managers"));
    }

    /**
     * TLS from a key manager and a trust manager.
     *
     * @param keyManager this node's key: it must hold a private key with its certificate chain
     * @param trustManager the trusted certificates: it must trust at least one certificate
     * @return the TLS configuration of a node
     * @throws StorageException when the key manager holds no key or the trust manager trusts no certificate
     */
    public static ClusterTls of(X509KeyManager keyManager, X509TrustManager trustManager) {
        Objects.requireNonNull(keyManager, "keyManager");
        Objects.requireNonNull(trustManager, "trustManager");
        boolean hasKey = Arrays.stream(KEY_TYPES).map(type -> keyManager.getServerAliases(type, null))
                .anyMatch(aliases -> aliases != null && aliases.length > 0);
        if (!hasKey) {
            throw new StorageException("Cannot use TLS for the Raft traffic: the key store holds no private key with a"
                    + " certificate; give each node a key store with its own key and the certificate chain issued"
                    + " for it");
        }
        if (trustManager.getAcceptedIssuers().length == 0) {
            throw new StorageException("Cannot use TLS for the Raft traffic: the trust store holds no certificate, so"
                    + " no node could be accepted; give every node a trust store with the certificate of the"
                    + " authority that issued the nodes' certificates");
        }
        return new ClusterTls(keyManager, trustManager);
    }

    /** This node's key, shown to the other nodes. */
    public X509KeyManager keyManager() {
        return keyManager;
    }

    /** The certificates this node trusts to have issued the other nodes' certificates. */
    public X509TrustManager trustManager() {
        return trustManager;
    }

    /** Ratis's gRPC TLS configuration with mutual authentication, for the server and the client side. */
    GrpcTlsConfig grpcConfig() {
        return new GrpcTlsConfig(keyManager, trustManager, true);
    }

    private static <T> T x509(Object[] managers, Class<T> type, String what) {
        return Arrays.stream(managers).filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new StorageException("Cannot use TLS for the Raft traffic: the " + what + " "
                        + Arrays.toString(managers) + " include no " + type.getSimpleName() + "; use a key store and"
                        + " a trust store of X.509 certificates (PKCS12, JKS or PEM)"));
    }

    /** Names the trusted issuers, never the key. */
    @Override
    public String toString() {
        return "mutual TLS trusting " + Arrays.stream(trustManager.getAcceptedIssuers())
                .map(X509Certificate::getSubjectX500Principal).map(Object::toString)
                .collect(Collectors.joining("; ", "[", "]"));
    }
}
