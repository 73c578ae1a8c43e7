package io.protobase.storage.cluster;

import org.jspecify.annotations.Nullable;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Says why a peer that accepts connections on its Raft port still does not talk with this node, when
 * the reason is TLS: one of the two uses it and the other does not, or one does not trust the other's
 * certificate. Ratis only logs such failures and the request waits out its timeout, so the error a
 * user gets would otherwise say "no quorum" with every peer reachable. Used on the failure path only:
 * a probe is one short TLS handshake and the wait for the server's first answer after it (which is
 * where a TLS 1.3 server refuses a client certificate); it sends nothing of the group's data.
 */
final class PeerTlsProbe {

    private static final int TIMEOUT_MILLIS = 2000;

    private PeerTlsProbe() {
    }

    /**
     * What keeps {@code peer} from talking with a node using {@code tls} ({@code null}: plain gRPC), with
     * what to do; empty when TLS is not the problem (or the probe cannot tell).
     */
    static Optional<String> problem(ClusterPeer peer, @Nullable ClusterTls tls) {
        return tls == null ? plainNodeProblem(peer) : tlsNodeProblem(peer, tls);
    }

    /** A node without TLS: the peer is a problem when it answers a TLS handshake with a certificate. */
    private static Optional<String> plainNodeProblem(ClusterPeer peer) {
        RecordingTrust recorder = new RecordingTrust(null);
        try (SSLSocket socket = connect(peer, null, recorder)) {
            socket.startHandshake();
        } catch (IOException | GeneralSecurityException e) {
            // the recorder refuses every certificate: a TLS server shows itself by sending one
        }
        if (recorder.shown == null) {
            return Optional.empty();
        }
        return Optional.of("node " + peer.nodeId() + " at " + peer.address() + " uses TLS on its Raft port ("
                + recorder.shown.getSubjectX500Principal() + "), but this node does not: give this node the same"
                + " TLS configuration as the others (ClusterFileStorage.Options.withTls, or"
                + " protobase.storage.cluster.ssl.bundle), or remove it from every node");
    }

    /** A node with TLS: the peer is a problem when it speaks plain gRPC, or either side refuses the other. */
    private static Optional<String> tlsNodeProblem(ClusterPeer peer, ClusterTls tls) {
        RecordingTrust recorder = new RecordingTrust(tls.trustManager());
        try (SSLSocket socket = connect(peer, tls.keyManager(), recorder)) {
            socket.startHandshake();
            // a TLS 1.3 server checks the client's certificate after the client finished its handshake and
            // answers with an alert or its first HTTP/2 frame; writing first could meet a closed connection
            InputStream in = socket.getInputStream();
            if (in.read() < 0) {
                throw new EOFException("the peer closed the connection");
            }
            return Optional.empty();
        } catch (SocketTimeoutException e) {
            return Optional.empty();
        } catch (IOException | GeneralSecurityException e) {
            if (recorder.refusal != null) {
                return Optional.of("this node does not trust the certificate node " + peer.nodeId() + " at "
                        + peer.address() + " shows (" + recorder.shown.getSubjectX500Principal() + ", issued by "
                        + recorder.shown.getIssuerX500Principal() + "): " + recorder.refusal.getMessage()
                        + "; add its issuer to this node's trust store, or give node " + peer.nodeId()
                        + " a certificate of the authority the group trusts");
            }
            if (recorder.shown == null) {
                return Optional.of("node " + peer.nodeId() + " at " + peer.address() + " does not use TLS on its"
                        + " Raft port (" + e.getMessage() + "), but this node does: give every node of the group"
                        + " the same TLS configuration (ClusterFileStorage.Options.withTls, or"
                        + " protobase.storage.cluster.ssl.bundle), or remove it from every node");
            }
            if (recorder.accepted && isNameMismatch(e)) {
                return Optional.of("the certificate node " + peer.nodeId() + " shows ("
                        + recorder.shown.getSubjectX500Principal() + ") does not name " + peer.host()
                        + ", the host this node reaches it at (" + rootMessage(e) + "); issue it with " + peer.host()
                        + " as a subject alternative name");
            }
            if (e instanceof SSLException) {
                return Optional.of("node " + peer.nodeId() + " at " + peer.address() + " refuses this node's"
                        + " certificate (" + rootMessage(e) + "); add the authority that issued it to node "
                        + peer.nodeId() + "'s trust store, or give this node a certificate of the authority the"
                        + " group trusts");
            }
            return Optional.empty();
        }
    }

    private static SSLSocket connect(ClusterPeer peer, @Nullable KeyManager key, X509TrustManager trust)
            throws IOException, GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(key == null ? null : new KeyManager[] { key }, new TrustManager[] { trust }, null);
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(peer.host(), peer.port()), TIMEOUT_MILLIS);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, peer.host(), peer.port(), true);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] { "h2" });
        // as gRPC: the server's certificate must name the host it is reached at
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        return socket;
    }

    private static boolean isNameMismatch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /**
     * Remembers the certificate a server shows and whether {@code delegate} accepted it; without a delegate
     * it refuses every certificate (a probe of a node without TLS only asks whether the peer has one).
     */
    private static final class RecordingTrust implements X509TrustManager {

        private final @Nullable X509TrustManager delegate;
        private @Nullable X509Certificate shown;
        private @Nullable CertificateException refusal;
        private boolean accepted;

        RecordingTrust(@Nullable X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            shown = chain[0];
            if (delegate == null) {
                throw new CertificateException("probe only: this node does not use TLS");
            }
            try {
                delegate.checkServerTrusted(chain, authType);
                accepted = true;
            } catch (CertificateException e) {
                refusal = e;
                throw e;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a probe is a client only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate == null ? new X509Certificate[0] : delegate.getAcceptedIssuers();
        }
    }
}
