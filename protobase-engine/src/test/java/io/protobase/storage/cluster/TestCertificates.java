package io.protobase.storage.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made at test time with the running JDK's {@code keytool}, and node
 * certificates it issues: EC P-256 keys, valid two days, each naming 127.0.0.1 and localhost (gRPC
 * checks the server's name) and allowed as TLS server and client. Nothing binary is committed; the
 * files go under the directory given.
 */
public final class TestCertificates {

    /** The password of every key store written here. */
    public static final String PASSWORD = "secret";

    private final Path dir;
    private final Path authorityStore;
    private final X509Certificate authority;

    private TestCertificates(Path dir, Path authorityStore, X509Certificate authority) {
        this.dir = dir;
        this.authorityStore = authorityStore;
        this.authority = authority;
    }

    /** A new certificate authority named {@code name}, its key store in {@code dir}. */
    public static TestCertificates authority(Path dir, String name) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path store = dir.resolve(name + "-ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + name + " CA", "-ext", "bc:c", "-validity", "2", "-keystore", store.toString(), "-storetype",
                "PKCS12", "-storepass", PASSWORD);
        KeyStore loaded = load(store);
        try {
            return new TestCertificates(dir, store, (X509Certificate) loaded.getCertificate("ca"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key and a certificate for {@code name} naming 127.0.0.1 and localhost, issued by this authority. */
    public NodeKey issue(String name) {
        return issue(name, "ip:127.0.0.1,dns:localhost");
    }

    /** A key and a certificate for {@code name} naming {@code alternativeNames} (keytool's san syntax). */
    public NodeKey issue(String name, String alternativeNames) {
        Path store = dir.resolve(name + ".p12");
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".crt");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", "node", "-keystore", store.toString(), "-storepass", PASSWORD, "-file",
                request.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", authorityStore.toString(), "-storepass", PASSWORD,
                "-infile", request.toString(), "-outfile", certificate.toString(), "-rfc", "-validity", "2",
                "-ext", "san=" + alternativeNames, "-ext", "eku=serverAuth,clientAuth",
                "-ext", "ku=digitalSignature");
        try (InputStream in = Files.newInputStream(certificate)) {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
            chain.add(authority);
            PrivateKey key = (PrivateKey) load(store).getKey("node", PASSWORD.toCharArray());
            return new NodeKey(name, key, chain.toArray(X509Certificate[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The authority's certificate. */
    public X509Certificate certificate() {
        return authority;
    }

    /** A trust store with this authority's certificate and the {@code others}'. */
    public KeyStore trustStore(TestCertificates... others) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", authority);
            for (int i = 0; i < others.length; i++) {
                trust.setCertificateEntry("ca-" + i, others[i].authority);
            }
            return trust;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@link #trustStore} to {@code file} (PKCS12, password {@value #PASSWORD}). */
    public Path writeTrustStore(Path file) {
        return write(trustStore(), file);
    }

    /** Writes the authority's certificate to {@code file} as PEM. */
    public Path writeCertificatePem(Path file) {
        return writePem(file, pem("CERTIFICATE", encoded(authority)));
    }

    /** TLS for a node showing {@code key} and trusting this authority and the {@code others}. */
    public ClusterTls tls(NodeKey key, TestCertificates... others) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustStore(others));
            return ClusterTls.of(key.keyManagers(), trust);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A private key and its certificate chain (the node's certificate, then the authority's). */
    public record NodeKey(String name, PrivateKey key, X509Certificate[] chain) {

        /** A key store holding this key under the alias "node" (password {@value #PASSWORD}). */
        public KeyStore keyStore() {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("node", key, PASSWORD.toCharArray(), chain);
                return store;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Key managers of {@link #keyStore()}. */
        public KeyManagerFactory keyManagers() {
            try {
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(keyStore(), PASSWORD.toCharArray());
                return factory;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes {@link #keyStore()} to {@code file} (PKCS12, password {@value #PASSWORD}). */
        public Path writeKeyStore(Path file) {
            return write(keyStore(), file);
        }

        /** Writes the certificate chain to {@code file} as PEM. */
        public Path writeChainPem(Path file) {
            StringBuilder text = new StringBuilder();
            for (X509Certificate certificate : chain) {
                text.append(pem("CERTIFICATE", encoded(certificate)));
            }
            return writePem(file, text.toString());
        }

        /** Writes the private key to {@code file} as unencrypted PKCS#8 PEM. */
        public Path writeKeyPem(Path file) {
            return writePem(file, pem("PRIVATE KEY", key.getEncoded()));
        }
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Path writePem(Path file, String text) {
        try {
            return Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(KeyStore store, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the running JDK's keytool; fails with its output unless it exits with 0. */
    private static void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.add("-noprompt");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool failed: " + command + "\n"
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
