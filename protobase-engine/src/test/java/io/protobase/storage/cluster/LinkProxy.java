package io.protobase.storage.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A fault-injecting TCP proxy for one directed link of a test cluster: the connections one node
 * dials to one peer. The dialing node resolves the peer's host name to this proxy's address (see
 * {@link ClusterFaultTest}, which gives every node its own hosts file), so a link A->B can fail
 * while B->A works: A's appends, votes and client requests to B then vanish, while B still reaches A.
 *
 * <p>A link {@link #pass passes} bytes both ways of its connections, {@link #stall stalls} them (forwards
 * nothing and reads no more, so the senders' TCP buffers fill and their writes block, as when a cable is
 * pulled or a switch drops every packet: TCP keeps the data and retransmits it once the network is back,
 * so a heal delivers it late, in order), {@link #drop drops} them (a black hole: bytes are read and
 * discarded in both directions, connections stay open, so the dialer sees silence rather than an error)
 * or is {@link #cut} (open connections are reset and new ones reset as soon as they are accepted).
 * Going back to {@link #pass} lets stalled bytes go on and closes every
 * connection that lost bytes: a TCP stream with a hole cannot carry HTTP/2 on (a lost WINDOW_UPDATE
 * or HPACK table update would wedge or corrupt it for good), and a real partition that outlasts TCP's
 * retransmissions ends the same way. A connection that lost bytes never forwards again, and whether a
 * chunk is forwarded is decided under the same lock as {@link #pass}, so no connection can come out of
 * a fault with a hole and still open.
 */
final class LinkProxy implements AutoCloseable {

    /** What the link does with bytes. */
    enum Mode { PASS, STALL, DROP, CUT }

    /** One proxied connection: the dialer's socket and the one to the target. */
    private static final class Connection {
        final Socket inbound;
        final Socket outbound;
        /** Guarded by the proxy's lock. */
        boolean lostBytes;
        /** Guarded by the proxy's lock. */
        boolean closed;

        Connection(Socket inbound, Socket outbound) {
            this.inbound = inbound;
            this.outbound = outbound;
        }

        void close() {
            LinkProxy.close(inbound);
            LinkProxy.close(outbound);
        }

        void reset() {
            LinkProxy.reset(inbound);
            LinkProxy.reset(outbound);
        }
    }

    private final String name;
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final Set<Connection> open = new HashSet<>();
    /** Guarded by {@link #lock}. */
    private Mode mode = Mode.PASS;

    /**
     * Listens on {@code listen} and forwards every connection to {@code target}.
     *
     * @param name the link, such as {@code 1->2}, for thread names
     */
    LinkProxy(String name, InetSocketAddress listen, InetSocketAddress target) {
        this.name = name;
        this.target = target;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(listen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for link " + name + " on " + listen, e);
        }
        Thread acceptor = new Thread(this::accept, "link-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Lets bytes through again: what a stall held back goes on; connections that lost bytes while the
     * link dropped are closed.
     */
    void pass() {
        List<Connection> damaged = new ArrayList<>();
        synchronized (lock) {
            mode = Mode.PASS;
            lock.notifyAll();
            for (Connection c : open) {
                if (c.lostBytes) {
                    damaged.add(c);
                }
            }
            open.removeAll(damaged);
            damaged.forEach(c -> c.closed = true);
        }
        damaged.forEach(Connection::close);
    }

    /** Whether a connection of this link lost bytes since the link last passed. */
    boolean lostBytes() {
        synchronized (lock) {
            return open.stream().anyMatch(c -> c.lostBytes);
        }
    }

    /** Forwards nothing from now on and reads no more, keeping the connections open, until {@link #pass}. */
    void stall() {
        synchronized (lock) {
            mode = Mode.STALL;
        }
    }

    /** Discards every byte from now on, both ways, keeping the connections open. */
    void drop() {
        synchronized (lock) {
            mode = Mode.DROP;
            lock.notifyAll();
        }
    }

    /** Resets every connection of the link (TCP RST) and refuses new ones until {@link #pass}. */
    void cut() {
        List<Connection> all;
        synchronized (lock) {
            mode = Mode.CUT;
            all = List.copyOf(open);
            open.clear();
            all.forEach(c -> c.closed = true);
            lock.notifyAll();
        }
        all.forEach(Connection::reset);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket inbound;
            try {
                inbound = server.accept();
            } catch (IOException closed) {
                return;
            }
            // connecting may take a while (a peer that is paused, say): not on the accepting thread
            Thread connector = new Thread(() -> connect(inbound), "link-" + name + "-connect");
            connector.setDaemon(true);
            connector.start();
        }
    }

    private void connect(Socket inbound) {
        synchronized (lock) {
            if (mode == Mode.CUT) {
                reset(inbound);
                return;
            }
        }
        Socket outbound = new Socket();
        try {
            outbound.connect(target, 10_000);
        } catch (IOException peerDown) {
            close(inbound);
            close(outbound);
            return;
        }
        Connection connection = new Connection(inbound, outbound);
        synchronized (lock) {
            if (mode == Mode.CUT || server.isClosed()) {
                connection.reset();
                return;
            }
            open.add(connection);
        }
        pump(connection, inbound, outbound, "up");
        pump(connection, outbound, inbound, "down");
    }

    /** Copies {@code from} to {@code to} while the link passes; ends the connection when either side ends. */
    private void pump(Connection connection, Socket from, Socket to, String direction) {
        Thread pump = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    boolean forward;
                    synchronized (lock) {
                        // a stalled link holds this chunk (and, by not reading, everything behind it)
                        while (mode == Mode.STALL && !connection.closed) {
                            lock.wait();
                        }
                        forward = mode == Mode.PASS && !connection.lostBytes;
                        if (!forward) {
                            connection.lostBytes = true;
                        }
                    }
                    if (forward) {
                        out.write(buffer, 0, n);
                    }
                }
            } catch (IOException | InterruptedException ended) {
                // one side closed or was cut: the other goes too
            } finally {
                synchronized (lock) {
                    connection.closed = true;
                    open.remove(connection);
                    lock.notifyAll();
                }
                connection.close();
            }
        }, "link-" + name + "-" + direction);
        pump.setDaemon(true);
        pump.start();
    }

    @Override
    public void close() {
        close(server);
        List<Connection> all;
        synchronized (lock) {
            all = List.copyOf(open);
            open.clear();
            all.forEach(c -> c.closed = true);
            lock.notifyAll();
        }
        all.forEach(Connection::close);
    }

    @Override
    public String toString() {
        return name;
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException alreadyClosed) {
            // closing it below is all there is left to do
        }
        close(socket);
    }

    private static void close(AutoCloseable socket) {
        try {
            socket.close();
        } catch (Exception ignored) {
            // it is gone either way
        }
    }
}
