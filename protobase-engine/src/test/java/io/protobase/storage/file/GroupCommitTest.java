package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.Dictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

/**
 * Concurrent committers on the file storage share fsyncs (group commit). The root update of a batch
 * is written under the commit lock, but its fsync runs after the lock is released (pipelined group
 * commit): committers that arrive while an fsync is running write their own updates meanwhile, and
 * one further fsync makes all of them durable.
 */
class GroupCommitTest {

    /** The engine class running the group commit (package-private, so named here). */
    private static final String COMMIT_PIPELINE = "io.protobase.CommitPipeline";

    @TempDir
    Path dir;

    /** Counts fsyncs and, when armed, holds the first one until released. */
    private final AtomicBoolean armed = new AtomicBoolean();
    private final AtomicInteger forces = new AtomicInteger();
    private final AtomicInteger allForces = new AtomicInteger();
    private final CountDownLatch inFirstForce = new CountDownLatch(1);
    private final CountDownLatch releaseFirstForce = new CountDownLatch(1);

    private final FileAccess access = new FileAccess() {
        @Override
        public FileChannel open(Path path, OpenOption... options) throws IOException {
            return new ForwardingFileChannel(FileChannel.open(path, options)) {
                @Override
                public void force(boolean metaData) throws IOException {
                    allForces.incrementAndGet();
                    if (armed.get() && forces.incrementAndGet() == 1) {
                        inFirstForce.countDown();
                        try {
                            releaseFirstForce.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    super.force(metaData);
                }
            };
        }
    };

    @Test
    void committersArrivingDuringAnFsyncAreMadeDurableTogetherByOneMoreFsync() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (ObjectSpace space = openReleasingOnClose()) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("counts", Dictionary.empty());
                return null;
            });
            long batchesBefore = space.statistics().batches();
            long commitsBefore = space.statistics().commits();
            armed.set(true);

            List<Future<?>> done = new ArrayList<>();
            done.add(pool.submit(() -> increment(db, 0)));
            assertThat(inFirstForce.await(30, TimeUnit.SECONDS)).isTrue();
            List<Thread> followers = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(threads - 1);
            for (int i = 1; i < threads; i++) {
                int key = i;
                done.add(pool.submit(() -> {
                    synchronized (followers) {
                        followers.add(Thread.currentThread());
                    }
                    started.countDown();
                    increment(db, key);
                }));
            }
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                synchronized (followers) {
                    return followers.stream().allMatch(GroupCommitTest::waitingInCommitQueue);
                }
            });

            releaseFirstForce.countDown();
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }

            assertThat(space.statistics().commits() - commitsBefore).isEqualTo(threads);
            assertThat(space.statistics().batches() - batchesBefore).as("root publications").isBetween(2L,
                    (long) threads);
            assertThat(forces.get()).as("fsyncs for %d commits", threads).isEqualTo(2);
            Dictionary counts = db.read(tx -> tx.getRootObject("counts", Dictionary.class));
            for (int i = 0; i < threads; i++) {
                assertThat(counts.getAt(i)).isEqualTo(1L);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCommitBecomesVisibleToOtherTransactionsOnlyOnceItsFsyncHasReturned() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ObjectSpace space = openReleasingOnClose()) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("counts", Dictionary.empty());
                return null;
            });
            armed.set(true);
            Future<?> committer = pool.submit(() -> increment(db, 7));
            assertThat(inFirstForce.await(30, TimeUnit.SECONDS)).isTrue();

            Long seen = db.read(tx -> tx.getRootObject("counts", Dictionary.class).getAt(7, Long.class));
            assertThat(seen).as("a commit still waiting for its fsync").isNull();
            assertThat(committer.isDone()).isFalse();

            releaseFirstForce.countDown();
            committer.get(1, TimeUnit.MINUTES);
            Long after = db.read(tx -> tx.getRootObject("counts", Dictionary.class).getAt(7, Long.class));
            assertThat(after).isEqualTo(1L);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withAGroupCommitDelayTheFsyncWaitsForTheCommitOfAnotherRunningWriter() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ObjectSpace space = openReleasingOnClose(Duration.ofMinutes(10))) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("counts", Dictionary.empty());
                return null;
            });
            int fsyncsBefore = allForces.get();
            Transaction other = db.newTransaction();
            Dictionary seen = other.getRootObject("counts", Dictionary.class);

            Thread[] first = new Thread[1];
            Future<?> committer = pool.submit(() -> {
                first[0] = Thread.currentThread();
                increment(db, 1);
            });
            // the first commit is written and holds back its fsync for the other writer
            await().atMost(Duration.ofSeconds(30)).until(() -> first[0] != null && inStack(first[0], "gatherCommits"));
            assertThat(committer.isDone()).isFalse();

            other.setRootObject("counts", seen.setAt(2, 1L));
            other.commit();
            committer.get(1, TimeUnit.MINUTES);

            assertThat(allForces.get() - fsyncsBefore).as("fsyncs for two commits").isEqualTo(1);
            Dictionary counts = db.read(tx -> tx.getRootObject("counts", Dictionary.class));
            assertThat(counts.getAt(1)).isEqualTo(1L);
            assertThat(counts.getAt(2)).isEqualTo(1L);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSingleWriterNeverWaitsForTheGroupCommitDelay() {
        // with a wait of ten minutes per commit this would not finish before the preemptive timeout
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            try (ObjectSpace space = openReleasingOnClose(Duration.ofMinutes(10))) {
                Database db = space.getDatabase("db");
                db.write(tx -> {
                    tx.setRootObject("counts", Dictionary.empty());
                    return null;
                });
                try (Transaction reader = db.newReadOnlyTransaction()) {
                    // a running read-only transaction is not a writer to wait for
                    reader.getRootObject("counts");
                    for (int i = 0; i < 5; i++) {
                        increment(db, 1);
                    }
                }
                Object count = db.read(tx -> tx.getRootObject("counts", Dictionary.class).getAt(1));
                assertThat(count).isEqualTo(5L);
            }
        });
    }

    /**
     * An object space on the fault-injecting directory whose close first releases a held fsync
     * (closing waits for it), so a failed assertion cannot leave the test hanging.
     */
    private ObjectSpace openReleasingOnClose() {
        return openReleasingOnClose(Duration.ZERO);
    }

    private ObjectSpace openReleasingOnClose(Duration groupCommitDelay) {
        StandaloneFileStorage storage = new StandaloneFileStorage(new FileBlockProvider(dir, access));
        return ObjectSpace.builder(new io.protobase.storage.ForwardingStorage(storage) {
            @Override
            public io.protobase.storage.PendingRoot compareAndSetRootPipelined(io.protobase.storage.CommitLock lock,
                    io.protobase.storage.AtomPointer expected, io.protobase.storage.AtomPointer newRoot) {
                return storage.compareAndSetRootPipelined(lock, expected, newRoot);
            }

            @Override
            public void close() {
                releaseFirstForce.countDown();
                super.close();
            }
        }).groupCommitDelay(groupCommitDelay).build();
    }

    private static void increment(Database db, int key) {
        db.write(tx -> {
            Dictionary d = tx.getRootObject("counts", Dictionary.class);
            Long v = d.getAt(key, Long.class);
            tx.setRootObject("counts", d.setAt(key, v == null ? 1L : v + 1));
            return null;
        });
    }

    private static boolean inStack(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(COMMIT_PIPELINE) && e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static boolean waitingInCommitQueue(Thread t) {
        Thread.State state = t.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(COMMIT_PIPELINE) && e.getMethodName().equals("submit")) {
                return true;
            }
        }
        return false;
    }
}
