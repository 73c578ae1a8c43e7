package io.protobase.storage.cluster;

import io.protobase.ConflictException;
import io.protobase.ObjectSpace;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.file.FileBlockProvider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One cluster node of the fault harness ({@link ClusterFaultTest}) in its own JVM: opens a
 * {@link ClusterFileStorage} and an {@link ObjectSpace} on it, prints {@code ready}, and answers a
 * line protocol on a control port of 127.0.0.1, one request per line, one answer line each:
 * <ul>
 * <li>{@code init <accounts> <balance>}: creates the bank (accounts {@code 0..n-1}, an empty transfer
 * log) unless it exists; {@code ok}.
 * <li>{@code transfer <id> <from> <to> <amount>}: in one transaction moves up to {@code amount} (at most
 * the balance of {@code from}) and appends {@code id:from:to:moved} to the transfer log. Answers
 * {@code ok} once committed, {@code failed <why>} when it is known not to be committed, and
 * {@code unknown <why>} when the outcome is not known (the quorum did not answer in time).
 * <li>{@code state}: a linearizable read: {@code state <root> <balances,...> <log entries,...>}.
 * <li>{@code status}: {@code status <role> <term> <leader id or -> <commit index> <applied index>}, from
 * the local Raft server only.
 * <li>{@code segments}: {@code segments <applied index> <SHA-256 of the segment files>}, the files in
 * name order, each as its name and its bytes: two nodes that applied the same log must answer alike.
 * <li>{@code reconfigure <id@host:port,...>}: makes those the members of the group through the leader
 * ({@link ClusterFileStorage#reconfigure}); {@code ok}.
 * <li>{@code error <why>} answers any request that threw (no quorum for a read, say).
 * </ul>
 * Arguments: node id, directory, Raft group name, peers ({@code id@host:port,...}), control port,
 * optionally a hosts file the JVM resolves host names with ({@code jdk.net.hosts.file}; {@code -} for
 * none): the fault harness names the peers by host name and gives each node a file that maps them to the
 * proxies of that node's links, so that a link can fail one way; optionally {@code learner} (or
 * {@code member}): the node joins a running group ({@link ClusterFileStorage#learner}) and waits until a
 * {@code reconfigure} through a member adds it, rather than standing for election in a group that does
 * not know it yet; and optionally the request timeout in milliseconds ({@link #REQUEST} without it).
 */
public final class ClusterNodeMain {

    static final String DATABASE = "bank";
    /** Short, so that the group elects a new leader quickly after a fault. */
    static final Duration ELECTION = Duration.ofMillis(400);
    /** How long a commit waits for a quorum before its outcome is unknown. */
    static final Duration REQUEST = Duration.ofSeconds(3);

    private ClusterNodeMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 5 && !args[5].equals("-")) {
            // read once, when InetAddress first resolves a name: before anything opens a socket
            System.setProperty("jdk.net.hosts.file", args[5]);
        }
        int nodeId = Integer.parseInt(args[0]);
        List<ClusterPeer> peers = peers(args[3]);
        ClusterFileStorage.Options options = ClusterFileStorage.Options.of(nodeId, peers)
                .withElectionTimeout(ELECTION)
                .withRequestTimeout(args.length > 7 ? Duration.ofMillis(Long.parseLong(args[7])) : REQUEST)
                .withGroupName(args[2]);
        boolean learner = args.length > 6 && args[6].equals("learner");
        ClusterFileStorage storage = null;
        ObjectSpace space = null;
        for (int attempt = 1; space == null; attempt++) {
            // an object space that cannot read its storage (no quorum within the request timeout, on a busy
            // machine) closes it: open it again, as a supervisor restarts a node that gave up
            FileBlockProvider directory = new FileBlockProvider(Path.of(args[1]));
            storage = learner ? ClusterFileStorage.learner(directory, options)
                    : new ClusterFileStorage(directory, options);
            try {
                space = openSpace(storage);
            } catch (StorageUnavailableException e) {
                storage.close();
                if (attempt == 10) {
                    throw e;
                }
            }
        }
        try (ServerSocket control = new ServerSocket(Integer.parseInt(args[4]), 50, InetAddress.getLoopbackAddress())) {
            System.out.println("ready");
            System.out.flush();
            Node node = new Node(storage, space, Path.of(args[1]));
            while (true) {
                Socket client = control.accept();
                Thread connection = new Thread(() -> node.serve(client), "control-" + client.getPort());
                connection.setDaemon(true);
                connection.start();
            }
        }
    }

    private static List<ClusterPeer> peers(String list) {
        List<ClusterPeer> peers = new ArrayList<>();
        for (String member : list.split(",")) {
            peers.add(ClusterPeer.valueOf(member));
        }
        return peers;
    }

    /**
     * Opens the object space once a quorum answers. Its first linearizable read waits only up to the
     * request timeout, and an object space that cannot read its storage closes it; the harness starts
     * the three nodes at once, but on a busy machine one JVM can be up more than a request timeout
     * before the others. So the node first reads the root until a quorum answers (a failed read
     * leaves the storage open), as a supervisor would restart an application node that gave up.
     */
    private static ObjectSpace openSpace(ClusterFileStorage storage) {
        for (int attempt = 1; ; attempt++) {
            try {
                storage.readRoot();
                break;
            } catch (StorageUnavailableException noQuorumYet) {
                if (attempt == 20) {
                    throw noQuorumYet;
                }
            }
        }
        // outside the retry: an object space whose own first read timed out closed the storage, and the caller
        // opens it again (reading the closed storage here failed a restart in CI)
        return new ObjectSpace(storage);
    }

    /** Answers the requests of one connection after another. */
    private record Node(ClusterFileStorage storage, ObjectSpace space, Path directory) {

        void serve(Socket client) {
            try (client;
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
                    PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.US_ASCII)) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.println(answerOrError(line.split(" ")));
                }
            } catch (IOException gone) {
                // the harness closed the connection (or gave up on it): nothing to answer
            }
        }

        private String answerOrError(String[] request) {
            try {
                return answer(request);
            } catch (RuntimeException e) {
                return "error " + oneLine(e);
            }
        }

        private String answer(String[] request) {
            return switch (request[0]) {
                case "init" -> init(Integer.parseInt(request[1]), Long.parseLong(request[2]));
                case "transfer" -> transfer(request[1], Integer.parseInt(request[2]), Integer.parseInt(request[3]),
                        Long.parseLong(request[4]));
                case "state" -> state();
                case "status" -> status(storage.status());
                case "segments" -> segments();
                case "reconfigure" -> {
                    storage.reconfigure(peers(request[1]));
                    yield "ok";
                }
                default -> "error unknown request " + request[0];
            };
        }

        private String init(int accounts, long balance) {
            space.getDatabase(DATABASE).write(tx -> {
                if (tx.getRootObject("accounts") == null) {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int a = 0; a < accounts; a++) {
                        b.setAt(a, balance);
                    }
                    tx.setRootObject("accounts", b.build());
                    tx.setRootObject("log", ProtoList.empty());
                }
                return null;
            });
            return "ok";
        }

        private String transfer(String id, int from, int to, long amount) {
            try {
                space.getDatabase(DATABASE).write(tx -> {
                    Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
                    long fromBalance = ((Number) accounts.getAt(from)).longValue();
                    long toBalance = ((Number) accounts.getAt(to)).longValue();
                    long moved = Math.min(amount, fromBalance);
                    tx.setRootObject("accounts",
                            accounts.setAt(from, fromBalance - moved).setAt(to, toBalance + moved));
                    ProtoList log = tx.getRootObject("log", ProtoList.class);
                    tx.setRootObject("log", log.appendLast(id + ":" + from + ":" + to + ":" + moved));
                    return null;
                });
                return "ok";
            } catch (ConflictException e) {
                // every attempt lost the compare-and-set in the log: none of them took effect
                return "failed " + oneLine(e);
            } catch (RuntimeException e) {
                // a StorageUnavailableException (no quorum in time) or anything else: the entry may still apply
                return "unknown " + oneLine(e);
            }
        }

        private String state() {
            return space.getDatabase(DATABASE).read(tx -> {
                Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
                List<String> balances = new ArrayList<>();
                for (int a = 0; a < accounts.count(); a++) {
                    balances.add(String.valueOf(((Number) accounts.getAt(a)).longValue()));
                }
                ProtoList log = tx.getRootObject("log", ProtoList.class);
                String entries = log.stream().map(String::valueOf).collect(Collectors.joining(","));
                String root = storage.readRoot().toString().replace(' ', '_');
                return "state " + root + " " + String.join(",", balances) + " "
                        + (entries.isEmpty() ? "-" : entries);
            });
        }

        private static String status(ClusterStatus s) {
            return "status " + s.role() + " " + s.term() + " "
                    + (s.leader().isPresent() ? String.valueOf(s.leader().getAsInt()) : "-") + " "
                    + s.commitIndex() + " " + s.appliedIndex();
        }

        /**
         * The applied index and a digest of the segment files, read again until the applied index did not
         * move meanwhile (an entry applied while hashing would mix two states).
         */
        private String segments() {
            while (true) {
                long applied = storage.status().appliedIndex();
                MessageDigest sha;
                try (Stream<Path> paths = Files.walk(directory)) {
                    sha = MessageDigest.getInstance("SHA-256");
                    for (Path file : paths.filter(f -> Files.isRegularFile(f)
                            && f.getParent().getFileName().toString().equals("segments")).sorted().toList()) {
                        sha.update(file.getFileName().toString().getBytes(StandardCharsets.US_ASCII));
                        sha.update(Files.readAllBytes(file));
                    }
                } catch (IOException | NoSuchAlgorithmException e) {
                    return "error " + oneLine(e);
                }
                if (storage.status().appliedIndex() == applied) {
                    return "segments " + applied + " " + HexFormat.of().formatHex(sha.digest());
                }
            }
        }

        private static String oneLine(Exception e) {
            return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
        }
    }
}
