package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.cluster.ClusterStatus;
import io.protobase.storage.file.FileBlockProvider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One cluster node in a JVM of its own, so that a benchmark can kill it with SIGKILL as a crashed process
 * ({@link ClusterCommitLatency}, {@code part=failover}). The child ({@link #main}) opens a
 * {@code ClusterFileStorage} with {@link ClusterNodes#options} and an object space on it, prints
 * {@code ready <control port>}, and answers one request per line on that port of 127.0.0.1, one line each:
 * <ul>
 *   <li>{@code load <size>}: sets the {@link Dataset} dictionary of {@code size} records ({@link Dataset#load});
 *       {@code ok};</li>
 *   <li>{@code commit <id> <price>}: the one-key commit of the benchmarks ({@link Dataset#replace}) with the record
 *       of {@code id} at {@code price}; {@code ok} once acknowledged, else {@code failed <exception>: <message>};</li>
 *   <li>{@code status}: {@code status <role> <leader id or -> <commit index> <applied index>} from the local Raft
 *       server;</li>
 *   <li>{@code close}: closes the node as an application would (a leader hands leadership over first), answers
 *       {@code closed} and exits.</li>
 *   <li>{@code error <exception>: <message>} answers a request that threw (a status without a Raft server);</li>
 * </ul>
 * Arguments of {@code main}: node id, directory, peers ({@code id@host:port,...}), election timeout in ms. The
 * parent side ({@link #launch}, {@link #ask}, {@link #kill}, {@link #close}) starts it with this JVM's
 * {@code java} and class path.
 */
final class ClusterNodeJvm implements AutoCloseable {

    private final int nodeId;
    private final Process process;
    private final Path stderr;
    private Socket control;
    private BufferedReader in;
    private PrintWriter out;

    private ClusterNodeJvm(int nodeId, Process process, Path stderr) {
        this.nodeId = nodeId;
        this.process = process;
        this.stderr = stderr;
    }

    /**
     * Starts node {@code nodeId} of {@code peers} on {@code directory} in a new JVM; its standard error goes to
     * {@code directory}{@code .err}. Returns at once: {@link #awaitReady()} waits until it answers (which needs a
     * quorum of the group, so start the others before waiting).
     */
    static ClusterNodeJvm launch(int nodeId, Path directory, List<ClusterPeer> peers, Duration election)
            throws IOException {
        Path err = directory.resolveSibling(directory.getFileName() + ".err");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), ClusterNodeJvm.class.getName(),
                Integer.toString(nodeId), directory.toString(),
                peers.stream().map(ClusterPeer::toString).collect(Collectors.joining(",")),
                Long.toString(election.toMillis()));
        Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        return new ClusterNodeJvm(nodeId, process, err);
    }

    /** Waits until the node printed {@code ready} and connects to its control port; fails if it died first. */
    ClusterNodeJvm awaitReady() throws IOException {
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.US_ASCII));
        String line = stdout.readLine();
        if (line == null || !line.startsWith("ready ")) {
            throw new IllegalStateException("cluster node " + nodeId + " did not start (it printed " + line
                    + "); its standard error: " + errors());
        }
        control = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(line.substring("ready ".length())));
        in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
        out = new PrintWriter(control.getOutputStream(), true, StandardCharsets.US_ASCII);
        return this;
    }

    /** Sends {@code request} and returns the node's answer. */
    String ask(String request) throws IOException {
        out.println(request);
        String answer = in.readLine();
        if (answer == null) {
            throw new IllegalStateException("cluster node " + nodeId + " closed its control connection on '"
                    + request + "'; its standard error: " + errors());
        }
        return answer;
    }

    /** Whether its JVM runs. */
    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Kills its JVM with SIGKILL ({@link Process#destroyForcibly()} on Linux), waits until it is gone and returns its
     * exit status: 137 (128 + 9) when the kill ended it, its own status when it had ended before.
     */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        int status = process.waitFor();
        closeControl();
        return status;
    }

    /** Closes the node as an application would ({@code close}) and waits for its JVM to end; kills it if it hangs. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (process.isAlive() && out != null) {
                String answer = ask("close");
                if (!answer.equals("closed")) {
                    throw new IllegalStateException("cluster node " + nodeId + " answered '" + answer + "' to close");
                }
                process.waitFor();
            }
        } finally {
            kill();
        }
    }

    private void closeControl() {
        try {
            if (control != null) {
                control.close();
            }
        } catch (IOException ignored) {
            // the node is gone: nothing to close politely
        }
    }

    private String errors() {
        try {
            process.waitFor();
            return Files.exists(stderr) ? Files.readString(stderr) : "(none)";
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + stderr, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** The child: see the class comment for the arguments and the requests. */
    public static void main(String[] args) throws IOException {
        int nodeId = Integer.parseInt(args[0]);
        List<ClusterPeer> peers = new ArrayList<>();
        for (String member : args[2].split(",")) {
            peers.add(ClusterPeer.valueOf(member));
        }
        ClusterFileStorage storage = new ClusterFileStorage(new FileBlockProvider(Path.of(args[1])),
                ClusterNodes.options(nodeId, peers, Duration.ofMillis(Long.parseLong(args[3]))));
        // the JVMs of a group start at once, but one can be up well before the others on a busy machine
        ObjectSpace space = ClusterNodes.openSpace(storage, 10);
        Database db = space.getDatabase(Dataset.NAME);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            System.out.println("ready " + server.getLocalPort());
            System.out.flush();
            while (true) {
                try (Socket client = server.accept();
                        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                                StandardCharsets.US_ASCII));
                        PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.US_ASCII)) {
                    for (String line; (line = in.readLine()) != null; ) {
                        String[] request = line.split(" ");
                        if (request[0].equals("close")) {
                            space.close();
                            out.println("closed");
                            System.exit(0);
                        }
                        try {
                            out.println(answer(request, storage, db));
                        } catch (RuntimeException e) {
                            out.println(("error " + e.getClass().getSimpleName() + ": " + e.getMessage())
                                    .replace('\n', ' '));
                        }
                    }
                }
            }
        }
    }

    private static String answer(String[] request, ClusterFileStorage storage, Database db) {
        switch (request[0]) {
            case "load" -> {
                Dataset.load(db, Integer.parseInt(request[1]));
                return "ok";
            }
            case "commit" -> {
                int id = Integer.parseInt(request[1]);
                try {
                    Dataset.replace(db, Dataset.key(id), Dataset.protobaseRecord(id,
                            Double.parseDouble(request[2])));
                    return "ok";
                } catch (ProtoBaseException e) {
                    return ("failed " + e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
                }
            }
            case "status" -> {
                ClusterStatus s = storage.status();
                return "status " + s.role() + " " + (s.leader().isPresent() ? String.valueOf(s.leader().getAsInt())
                        : "-") + " " + s.commitIndex() + " " + s.appliedIndex();
            }
            default -> {
                return "error unknown request " + String.join(" ", request);
            }
        }
    }
}
