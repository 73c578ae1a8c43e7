package io.protobase.benchmarks;

import io.protobase.CompactionResult;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.storage.file.FsyncPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Space (3), not a JMH benchmark: throughput and latency percentiles of one-key commits on a ProtoBase
 * {@code StandaloneFileStorage} holding the {@link Dataset} dictionary of {@code size} (100,000) records, from 1 and
 * from 8 threads ({@code threads}), with {@code during} running beside the measured commits. It is the baseline
 * that compaction (issue 13) must not spoil: the same commits with compaction running in the background.
 *
 * <p>Each thread replaces the records of its own slice of a fixed random permutation of the keys, in turn (the
 * commits of {@link FileCommitBenchmark}: threads never conflict, no update is a no-op), and times each
 * {@code db.write} with {@code System.nanoTime()}. After {@code warmup} seconds of commits that are not recorded,
 * every commit that starts within the next {@code seconds} is; throughput is the recorded commits over that
 * window, and the percentiles are exact (every latency is kept and sorted). The store is loaded fresh for each
 * thread count, closed, reopened and checked afterwards, then deleted. {@code fsync} is the policy of the measured
 * commits ({@code commit}, the default: durable commits; {@code none}: their CPU and write cost alone).
 *
 * <p><b>{@code during}</b> names the {@link Background} work: {@code none}, or {@code compaction}: a thread
 * that runs {@code ObjectSpace.compact()} once a second from before the warm-up to after the last recorded
 * commit, an on-demand run each time (no bytes-per-second budget: harsher than the background compactor a
 * user gets), or {@code background}: the store's own background compactor with Spring Boot's defaults
 * (every 30 s and whenever commits wrote a quarter of the live size, 8 MiB/s budget), as a user runs it.
 * Its {@code stop()} says what the runs did. {@code retention} (seconds; default: the engine's)
 * is the store's history retention: replaced atoms become reclaimable only once older than it, so a run
 * shorter than the retention reclaims only what the load left behind.
 *
 * <pre>
 * java -Xmx4g -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.CommitLatency \
 *     [size=100000] [threads=1,8] [warmup=5] [seconds=15] [fsync=commit] [during=none|compaction|background]
 *     [retention=]
 * </pre>
 * The stores go under {@code java.io.tmpdir}, or under {@code -Dprotobase.bench.dir=…} when given.
 */
public final class CommitLatency {

    private CommitLatency() {
    }

    /**
     * Work that runs beside the measured commits, from before the warm-up to after the last recorded commit.
     */
    @FunctionalInterface
    interface Background {

        /** The names {@code during} accepts. */
        Set<String> NAMES = Set.of("none", "compaction", "background");

        /** Starts the work named {@code name} (one of {@link #NAMES}) on {@code store}. */
        static Background start(String name, FileStores.ProtoBaseFile store) {
            return switch (name) {
                case "none" -> () -> "nothing";
                case "compaction" -> Compaction.start(store.space);
                case "background" -> {
                    ObjectSpace.Statistics before = store.space.statistics();
                    yield () -> {
                        ObjectSpace.Statistics after = store.space.statistics();
                        return String.format(Locale.ROOT, "the background compactor (Spring's defaults: every 30 s and "
                                + "whenever commits wrote a quarter of the live size, 8 MiB/s) ran %d times, rewrote "
                                + "%,d bytes and released %d segments", after.compactions() - before.compactions(),
                                after.compactionBytesRewritten() - before.compactionBytesRewritten(),
                                after.compactionSegmentsReleased() - before.compactionSegmentsReleased());
                    };
                }
                default -> throw new IllegalArgumentException("no background work named " + name + "; known: " + NAMES);
            };
        }

        /** Stops the work; returns what it did, for the report. */
        String stop();
    }

    /** {@code ObjectSpace.compact()} once a second on a thread of its own, with totals of what the runs did. */
    private static final class Compaction implements Background {
        private final ObjectSpace space;
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final Thread thread;
        private long runs;
        private long segmentsRewritten;
        private long bytesRewritten;
        private long segmentsReleased;
        private long bytesReleased;
        private RuntimeException failure;

        private Compaction(ObjectSpace space) {
            this.space = space;
            this.thread = new Thread(this::loop, "compaction-beside-commits");
        }

        static Compaction start(ObjectSpace space) {
            Compaction c = new Compaction(space);
            c.thread.start();
            return c;
        }

        private void loop() {
            try {
                do {
                    CompactionResult r = space.compact();
                    runs++;
                    segmentsRewritten += r.segmentsRewritten();
                    bytesRewritten += r.bytesRewritten();
                    segmentsReleased += r.segmentsReleased();
                    bytesReleased += r.bytesReleased();
                } while (!stopped.await(1, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        @Override
        public String stop() {
            stopped.countDown();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (failure != null) {
                throw new IllegalStateException("compaction failed beside the commits", failure);
            }
            return String.format(Locale.ROOT, "%d compaction runs rewrote %d segments (%,d bytes) and released %d "
                    + "(%,d bytes)", runs, segmentsRewritten, bytesRewritten, segmentsReleased, bytesReleased);
        }
    }

    public static void main(String[] args) throws InterruptedException, ExecutionException {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("size", "100000");
        defaults.put("threads", "1,8");
        defaults.put("warmup", "5");
        defaults.put("seconds", "15");
        defaults.put("fsync", "commit");
        defaults.put("during", "none");
        defaults.put("retention", "");
        MainArgs a = new MainArgs("CommitLatency", args, defaults);
        FsyncPolicy fsync = FsyncPolicy.valueOf(a.choice("fsync", Set.of("commit", "interval", "none"))
                .toUpperCase(Locale.ROOT));
        String during = a.choice("during", Background.NAMES);
        Duration retention = a.string("retention").isEmpty() ? null : Duration.ofSeconds(a.count("retention"));
        System.out.printf("One-key commits on a file store, latency and throughput (%s; stores under %s)%n",
                a.describe(), FileStores.baseDir());
        for (String t : a.string("threads").split(",")) {
            int threads = Integer.parseInt(t.trim());
            run(a.count("size"), threads, a.count("warmup"), a.count("seconds"), fsync, during, retention);
        }
    }

    private static void run(int size, int threads, int warmupSeconds, int seconds, FsyncPolicy fsync, String during,
                            Duration retention) throws InterruptedException, ExecutionException {
        int slice = size / threads;
        if (slice == 0) {
            throw new IllegalArgumentException("CommitLatency: size " + size + " is smaller than threads " + threads);
        }
        int[] ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
        Path dir = FileStores.newDir("protobase-latency-");
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            FileStores.ProtoBaseFile.load(dir, size).close();
            List<Writer> writers = new ArrayList<>();
            String background;
            long fsyncs;
            try (FileStores.ProtoBaseFile store = FileStores.ProtoBaseFile.open(dir, fsync, Duration.ZERO, retention,
                    "background".equals(during) ? Duration.ofSeconds(30) : Duration.ZERO)) {
                Background work = Background.start(during, store);
                try {
                    CountDownLatch ready = new CountDownLatch(threads);
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<?>> futures = new ArrayList<>();
                    long[] window = new long[2];
                    for (int i = 0; i < threads; i++) {
                        Writer w = new Writer(store, ids, i * slice, slice);
                        writers.add(w);
                        futures.add(pool.submit(() -> {
                            ready.countDown();
                            go.await();
                            w.run(window[0], window[1]);
                            return null;
                        }));
                    }
                    ready.await();
                    long start = System.nanoTime();
                    window[0] = start + warmupSeconds * 1_000_000_000L;
                    window[1] = window[0] + seconds * 1_000_000_000L;
                    go.countDown();
                    for (Future<?> f : futures) {
                        f.get();
                    }
                    fsyncs = store.storage.fsyncCount();
                } finally {
                    background = work.stop();
                }
            }
            try (FileStores.ProtoBaseFile reopened = FileStores.ProtoBaseFile.open(dir)) {
                for (Writer w : writers) {
                    reopened.checkPrice(w.lastId, w.lastPrice);
                }
            }
            long[] all = writers.stream().flatMapToLong(w -> Arrays.stream(w.latencies, 0, w.recorded)).sorted()
                    .toArray();
            long total = writers.stream().mapToLong(w -> w.commits).sum();
            System.out.printf("  %d thread%s, fsync=%s, during=%s: %,.0f commits/s; latency p50 %,.0f µs, p99 %,.0f "
                    + "µs, p99.9 %,.0f µs, max %,.0f µs (%,d commits recorded; %,d commits and %,d fsyncs in all, "
                    + "warm-up included; beside them: %s)%n", threads, threads == 1 ? "" : "s",
                    fsync.name().toLowerCase(Locale.ROOT), during, all.length / (double) seconds,
                    percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999),
                    all.length == 0 ? Double.NaN : all[all.length - 1] / 1e3, all.length, total, fsyncs, background);
        } finally {
            pool.shutdownNow();
            FileStores.delete(dir);
        }
    }

    /** The latency at quantile {@code q} of sorted nanosecond latencies, in µs (nearest rank). */
    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e3;
    }

    /** One committing thread: its slice of the keys, its recorded latencies and its last commit. */
    private static final class Writer {
        private final FileStores.ProtoBaseFile store;
        private final int[] ids;
        private final int from;
        private final int length;
        long[] latencies = new long[1 << 16];
        int recorded;
        long commits;
        int lastId;
        double lastPrice;

        Writer(FileStores.ProtoBaseFile store, int[] ids, int from, int length) {
            this.store = store;
            this.ids = ids;
            this.from = from;
            this.length = length;
        }

        /** Commits until {@code end}, recording the latency of each commit started at or after {@code recordFrom}. */
        void run(long recordFrom, long end) {
            for (long now = System.nanoTime(); now < end; ) {
                int id = ids[from + (int) (commits % length)];
                double price = Dataset.price(id) + ++commits;
                String key = Dataset.key(id);
                DbObject record = Dataset.protobaseRecord(id, price);
                Dataset.replace(store.db, key, record);
                long done = System.nanoTime();
                if (now >= recordFrom) {
                    if (recorded == latencies.length) {
                        latencies = Arrays.copyOf(latencies, recorded * 2);
                    }
                    latencies[recorded++] = done - now;
                }
                lastId = id;
                lastPrice = price;
                now = done;
            }
        }
    }
}
