package io.protobase.storage.cluster;

import io.protobase.ConflictException;
import io.protobase.ObjectSpace;
import io.protobase.StorageUnavailableException;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.testing.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One node of the cloud-cluster fault harness ({@link CloudClusterFaultTest}) in its own JVM: opens a
 * {@link CloudClusterFileStorage} on an S3 endpoint (the harness's fault proxy in front of S3Proxy) and an
 * {@link ObjectSpace} on it, prints {@code ready}, and answers the line protocol of {@link ClusterNodeMain}
 * on a control port of 127.0.0.1: {@code init}, {@code transfer}, {@code state}, {@code status},
 * {@code reconfigure} as there, plus
 * <ul>
 * <li>{@code upload}: waits until the bucket holds everything this node applied
 * ({@link CloudClusterFileStorage#uploadNow}); {@code ok}.
 * <li>{@code bucket}: {@code bucket <uploaded index> <backlog bytes> <fenced for good> failure=<last upload
 * failure or -> fencing=<why it stopped uploading or ->}.
 * <li>{@code gc}: what this process did to reclaim space since it started: {@code gc <segment files deleted
 * locally> <released segments whose chunks it deleted as leader> <orphan chunks it deleted as leader> <released
 * segments pending deletion> failure=<last garbage-collection failure or ->}.
 * </ul>
 * Arguments: node id, cache directory, group name, peers ({@code id@host:port,...}), control port, hosts
 * file ({@code -} for none), {@code member} (unused, as in {@link ClusterNodeMain}), S3 endpoint, bucket,
 * prefix, durability ({@code sync} or {@code async}), snapshot interval in log entries (a short one makes the
 * nodes purge their logs once the bucket holds a mark, so that restarted and new nodes start from the bucket),
 * and space reclamation: the background compactor's interval in milliseconds ({@code 0}: no compaction, the
 * engine's default history retention and segment size) and {@code gc-grace} in milliseconds. With compaction,
 * the node keeps no history ({@code historyRetention=0}), writes segments of {@link #SMALL_SEGMENT} bytes and
 * has its compactor rewrite sparse segments however few dead bytes they hold, so that segments fill, are
 * condemned, go and are released and deleted in the bucket within seconds.
 */
public final class CloudClusterNodeMain {

    static final String DATABASE = ClusterNodeMain.DATABASE;
    /** How long a {@code sync} commit (or one waiting for backlog room) waits for the bucket. */
    static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(5);
    /** The segment size with compaction: the smallest the cluster storage takes. */
    static final int SMALL_SEGMENT = 64 * 1024;

    private CloudClusterNodeMain() {
    }

    public static void main(String[] args) throws IOException {
        if (!args[5].equals("-")) {
            System.setProperty("jdk.net.hosts.file", args[5]);
        }
        int nodeId = Integer.parseInt(args[0]);
        ClusterFileStorage.Options options = ClusterFileStorage.Options.of(nodeId, peers(args[3]))
                .withElectionTimeout(ClusterNodeMain.ELECTION)
                .withRequestTimeout(ClusterNodeMain.REQUEST)
                .withGroupName(args[2])
                .withSnapshotInterval(Long.parseLong(args[11]));
        Duration compaction = Duration.ofMillis(Long.parseLong(args[12]));
        if (!compaction.isZero()) {
            options = options.withMaxEntryBytes(SMALL_SEGMENT).withSegmentSize(SMALL_SEGMENT);
        }
        S3Client s3 = S3ProxyServer.outageVisibleClient(URI.create(args[7]), Duration.ofSeconds(5));
        CloudFileStorage.Options cloud = CloudFileStorage.Options.defaults()
                .withDurability(CloudFileStorage.Durability.valueOf(args[10].toUpperCase(Locale.ROOT)))
                .withUploadInterval(Duration.ofMillis(200)).withCommitTimeout(COMMIT_TIMEOUT)
                .withCloseTimeout(Duration.ofSeconds(2)).withGcGrace(Duration.ofMillis(Long.parseLong(args[13])));
        CloudClusterFileStorage storage = null;
        ObjectSpace space = null;
        for (int attempt = 1; space == null; attempt++) {
            // a node with a new directory cannot open without the bucket, and an object space that cannot read what
            // it needs (from a bucket answering errors) closes its storage: open it again, as a supervisor restarts
            // a node that gave up
            try {
                storage = new CloudClusterFileStorage(new CloudBlockProvider(new S3ObjectStore(s3, args[8]), args[9],
                        Path.of(args[1]), 8L << 20, 64 * 1024), options, cloud);
            } catch (StorageUnavailableException e) {
                if (attempt == 10) {
                    throw e;
                }
                continue;
            }
            try {
                space = openSpace(storage, compaction);
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
            Node node = new Node(storage, space);
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
     * Opens the object space once the history started and a quorum answers, as {@link ClusterNodeMain} does.
     *
     * With a {@code compaction} interval, the space keeps no history and compacts in the background.
     *
     * @throws StorageUnavailableException when the object space could not read the database (it closed the storage)
     */
    private static ObjectSpace openSpace(CloudClusterFileStorage storage, Duration compaction) {
        for (int attempt = 1; ; attempt++) {
            try {
                storage.readRoot();
            } catch (StorageUnavailableException notYet) {
                if (attempt == 30) {
                    throw notYet;
                }
                continue;
            }
            if (compaction.isZero()) {
                return new ObjectSpace(storage);
            }
            return ObjectSpace.builder(storage).historyRetention(Duration.ZERO).compactionInterval(compaction)
                    .compactionMinDeadBytes(0).build();
        }
    }

    /** Answers the requests of one connection after another. */
    private record Node(CloudClusterFileStorage storage, ObjectSpace space) {

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
                case "reconfigure" -> {
                    storage.node().reconfigure(peers(request[1]));
                    yield "ok";
                }
                case "upload" -> {
                    storage.uploadNow();
                    yield "ok";
                }
                case "bucket" -> ("bucket " + storage.uploadedIndex() + " " + storage.uploadBacklogBytes() + " "
                        + storage.isFencedForGood() + " failure=" + storage.lastUploadFailure().orElse("-")
                        + " fencing=" + storage.fencing().orElse("-")).replace('\n', ' ');
                case "gc" -> ("gc " + storage.node().deletedSegments().size() + " " + storage.deletedSegments() + " "
                        + storage.deletedOrphanChunks() + " " + storage.pendingSegmentDeletions() + " failure="
                        + storage.garbageCollectionFailure().orElse("-")).replace('\n', ' ');
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
                return "failed " + oneLine(e);
            } catch (RuntimeException e) {
                // no quorum or no bucket in time (a sync commit may be replicated): the entry may still apply
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

        private static String oneLine(Exception e) {
            return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
        }
    }
}
