package io.protobase.storage.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fault-injecting TCP proxy for one directed link of a test cluster: the connections one node
 * dials to one peer. The dialing node resolves the peer's host name to this proxy's address (see
 * {@link ClusterFaultTest}, which gives every node its own hosts file), so a link A->B can fail
 * while B->A works: A's appends, votes and client requests to B then vanish, while B still reaches A.
 *
 * <p>A link {@link #pass passes} bytes both ways of its connections, {@link #drop drops} them (a black
 * hole: bytes are read and discarded in both directions, connections stay open, so the dialer sees
 * silence rather than an error, as with a partition) or is {@link #cut} (open connections are reset
 * and new ones reset as soon as they are accepted). Going back to {@link #pass} closes the connections that lost bytes:
 * a TCP stream with a hole cannot carry HTTP/2 on, and a real partition that outlasts TCP's
 * retransmissions ends the same way.
 */
final class LinkProxy implements AutoCloseable {

    /** What the link does with bytes. */
    enum Mode { PASS, DROP, CUT }

    private final String name;
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Socket> damaged = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.PASS;

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

    /** Lets bytes through again; connections that lost bytes while dropping are closed. */
    void pass() {
        mode = Mode.PASS;
        damaged.forEach(LinkProxy::close);
        damaged.clear();
    }

    /** Whether bytes were discarded since the link last passed. */
    boolean lostBytes() {
        return !damaged.isEmpty();
    }

    /** Discards every byte from now on, both ways, keeping the connections open. */
    void drop() {
        mode = Mode.DROP;
    }

    /** Resets every connection of the link (TCP RST) and refuses new ones until {@link #pass}. */
    void cut() {
        mode = Mode.CUT;
        open.forEach(LinkProxy::reset);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket inbound;
            try {
                inbound = server.accept();
            } catch (IOException closed) {
                return;
            }
            if (mode == Mode.CUT) {
                reset(inbound);
                continue;
            }
            Socket outbound = new Socket();
            try {
                outbound.connect(target);
            } catch (IOException peerDown) {
                close(inbound);
                close(outbound);
                continue;
            }
            open.add(inbound);
            open.add(outbound);
            pump(inbound, outbound, "up");
            pump(outbound, inbound, "down");
        }
    }

    /** Copies {@code from} to {@code to} while the link passes; ends both sockets when either ends. */
    private void pump(Socket from, Socket to, String direction) {
        Thread pump = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (mode == Mode.PASS) {
                        out.write(buffer, 0, n);
                    } else {
                        damaged.add(from);
                        damaged.add(to);
                    }
                }
            } catch (IOException ended) {
                // one side closed or was cut: the other goes too
            } finally {
                close(from);
                close(to);
                open.remove(from);
                open.remove(to);
            }
        }, "link-" + name + "-" + direction);
        pump.setDaemon(true);
        pump.start();
    }

    @Override
    public void close() {
        close(server);
        open.forEach(LinkProxy::close);
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
