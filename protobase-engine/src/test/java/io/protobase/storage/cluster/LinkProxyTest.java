package io.protobase.storage.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The fault-injecting proxy of the cluster fault harness, against an echo server. */
class LinkProxyTest {

    private ServerSocket echo;
    private final int port = TestCluster.freePort();
    private LinkProxy link;

    @BeforeEach
    void startEchoBehindALink() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread copy = new Thread(() -> {
                        try (Socket connection = s) {
                            connection.getInputStream().transferTo(connection.getOutputStream());
                        } catch (IOException gone) {
                            // the proxy closed or reset the connection
                        }
                    });
                    copy.setDaemon(true);
                    copy.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "echo");
        server.setDaemon(true);
        server.start();
        link = new LinkProxy("test", new InetSocketAddress("127.0.0.1", port),
                new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
    }

    @AfterEach
    void stop() throws IOException {
        link.close();
        echo.close();
    }

    @Test
    void passingLinkCarriesBytesBothWays() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("hello");
        }
    }

    @Test
    void droppedBytesNeverArriveAndHealingClosesTheDamagedConnection() throws IOException {
        try (Socket s = connect()) {
            roundTrip(s);
            link.drop();
            s.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(30)).until(link::lostBytes);
            link.pass();
            // had "lost" reached the echo server, it would be read back before the end of the stream
            assertThat(readToEndOrReset(s.getInputStream())).isEmpty();
        }
        try (Socket s = connect()) {
            roundTrip(s);
        }
    }

    @Test
    void stalledBytesWaitAndArriveInOrderOnceHealed() throws IOException {
        try (Socket s = connect()) {
            roundTrip(s);
            link.stall();
            s.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout(300);
            assertThat(readWithin(s.getInputStream())).as("nothing comes back while the link stalls").isEmpty();
            link.pass();
            s.setSoTimeout(30_000);
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("late");
            roundTrip(s);
        }
    }

    @Test
    void cutLinkResetsOpenConnectionsAndNewOnesUntilHealed() throws IOException {
        try (Socket open = connect()) {
            roundTrip(open);
            link.cut();
            assertThat(readToEndOrReset(open.getInputStream())).isEmpty();
        }
        try (Socket refused = connect()) {
            assertThat(readToEndOrReset(refused.getInputStream())).isEmpty();
        }
        link.pass();
        try (Socket s = connect()) {
            roundTrip(s);
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return s;
    }

    private static void roundTrip(Socket s) throws IOException {
        s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
    }

    /** Whatever arrives before the socket's read timeout. */
    private static byte[] readWithin(InputStream in) throws IOException {
        try {
            return in.readNBytes(1);
        } catch (SocketTimeoutException nothing) {
            return new byte[0];
        }
    }

    /** Whatever arrives until the connection ends, by a close or a reset. */
    private static byte[] readToEndOrReset(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (SocketException reset) {
            return new byte[0];
        }
    }
}
