package io.protobase.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault-injecting HTTP/1.1 proxy in front of an S3-compatible server (S3Proxy in the test JVM), on a
 * loopback port that clients in other JVMs reach as their S3 endpoint. It reads each request whole
 * (answering {@code Expect: 100-continue} itself), forwards it on a connection of its own with
 * {@code Connection: close}, and relays the reply; every client connection carries one request. A
 * {@link Mode} applies to every request from then on:
 * <ul>
 * <li>{@link Mode#PASS}: forwarded.</li>
 * <li>{@link Mode#OUTAGE}: connections are reset as soon as they are accepted, nothing reaches the server.</li>
 * <li>{@link Mode#ERRORS}: a quarter of the requests are answered {@code 503 SlowDown} or
 * {@code 500 InternalError} without reaching the server, the rest are forwarded.</li>
 * <li>{@link Mode#SLOW}: each request waits 0.2 to 2 s before it is forwarded.</li>
 * <li>{@link Mode#LOST_REPLIES}: a quarter of the writes ({@code PUT}, {@code POST}, {@code DELETE}) are
 * forwarded and applied, and their reply is dropped (the client's connection is reset): the client
 * cannot tell a write that landed from one that did not; reads are forwarded.</li>
 * </ul>
 */
public final class S3FaultProxy implements AutoCloseable {

    /** What the proxy does with requests. */
    public enum Mode { PASS, OUTAGE, ERRORS, SLOW, LOST_REPLIES }

    private static final int MAX_HEADER_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final Thread acceptor;
    /** Fires the delayed requests of {@link Mode#SLOW}. */
    private final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "s3-fault-proxy-delays");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong injected = new AtomicLong();
    private volatile Mode mode = Mode.PASS;
    private volatile boolean closed;

    /**
     * Listens on a free loopback port and forwards to {@code upstream} ({@code http://host:port}).
     *
     * @param upstream the S3-compatible server's endpoint
     */
    public S3FaultProxy(URI upstream) {
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort();
        try {
            server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot listen on a loopback port", e);
        }
        acceptor = new Thread(this::accept, "s3-fault-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The endpoint clients use: {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Applies {@code m} to every request from now on. */
    public void set(Mode m) {
        mode = m;
    }

    /** The mode now. */
    public Mode mode() {
        return mode;
    }

    /** Requests forwarded to the server so far (including those whose reply was dropped). */
    public long forwarded() {
        return forwarded.get();
    }

    /** Faults injected so far: connections reset, error replies, replies dropped. */
    public long injected() {
        return injected.get();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (mode == Mode.OUTAGE) {
                injected.incrementAndGet();
                reset(client);
                continue;
            }
            start(() -> serve(client));
        }
    }

    /** A request as read from the client: request line, headers and body. */
    private record Request(String line, List<String> headers, byte[] body) {

        String method() {
            return line.substring(0, line.indexOf(' '));
        }

        boolean writes() {
            String m = method();
            return m.equals("PUT") || m.equals("POST") || m.equals("DELETE");
        }
    }

    private void serve(Socket client) {
        Request request;
        OutputStream out;
        Mode m = mode;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try {
            client.setSoTimeout(60_000);
            out = client.getOutputStream();
            request = readRequest(client.getInputStream(), out);
            if (request == null) {
                close(client);
                return;
            }
            if (m == Mode.OUTAGE) {
                injected.incrementAndGet();
                reset(client);
                return;
            }
            if (m == Mode.ERRORS && rnd.nextInt(4) == 0) {
                injected.incrementAndGet();
                out.write(errorReply(request, rnd.nextBoolean()));
                out.flush();
                close(client);
                return;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away: nothing to relay
            close(client);
            return;
        }
        if (m == Mode.SLOW) {
            // a slow server: the request goes on after 0.2 to 2 s, on a thread of its own once the timer fires
            try {
                delays.schedule(() -> start(() -> relay(client, out, request, m)), 200 + rnd.nextInt(1800),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                close(client);
            }
        } else {
            relay(client, out, request, m);
        }
    }

    /** Forwards {@code request} and relays the reply to {@code client} (or drops it, by {@code m}); closes it. */
    private void relay(Socket client, OutputStream out, Request request, Mode m) {
        try (client) {
            byte[] reply = forward(request);
            forwarded.incrementAndGet();
            if (m == Mode.LOST_REPLIES && request.writes() && ThreadLocalRandom.current().nextInt(4) == 0) {
                injected.incrementAndGet();
                reset(client);
                return;
            }
            out.write(reply);
            out.flush();
        } catch (IOException | RuntimeException e) {
            // the client or the server went away: the client sees its connection end
        }
    }

    /** Reads one request, or returns null when the client closed the connection before sending one. */
    private static Request readRequest(InputStream in, OutputStream out) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        List<String> headers = new ArrayList<>();
        long length = 0;
        boolean chunked = false;
        boolean expectContinue = false;
        for (int i = 1; i < lines.length; i++) {
            String h = lines[i];
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "expect" -> expectContinue = value.equalsIgnoreCase("100-continue");
                case "connection" -> {
                    // replaced: one request per connection
                }
                default -> headers.add(h);
            }
        }
        if (expectContinue) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        byte[] body = chunked ? readChunked(in) : in.readNBytes((int) length);
        if (!chunked && body.length != length) {
            throw new EOFException("request body cut short");
        }
        return new Request(lines[0], headers, body);
    }

    /** The request line and headers up to the blank line, or null at once-only EOF. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new EOFException("request head cut short");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : b == '\r' ? 1 : 0;
            if (head.size() > MAX_HEADER_BYTES) {
                throw new IOException("request head too long");
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers: dropped (none are sent by the SDK over plain chunked encoding)
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new EOFException("chunked body cut short");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Sends {@code request} to the server on a new connection and returns the whole reply. */
    private byte[] forward(Request request) throws IOException {
        try (Socket upstream = new Socket(upstreamHost, upstreamPort)) {
            upstream.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder(request.line()).append("\r\n");
            for (String h : request.headers()) {
                head.append(h).append("\r\n");
            }
            head.append("Content-Length: ").append(request.body().length).append("\r\n");
            head.append("Connection: close\r\n\r\n");
            OutputStream out = upstream.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(request.body());
            out.flush();
            // the server closes the connection after its reply (Connection: close)
            return upstream.getInputStream().readAllBytes();
        }
    }

    private static byte[] errorReply(Request request, boolean throttle) {
        String code = throttle ? "SlowDown" : "InternalError";
        String status = throttle ? "503 Slow Down" : "500 Internal Server Error";
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>injected by "
                + "the test's fault proxy</Message><RequestId>fault</RequestId></Error>")
                .getBytes(StandardCharsets.UTF_8);
        boolean head = request.method().equals("HEAD");
        String reply = "HTTP/1.1 " + status + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + (head ? 0 : body.length) + "\r\nConnection: close\r\n\r\n";
        byte[] h = reply.getBytes(StandardCharsets.US_ASCII);
        if (head) {
            return h;
        }
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static void start(Runnable work) {
        Thread t = new Thread(work, "s3-fault-proxy-connection");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // it is gone either way
        }
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException alreadyClosed) {
            // closing it below is all there is left to do
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // it is gone either way
        }
    }

    @Override
    public void close() {
        closed = true;
        delays.shutdownNow();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
