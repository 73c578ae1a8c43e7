package io.protobase.storage.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of the fault harnesses' child-JVM nodes ({@link ClusterNodeMain}, {@link CloudClusterNodeMain}):
 * one request line, one answer line, on the node's control port; and the {@link Gate} the harnesses' clients pass.
 */
final class NodeControl {

    private NodeControl() {
    }

    /** Sends {@code request} to the node listening on {@code port} and returns its answer. */
    static String ask(int port, String request, Duration timeout) {
        try (Socket socket = connect(port, timeout)) {
            String answer = send(socket, request);
            if (answer == null) {
                throw new UncheckedIOException(new IOException("the node on port " + port
                        + " closed the connection"));
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A connection to the node listening on {@code port}, reads timing out after {@code timeout}. */
    static Socket connect(int port, Duration timeout) {
        try {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout((int) timeout.toMillis());
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one line and returns the answer line, {@code null} when the node closed the connection. */
    static String send(Socket socket, String line) throws IOException {
        PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.US_ASCII);
        out.println(line);
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII), 1)
                .readLine();
    }

    /** Closes {@code socket}, if any, ignoring a failure. */
    static void close(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // it is gone either way
            }
        }
    }

    /**
     * Lets a client send through a node while the node is up and no check runs; a check waits until
     * no client is inside a request.
     */
    static final class Gate {
        private final boolean[] up = new boolean[4];
        private boolean quiesced;
        private boolean stopped;
        private int busy;

        synchronized boolean enter(int node) {
            while (!stopped && (quiesced || !up[node])) {
                waitUninterruptibly();
            }
            if (!stopped) {
                busy++;
            }
            return !stopped;
        }

        synchronized void leave() {
            busy--;
            notifyAll();
        }

        synchronized void setUp(int node, boolean isUp) {
            up[node] = isUp;
            notifyAll();
        }

        synchronized void quiesce() {
            quiesced = true;
            while (busy > 0) {
                waitUninterruptibly();
            }
        }

        synchronized void resume() {
            quiesced = false;
            notifyAll();
        }

        synchronized void stop() {
            stopped = true;
            notifyAll();
        }

        private void waitUninterruptibly() {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting at the gate", e);
            }
        }
    }
}
