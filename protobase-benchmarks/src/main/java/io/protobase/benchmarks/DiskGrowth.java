package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.cloud.S3ObjectStore;
import io.protobase.storage.cluster.CloudClusterFileStorage;
import io.protobase.storage.cluster.ClusterFileStorage;
import io.protobase.storage.cluster.ClusterPeer;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Space (2) and (4), not a JMH benchmark: how much space a store takes after {@code commits} random one-key
 * commits on the {@link Dataset} dictionary of {@code size} (100,000) records, against a fresh load of the same
 * final content. Each commit replaces the record of a key drawn at random (fixed seed) with a new price; a
 * {@code double[]} follows every key's last price, and the fresh store is loaded from it in one commit, so both
 * hold exactly the same entries. Per engine ({@code engines}, default {@code protobase,mvstore}):
 * <ul>
 *   <li>{@code protobase}: a {@code StandaloneFileStorage} loaded with its defaults, then committed to with
 *       {@code fsync=none} (only to keep the run short: what is written does not depend on it); the bytes of its
 *       directory once closed. With {@code compaction=30s} (any positive interval; default {@code 0s}, none) the
 *       commits run with the background compactor at that interval and the other settings a Spring Boot
 *       application gets by default (history retention 1 minute bounded to half the live data's size, live fraction
 *       0.5, 1 MiB of dead bytes, 8 MiB per second; the compactor also runs whenever commits have written a
 *       quarter of the live size), so the figure is the space a store with default settings takes; the size
 *       while still open, at the end of the commits, is printed too; {@code retention=0s} (default
 *       {@code 1m}) changes the history retention, which decides how much superseded data is still kept;
 *       {@code fsync=commit} (with compaction only) commits at the rate durable commits reach, where the
 *       compactor competes with a slower writer; {@code settle=60s} (with compaction only) then leaves the space
 *       idle until the compactor has not run for 2 s (at most that long) and prints the size then; the largest size
 *       seen while committing (sampled every 250 ms) is printed too; {@code linger=90s} (with compaction only)
 *       then leaves it idle that much longer and prints the size again (once the history retention has passed,
 *       what is left is the live data and what compaction leaves of its segments);</li>
 *   <li>{@code mvstore}: an MVStore file opened as {@link FileStores.MVStoreSettings#TUNED}, in each mode of
 *       {@code mvstoreModes}: {@code commit}, one {@code put} and {@code commit()} per commit (every commit its own
 *       version in the file, as a user who needs each change on disk writes it, without the {@code sync()}), or
 *       {@code auto}, {@code put} alone, leaving the writing to MVStore's background auto-commit (about once a
 *       second, as H2's own SQL engine does; a crash loses that second). MVStore's background work (reuse of free
 *       space in the file after its 45 s retention time, auto-compaction) runs as it would for its users. Printed:
 *       the file once closed, with MVStore's fill rates before closing, and the fresh load's file both once closed
 *       and after the offline compaction a user would run on a bulk-loaded file
 *       ({@link FileStores.MVStoreFile#compact});</li>
 *   <li>{@code cloud}: a {@code CloudFileStorage} (defaults: {@code durability=async}, 5 s upload interval,
 *       5 MiB objects; its local log fsyncs every commit) against S3Proxy in this JVM ({@link CloudS3}, an
 *       in-memory bucket, so its bytes live on this JVM's heap); the objects and bytes under the store's prefix
 *       once it is closed (close uploads everything), and the bytes of its local cache directory. With
 *       {@code compaction=30s} the commits run with the background compactor as above, then the run waits out
 *       {@code gcGrace} (default {@code 1h}: give a short one, such as {@code 5s}) and collects garbage once, so
 *       that the bucket holds what it settles at once the chunks released by compaction are deleted.</li>
 *   <li>{@code cluster}: three {@code ClusterFileStorage} nodes (Raft, fsync of the Raft log on every entry) on
 *       127.0.0.1 in this JVM, each with an object space with the background compactor at {@code compaction}
 *       ({@code 0s}: none, the "no reclamation" baseline) and the history {@code retention}; the data set is
 *       loaded through node 1, the commits go round-robin to the three nodes; with compaction, every node then
 *       runs {@code ObjectSpace.compact()} in rounds (the leader's first) until the directories have not shrunk
 *       for four rounds (at most 30 rounds). Printed per node: the segment files and the whole
 *       directory (Raft log and snapshots included) after the load, after the commits and after the rounds,
 *       against a fresh single-node load of the final content.</li>
 *   <li>{@code cloud-cluster}: three {@code CloudClusterFileStorage} nodes on 127.0.0.1 on one prefix of S3Proxy in
 *       this JVM (cloud defaults, {@code durability=async}), with compaction as for {@code cluster}; each round
 *       also uploads and waits out {@code gcGrace} (give a short one) until the leader has deleted the chunks its
 *       root objects released, and the rounds end once the bucket has not shrunk for four of them. Printed: the
 *       bucket after the load, after the commits and after the rounds, against a fresh single-node cloud load of
 *       the final content, and each node's directory.</li>
 * </ul>
 * The time per commit is printed, so that a run with fewer commits than the target (1,000,000) can be
 * extrapolated (ProtoBase's growth is linear while nothing is reclaimed; MVStore's is not, it reuses space). The
 * cloud run needs a smaller {@code commits}: its bucket lives on the heap, about 5 KB per commit. Each store is
 * reopened and checked (count and last commit), then deleted.
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.DiskGrowth \
 *     [size=100000] [commits=1000000] [engines=protobase,mvstore] [mvstoreModes=commit,auto] \
 *     [compaction=0s] [retention=1m] [fsync=none]
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.DiskGrowth \
 *     commits=100000 engines=cloud [compaction=30s gcGrace=5s]
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.DiskGrowth \
 *     size=10000 commits=20000 engines=cluster compaction=30s [retention=1m]
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.DiskGrowth \
 *     size=10000 commits=20000 engines=cloud-cluster compaction=30s gcGrace=5s [retention=1m]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class DiskGrowth {

    private static final Set<String> ENGINES = Set.of("protobase", "mvstore", "cloud", "cluster", "cloud-cluster");
    private static final Set<String> MVSTORE_MODES = Set.of("commit", "auto");

    private DiskGrowth() {
    }

    /** The commits of one run: the key each changes, and every key's price after them. */
    record Plan(int size, int[] commitIds, double[] finalPrices) {

        static Plan of(int size, int commits, long seed) {
            Random random = new Random(seed);
            int[] commitIds = new int[commits];
            double[] prices = new double[size + 1];
            for (int id = 1; id <= size; id++) {
                prices[id] = Dataset.price(id);
            }
            for (int n = 0; n < commits; n++) {
                commitIds[n] = 1 + random.nextInt(size);
                prices[commitIds[n]] = price(commitIds[n], n);
            }
            return new Plan(size, commitIds, prices);
        }

        /** The price commit {@code n} (0-based) sets on {@code id}: unlike the load's and every other commit's. */
        static double price(int id, int n) {
            return Dataset.price(id) + n + 1;
        }

        int commits() {
            return commitIds.length;
        }

        int lastId() {
            return commitIds[commitIds.length - 1];
        }

        /** The record of {@code id} in the final content. */
        DbObject finalRecord(int id) {
            return Dataset.protobaseRecord(id, finalPrices[id]);
        }
    }

    public static void main(String[] args) {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("size", "100000");
        defaults.put("commits", "1000000");
        defaults.put("engines", "protobase,mvstore");
        defaults.put("mvstoreModes", "commit,auto");
        defaults.put("compaction", "0s");
        defaults.put("retention", "1m");
        defaults.put("gcGrace", "1h");
        defaults.put("fsync", "none");
        defaults.put("settle", "0s");
        defaults.put("linger", "0s");
        MainArgs a = new MainArgs("DiskGrowth", args, defaults);
        List<String> engines = List.of(a.string("engines").split(","));
        for (String engine : engines) {
            if (!ENGINES.contains(engine)) {
                throw new IllegalArgumentException("DiskGrowth: engines must be among " + ENGINES + ", not " + engine);
            }
        }
        List<String> mvstoreModes = List.of(a.string("mvstoreModes").split(","));
        for (String mode : mvstoreModes) {
            if (!MVSTORE_MODES.contains(mode)) {
                throw new IllegalArgumentException("DiskGrowth: mvstoreModes must be among " + MVSTORE_MODES + ", not "
                        + mode);
            }
        }
        Duration compaction = duration(a, "compaction");
        Duration retention = duration(a, "retention");
        Plan plan = Plan.of(a.count("size"), a.count("commits"), Dataset.UPDATE_SEED);
        if (plan.commits() == 0) {
            throw new IllegalArgumentException("DiskGrowth: commits must be at least 1");
        }
        System.out.printf("Space after random one-key commits against a fresh load of the same content (%s; stores "
                + "under %s)%n", a.describe(), FileStores.baseDir());
        for (String engine : engines) {
            switch (engine) {
                case "protobase" -> protobase(plan, compaction, retention,
                        FsyncPolicy.valueOf(a.string("fsync").toUpperCase(Locale.ROOT)), duration(a, "settle"),
                        duration(a, "linger"));
                case "mvstore" -> {
                    for (String mode : mvstoreModes) {
                        mvstore(plan, "commit".equals(mode));
                    }
                }
                case "cluster" -> cluster(plan, compaction, retention);
                case "cloud-cluster" -> cloudCluster(plan, compaction, retention, duration(a, "gcGrace"));
                default -> cloud(plan, compaction, retention, duration(a, "gcGrace"));
            }
        }
    }

    /** See the class comment: three cluster nodes in this JVM, commits round-robin, then compaction rounds. */
    private static void cluster(Plan plan, Duration compaction, Duration retention) {
        boolean off = compaction.isZero();
        Path dir = FileStores.newDir("cluster-growth-");
        Path fresh = FileStores.newDir("cluster-growth-fresh-");
        List<ClusterPeer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", ClusterNodes.freePort()));
        }
        List<ClusterFileStorage> storages = new ArrayList<>();
        List<ObjectSpace> spaces = new ArrayList<>();
        try {
            for (int id = 1; id <= 3; id++) {
                storages.add(new ClusterFileStorage(new FileBlockProvider(dir.resolve("node-" + id)),
                        ClusterNodes.options(id, peers, Duration.ofSeconds(1))));
            }
            for (ClusterFileStorage storage : storages) {
                storage.readRoot(); // waits for a leader (within the request timeout)
            }
            for (ClusterFileStorage storage : storages) {
                spaces.add(ObjectSpace.builder(storage).historyRetention(retention).compactionInterval(compaction)
                        .build());
            }
            List<Database> dbs = spaces.stream().map(s -> s.getDatabase(Dataset.NAME)).toList();
            Dataset.load(dbs.get(0), plan.size());
            String loaded = clusterBytes(dir);
            Progress progress = new Progress("cluster", plan.commits());
            long t0 = System.nanoTime();
            for (int n = 0; n < plan.commits(); n++) {
                int id = plan.commitIds()[n];
                Dataset.replace(dbs.get(n % 3), Dataset.key(id), Dataset.protobaseRecord(id, Plan.price(id, n)));
                progress.done(n + 1);
            }
            long nanos = System.nanoTime() - t0;
            String committed = clusterBytes(dir);
            int rounds = 0;
            if (!off) {
                long before = Long.MAX_VALUE;
                int still = 0;
                // a segment goes in steps (condemned, acknowledged by every node, deleted), a round each at least
                while (rounds < 30 && still < 4) {
                    rounds++;
                    int leader = 0;
                    for (int i = 0; i < 3; i++) {
                        if (storages.get(i).isLeader()) {
                            leader = i;
                        }
                    }
                    spaces.get(leader).compact();
                    for (int i = 0; i < 3; i++) {
                        if (i != leader) {
                            spaces.get(i).compact();
                        }
                    }
                    long now = FileStores.bytesOnDisk(dir);
                    still = now < before ? 0 : still + 1;
                    before = Math.min(before, now);
                }
            }
            String settled = clusterBytes(dir);
            for (Database db : dbs) {
                long count = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
                if (count != plan.size()) {
                    throw new IllegalStateException("a cluster node counts " + count + " entries, not " + plan.size());
                }
            }
            ObjectSpace.Statistics st = spaces.get(0).statistics();
            try (FileStores.ProtoBaseFile f = FileStores.ProtoBaseFile.open(fresh)) {
                load(plan, f.db);
            }
            long freshBytes = FileStores.bytesOnDisk(fresh);
            System.out.printf("ProtoBase cluster (3 nodes in this JVM, %s, history retention %s): after the load %s;"
                    + " after %,d commits round-robin over the nodes %s (%,.1f µs per commit); after %d compaction"
                    + " round(s) on every node %s; live %,d bytes; a fresh single-node load of the final content:"
                    + " %,d bytes%n", off ? "no compaction" : "background compaction every " + compaction, retention,
                    loaded, plan.commits(), committed, nanos / 1e3 / plan.commits(), rounds, settled, st.liveBytes(),
                    freshBytes);
        } finally {
            spaces.forEach(ObjectSpace::close);
            storages.parallelStream().forEach(ClusterFileStorage::close);
            FileStores.delete(dir);
            FileStores.delete(fresh);
        }
    }

    /**
     * See the class comment: three cloud-cluster nodes in this JVM on one prefix of S3Proxy, commits round-robin,
     * then compaction rounds and the grace; the bucket against a fresh single-node cloud load of the final content.
     */
    private static void cloudCluster(Plan plan, Duration compaction, Duration retention, Duration gcGrace) {
        boolean off = compaction.isZero();
        Path dir = FileStores.newDir("cloud-cluster-growth-");
        List<ClusterPeer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            peers.add(new ClusterPeer(id, "127.0.0.1", ClusterNodes.freePort()));
        }
        CloudFileStorage.Options options = CloudFileStorage.Options.defaults().withGcGrace(gcGrace);
        List<CloudClusterFileStorage> storages = new ArrayList<>();
        List<ObjectSpace> spaces = new ArrayList<>();
        try (CloudS3 s3 = new CloudS3()) {
            ObjectStore bucket = new S3ObjectStore(s3.client, CloudS3.BUCKET);
            try {
                for (int id = 1; id <= 3; id++) {
                    CloudBlockProvider provider = new CloudBlockProvider(bucket, "growth/", dir.resolve("node-" + id));
                    storages.add(new CloudClusterFileStorage(provider, ClusterNodes.options(id, peers,
                            Duration.ofSeconds(1)).withGroupName("growth"), options));
                }
                for (CloudClusterFileStorage storage : storages) {
                    storage.readRoot(); // waits for a leader and the history's start (within the request timeout)
                }
                for (CloudClusterFileStorage storage : storages) {
                    spaces.add(ObjectSpace.builder(storage).historyRetention(retention).compactionInterval(compaction)
                            .build());
                }
                List<Database> dbs = spaces.stream().map(s -> s.getDatabase(Dataset.NAME)).toList();
                CloudS3.load(dbs.get(0), plan.size());
                storages.get(0).uploadNow();
                Bucket loaded = Bucket.of(bucket, "growth/");
                Progress progress = new Progress("cloud-cluster", plan.commits());
                long t0 = System.nanoTime();
                for (int n = 0; n < plan.commits(); n++) {
                    int id = plan.commitIds()[n];
                    Dataset.replace(dbs.get(n % 3), Dataset.key(id), Dataset.protobaseRecord(id, Plan.price(id, n)));
                    progress.done(n + 1);
                }
                long nanos = System.nanoTime() - t0;
                storages.get(0).uploadNow();
                Bucket committed = Bucket.of(bucket, "growth/");
                int rounds = 0;
                if (!off) {
                    long before = Long.MAX_VALUE;
                    int still = 0;
                    // a segment goes in steps (condemned, acknowledged by every node, released by the next root
                    // object, its chunks deleted after the grace): a round each at least
                    while (rounds < 30 && still < 4) {
                        rounds++;
                        CloudClusterFileStorage leader = storages.stream().filter(CloudClusterFileStorage::isLeader)
                                .findFirst().orElse(storages.get(0));
                        spaces.get(storages.indexOf(leader)).compact();
                        for (int i = 0; i < 3; i++) {
                            if (storages.get(i) != leader) {
                                spaces.get(i).compact();
                            }
                        }
                        leader.uploadNow();
                        awaitCollected(leader, gcGrace);
                        long now = Bucket.of(bucket, "growth/").bytes();
                        still = now < before ? 0 : still + 1;
                        before = Math.min(before, now);
                    }
                }
                Bucket after = Bucket.of(bucket, "growth/");
                for (Database db : dbs) {
                    long count = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
                    if (count != plan.size()) {
                        throw new IllegalStateException("a cloud-cluster node counts " + count + " entries, not "
                                + plan.size());
                    }
                }
                try (ObjectSpace space = CloudS3.space(s3.open("fresh/", dir.resolve("fresh"), options))) {
                    load(plan, space.getDatabase(Dataset.NAME));
                }
                Bucket fresh = Bucket.of(bucket, "fresh/");
                System.out.printf("ProtoBase cloud cluster (3 nodes in this JVM, S3Proxy in memory, %s, history "
                        + "retention %s, gc-grace %s): the bucket holds %s after the load, %s after %,d commits "
                        + "round-robin over the nodes (%,.1f µs per commit), %s after %d compaction round(s) on every "
                        + "node and the grace; a fresh single-node cloud load of the final content: %s; %.1f× the "
                        + "fresh bucket; node directories %s%n", off ? "no compaction"
                        : "background compaction every " + compaction, retention, gcGrace, loaded, committed,
                        plan.commits(), nanos / 1e3 / plan.commits(), after, rounds, fresh,
                        after.bytes() / (double) fresh.bytes(), cloudClusterBytes(dir));
            } finally {
                spaces.forEach(ObjectSpace::close);
                storages.parallelStream().forEach(CloudClusterFileStorage::close);
            }
        } finally {
            FileStores.delete(dir);
        }
    }

    /**
     * Waits until the leader has deleted the chunks of every segment its root object released (at least the
     * grace), for at most twice the grace and a minute.
     */
    private static void awaitCollected(CloudClusterFileStorage leader, Duration gcGrace) {
        long deadline = System.nanoTime() + gcGrace.multipliedBy(2).plusMinutes(1).toNanos();
        try {
            Thread.sleep(gcGrace.toMillis());
            while (leader.pendingSegmentDeletions() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Per node of a cloud-cluster directory: the bytes of the whole node directory (Raft log, segments, cache). */
    private static String cloudClusterBytes(Path dir) {
        StringBuilder b = new StringBuilder("[");
        for (int id = 1; id <= 3; id++) {
            b.append(id == 1 ? "" : "; ").append(String.format("node %d: %,d bytes", id,
                    FileStores.bytesOnDisk(dir.resolve("node-" + id))));
        }
        return b.append("]").toString();
    }

    /** Per node of a cluster directory: the bytes of its segment files and of the whole node directory. */
    private static String clusterBytes(Path dir) {
        StringBuilder b = new StringBuilder("[");
        for (int id = 1; id <= 3; id++) {
            Path node = dir.resolve("node-" + id);
            long segments;
            try (Stream<Path> files = Files.walk(node)) {
                segments = files.filter(p -> p.getFileName().toString().endsWith(".seg"))
                        .mapToLong(p -> p.toFile().length()).sum();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            b.append(id == 1 ? "" : "; ").append(String.format("node %d: segments %,d bytes, directory %,d bytes", id,
                    segments, FileStores.bytesOnDisk(node)));
        }
        return b.append("]").toString();
    }

    private static Duration duration(MainArgs a, String name) {
        Duration d = Duration.parse("PT" + a.string(name).toUpperCase(Locale.ROOT));
        if (d.isNegative()) {
            throw new IllegalArgumentException("DiskGrowth: " + name + " must be a duration such as 30s or 0s");
        }
        return d;
    }

    private static void protobase(Plan plan, Duration compaction, Duration retention, FsyncPolicy fsync,
            Duration settle, Duration linger) {
        Path dir = FileStores.newDir("protobase-growth-");
        Path fresh = FileStores.newDir("protobase-growth-fresh-");
        try {
            FileStores.ProtoBaseFile.load(dir, plan.size()).close();
            long loaded = FileStores.bytesOnDisk(dir);
            long nanos;
            if (compaction.isZero()) {
                try (FileStores.ProtoBaseFile f = FileStores.ProtoBaseFile.open(dir, FsyncPolicy.NONE)) {
                    nanos = commit(plan, f.db, "ProtoBase");
                }
            } else {
                StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                        StandaloneFileStorage.Options.defaults().withFsync(fsync));
                try (ObjectSpace space = ObjectSpace.builder(storage).historyRetention(retention)
                        .compactionInterval(compaction).build()) {
                    Peak peak = new Peak(dir);
                    try {
                        nanos = commit(plan, space.getDatabase(Dataset.NAME), "ProtoBase");
                    } finally {
                        peak.stop();
                    }
                    System.out.printf("ProtoBase at the end of the commits, still open: %,d bytes (%s; the segment "
                            + "being written counted with its preallocation); the largest seen while committing "
                            + "(sampled every 250 ms): %,d bytes%n", FileStores.bytesOnDisk(dir), segmentFiles(dir),
                            peak.largest());
                    printSpace(space);
                    if (!settle.isZero()) {
                        settle(space, dir, settle);
                    }
                    if (!linger.isZero()) {
                        linger(space, dir, linger);
                    }
                    ObjectSpace.Statistics st = space.statistics();
                    System.out.printf("ProtoBase background compaction every %s, history retention %s: %,d runs, %,d "
                            + "bytes rewritten, %,d segments released%n", compaction, retention, st.compactions(),
                            st.compactionBytesRewritten(), st.compactionSegmentsReleased());
                }
            }
            long after = FileStores.bytesOnDisk(dir);
            try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                reopened.checkCount(plan.size());
                reopened.checkPrice(plan.lastId(), plan.finalPrices()[plan.lastId()]);
            }
            String files = segmentFiles(dir);
            try (FileStores.ProtoBaseFile f = FileStores.ProtoBaseFile.open(fresh)) {
                load(plan, f.db);
            }
            long freshBytes = FileStores.bytesOnDisk(fresh);
            System.out.printf("ProtoBase (StandaloneFileStorage, fsync=" + fsync.name().toLowerCase(Locale.ROOT)
                    + (compaction.isZero() ? ""
                    : ", compaction every " + compaction) + "): %,d bytes after the load, %,d after %,d "
                    + "commits (%,.0f bytes per commit; %s); a fresh load of the final content: %,d bytes; %.1f× the "
                    + "fresh store; %,.1f µs per commit%n", loaded, after, plan.commits(),
                    (after - loaded) / (double) plan.commits(), files, freshBytes, after / (double) freshBytes,
                    nanos / 1e3 / plan.commits());
        } finally {
            FileStores.delete(dir);
            FileStores.delete(fresh);
        }
    }

    /**
     * Leaves the space idle until its background compactor has not run for two seconds, at most
     * {@code limit}, and prints the size then: what the store comes back to once the commits stop.
     */
    private static void settle(ObjectSpace space, Path dir, Duration limit) {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        long runs = space.statistics().compactions();
        long quietSince = start;
        while (System.nanoTime() < deadline && System.nanoTime() - quietSince < 2_000_000_000L) {
            try {
                Thread.sleep(100); // a benchmark polling an idle space, not a test synchronising threads
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = space.statistics().compactions();
            if (now != runs) {
                runs = now;
                quietSince = System.nanoTime();
            }
        }
        System.out.printf("ProtoBase idle after the commits for %.1f s (until the compactor had not run for 2 s, at "
                + "most %s): %,d bytes (%s), %,d compaction runs in all%n", (System.nanoTime() - start) / 1e9, limit,
                FileStores.bytesOnDisk(dir), segmentFiles(dir), runs);
        printSpace(space);
    }

    /** What the space's statistics say of its bytes: live, held back by history, and in the segments. */
    private static void printSpace(ObjectSpace space) {
        ObjectSpace.Statistics st = space.statistics();
        System.out.printf("ProtoBase space: live %,d bytes, history holds back %,d, segments %,d (%.2f× live)%n",
                st.liveBytes(), st.historyBytes(), st.storedBytes(), st.storedBytes() / (double) st.liveBytes());
    }

    /** Leaves the space idle for {@code linger} more, then prints its size: what it holds once history expired. */
    private static void linger(ObjectSpace space, Path dir, Duration linger) {
        try {
            Thread.sleep(linger.toMillis()); // a benchmark leaving a space idle, not a test synchronising threads
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        System.out.printf("ProtoBase idle %s more: %,d bytes (%s), %,d compaction runs in all%n", linger,
                FileStores.bytesOnDisk(dir), segmentFiles(dir), space.statistics().compactions());
        printSpace(space);
    }

    /** The largest size of a directory seen while it is written to, sampled every 250 ms. */
    private static final class Peak {
        private final java.util.concurrent.ScheduledExecutorService sampler =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "disk-growth-peak");
                    t.setDaemon(true);
                    return t;
                });
        private final java.util.concurrent.atomic.AtomicLong largest = new java.util.concurrent.atomic.AtomicLong();

        Peak(Path dir) {
            sampler.scheduleAtFixedRate(() -> {
                try {
                    largest.accumulateAndGet(FileStores.bytesOnDisk(dir), Math::max);
                } catch (RuntimeException e) {
                    // a segment deleted while listing: the next sample counts
                }
            }, 0, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        void stop() {
            sampler.shutdownNow();
        }

        long largest() {
            return largest.get();
        }
    }

    private static void mvstore(Plan plan, boolean commitEach) {
        Path dir = FileStores.newDir("mvstore-growth-");
        Path fresh = FileStores.newDir("mvstore-growth-fresh-");
        try {
            FileStores.MVStoreFile.load(dir, plan.size()).close();
            long loaded = FileStores.bytesOnDisk(dir);
            long nanos;
            String fillRates;
            try (FileStores.MVStoreFile f = FileStores.MVStoreFile.open(dir)) {
                Progress progress = new Progress("MVStore", plan.commits());
                long t0 = System.nanoTime();
                for (int n = 0; n < plan.commits(); n++) {
                    int id = plan.commitIds()[n];
                    f.map.put(Dataset.key(id), Dataset.mvstoreRecord(id, Plan.price(id, n)));
                    if (commitEach) {
                        f.store.commit();
                    }
                    progress.done(n + 1);
                }
                nanos = System.nanoTime() - t0;
                fillRates = String.format("fill rate %d%%, chunks fill rate %d%% before close", f.store.getFillRate(),
                        f.store.getFileStore().getChunksFillRate());
            }
            long after = FileStores.bytesOnDisk(dir);
            try (FileStores.MVStoreFile reopened = FileStores.MVStoreFile.open(dir)) {
                reopened.checkCount(plan.size());
                reopened.checkPrice(plan.lastId(), plan.finalPrices()[plan.lastId()]);
            }
            try (FileStores.MVStoreFile f = FileStores.MVStoreFile.open(fresh)) {
                for (int id : Dataset.shuffledIds(plan.size(), Dataset.INSERT_SEED)) {
                    f.map.put(Dataset.key(id), Dataset.mvstoreRecord(id, plan.finalPrices()[id]));
                }
                f.store.commit();
            }
            long freshBytes = FileStores.bytesOnDisk(fresh);
            FileStores.MVStoreFile.compact(fresh);
            long freshCompacted = FileStores.bytesOnDisk(fresh);
            System.out.printf("MVStore (file, 64 MB auto-commit buffer, %s): %,d bytes after the load, %,d after %,d "
                    + "commits (%,.0f bytes per commit; %s); a fresh load of the final content: %,d bytes, %,d "
                    + "compacted; %.1f× the fresh store, %.1f× the compacted one; %,.1f µs per commit%n",
                    commitEach ? "commit() per commit, no sync" : "put only, background auto-commit", loaded, after,
                    plan.commits(), (after - loaded) / (double) plan.commits(), fillRates, freshBytes, freshCompacted,
                    after / (double) freshBytes, after / (double) freshCompacted, nanos / 1e3 / plan.commits());
        } finally {
            FileStores.delete(dir);
            FileStores.delete(fresh);
        }
    }

    private static void cloud(Plan plan, Duration compaction, Duration retention, Duration gcGrace) {
        Path dir = FileStores.newDir("protobase-cloud-growth-");
        try (CloudS3 s3 = new CloudS3()) {
            ObjectStore bucket = new S3ObjectStore(s3.client, CloudS3.BUCKET);
            CloudFileStorage.Options options = CloudFileStorage.Options.defaults().withGcGrace(gcGrace);
            Bucket loaded;
            long nanos;
            long puts;
            CloudFileStorage storage = s3.open("growth/", dir.resolve("cache"), options);
            try (ObjectSpace space = ObjectSpace.builder(storage).historyRetention(retention)
                    .compactionInterval(compaction).build()) {
                Database db = space.getDatabase(Dataset.NAME);
                CloudS3.load(db, plan.size());
                storage.uploadNow();
                loaded = Bucket.of(bucket, "growth/");
                long puts0 = storage.putRequests();
                nanos = commit(plan, db, "Cloud");
                if (!compaction.isZero()) {
                    storage.uploadNow();
                    System.out.printf("Cloud at the end of the commits: the bucket holds %s; waiting out the gc-grace "
                            + "of %s for the chunks compaction released%n", Bucket.of(bucket, "growth/"), gcGrace);
                    try {
                        Thread.sleep(gcGrace.toMillis() + 100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    storage.collectGarbageNow();
                    ObjectSpace.Statistics st = space.statistics();
                    System.out.printf("Cloud background compaction every %s, history retention %s: %,d runs, %,d "
                            + "segments released%n", compaction, retention, st.compactions(),
                            st.compactionSegmentsReleased());
                }
                space.close();
                puts = storage.putRequests() - puts0;
            }
            Bucket after = Bucket.of(bucket, "growth/");
            long cache = FileStores.bytesOnDisk(dir.resolve("cache"));
            try (ObjectSpace check = CloudS3.space(s3.open("growth/", dir.resolve("check"), options))) {
                DbObject last = (DbObject) check.getDatabase(Dataset.NAME).read(tx -> tx.getRootObject(Dataset.NAME,
                        Dictionary.class).getAt(Dataset.key(plan.lastId())));
                if (last == null || !Double.valueOf(plan.finalPrices()[plan.lastId()]).equals(last.getAt("price"))) {
                    throw new IllegalStateException("the bucket lacks the last commit: " + last);
                }
            }
            try (ObjectSpace space = CloudS3.space(s3.open("fresh/", dir.resolve("fresh"), options))) {
                load(plan, space.getDatabase(Dataset.NAME));
            }
            Bucket fresh = Bucket.of(bucket, "fresh/");
            System.out.printf("Cloud (CloudFileStorage, durability=async, S3Proxy in memory): the bucket holds %s "
                    + "after the load, %s after %,d commits (%,.0f bytes per commit; %,d PUT requests; local cache %,d "
                    + "bytes); a fresh load of the final content: %s; %.1f× the fresh bucket; %,.1f µs per commit%n",
                    loaded, after, plan.commits(), (after.bytes() - loaded.bytes()) / (double) plan.commits(), puts,
                    cache, fresh, after.bytes() / (double) fresh.bytes(), nanos / 1e3 / plan.commits());
        } finally {
            FileStores.delete(dir);
        }
    }

    /** How many log segment files {@code dir} holds, and the largest, for the report. */
    private static String segmentFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            LongSummaryStatistics sizes = files.filter(p -> p.getFileName().toString().endsWith(".pbl"))
                    .mapToLong(p -> p.toFile().length()).summaryStatistics();
            return String.format("%,d segment files of at most %,d bytes", sizes.getCount(), sizes.getMax());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    /** Objects and bytes under a prefix of the bucket. */
    record Bucket(int objects, long bytes) {

        static Bucket of(ObjectStore store, String prefix) {
            List<ObjectStore.ObjectInfo> list = store.list(prefix);
            return new Bucket(list.size(), list.stream().mapToLong(ObjectStore.ObjectInfo::size).sum());
        }

        @Override
        public String toString() {
            return String.format("%,d bytes in %,d objects", bytes, objects);
        }
    }

    /** Runs the plan's commits on {@code db}'s dictionary, one transaction each; returns the nanoseconds taken. */
    private static long commit(Plan plan, Database db, String engine) {
        Progress progress = new Progress(engine, plan.commits());
        long t0 = System.nanoTime();
        for (int n = 0; n < plan.commits(); n++) {
            int id = plan.commitIds()[n];
            String key = Dataset.key(id);
            DbObject record = Dataset.protobaseRecord(id, Plan.price(id, n));
            Dataset.replace(db, key, record);
            progress.done(n + 1);
        }
        return System.nanoTime() - t0;
    }

    /** Loads the plan's final content into {@code db} in one transaction, in the load order of every benchmark. */
    private static void load(Plan plan, Database db) {
        int[] ids = Dataset.shuffledIds(plan.size(), Dataset.INSERT_SEED);
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int id : ids) {
                b.setAt(Dataset.key(id), plan.finalRecord(id));
            }
            tx.setRootObject(Dataset.NAME, b.build());
            return null;
        });
    }

    /** Prints a line at every tenth of a long run, so that a run of a million commits shows it is moving. */
    private static final class Progress {
        private final String engine;
        private final int total;
        private final long start = System.nanoTime();

        Progress(String engine, int total) {
            this.engine = engine;
            this.total = total;
        }

        void done(int n) {
            if (total >= 100_000 && n % (total / 10) == 0) {
                System.out.printf("  %s: %,d of %,d commits, %,d s%n", engine, n, total,
                        (System.nanoTime() - start) / 1_000_000_000);
            }
        }
    }
}
