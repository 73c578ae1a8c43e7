package io.protobase;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.protobase.collection.AtomGraph;
import io.protobase.collection.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.PendingRoot;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A set of named databases on one {@link SharedStorage}: the entry point of the engine.
 *
 * <pre>{@code
 * try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
 *     Database db = space.getDatabase("my_database");
 *     db.write(tx -> { tx.setRootObject("greeting", "hello"); return null; });
 * }
 * }</pre>
 *
 * <h2>Design</h2>
 * The storage root points at a <em>space root</em> record: the catalog (a {@link Dictionary} of
 * database name → database root dictionary), a sequence number, the commit time and links to the
 * previous space root, so every published version stays readable ({@link Database#at}).
 *
 * <p>Commits go through one pipeline per space (group commit, leader/follower): a committer pushes
 * its new atoms without any lock, queues its request, and takes the local commit mutex; whoever
 * holds it drains every queued request, takes the storage's commit lock once, validates and
 * rebases each transaction in queue order on top of the previous one, and publishes the batch with
 * one compare-and-set of the root. Followers find their request already completed. One durable
 * root update (one fsync, one S3 conditional write) thus serves many concurrent commits.
 *
 * <p>The space counts its open transactions, so {@link #close(Duration)} can refuse new ones and
 * wait for the running ones before closing (graceful shutdown), and tells
 * {@link TransactionListener}s how each one ended (metrics). It also keeps, per thread, the
 * transaction an integration layer bound for a database ({@link Database#bind}), so application
 * code reaches it with {@link Database#currentTransaction()}.
 *
 * <p>Thread-safe. Closing the space closes the storage.
 */
public final class ObjectSpace implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectSpace.class);

    /** Default bound of the decoded-node cache: 128 MiB of encoded atoms. */
    public static final long DEFAULT_CACHE_BYTES = 128L * 1024 * 1024;

    /**
     * Default of {@link Builder#historyRetention}: one minute. Long enough for the history a running
     * application reads back ("what did this look like a moment ago"), short enough that the space
     * the history holds stays about one minute of writes once old versions are reclaimed.
     */
    public static final Duration DEFAULT_HISTORY_RETENTION = Duration.ofMinutes(1);

    /** Default of {@link Builder#compactionLiveFraction}: segments less than half live are rewritten. */
    public static final double DEFAULT_COMPACTION_LIVE_FRACTION = 0.5;

    /** Default of {@link Builder#compactionMinDeadBytes}: 1 MiB, so that a rewrite frees at least that much. */
    public static final long DEFAULT_COMPACTION_MIN_DEAD_BYTES = 1024L * 1024;

    /** Default of {@link Builder#compactionBytesPerSecond}: 8 MiB of live atoms rewritten per second. */
    public static final long DEFAULT_COMPACTION_BYTES_PER_SECOND = 8L * 1024 * 1024;

    private final SharedStorage storage;
    private final AtomStore store;
    private final Duration lockTimeout;
    private final Clock clock;
    private final Duration historyRetention;
    /**
     * The snapshot of each open transaction and the versions each running backup copies: they stay
     * readable until the transaction ends or the backup is written.
     */
    private final Map<Object, SpaceState> pins = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The version of each history view returned by {@link Database#at}, held weakly: a view has no
     * close, so it pins its version for as long as the application can still reach it.
     */
    private final Map<Database, SpaceState> viewPins = new WeakHashMap<>();
    /**
     * Choosing a version and pinning it (a transaction's snapshot, a history view, a backup) happen
     * under the read lock; compaction's release pass takes the write lock to see the retained versions
     * and the commits in flight, so that no version is picked between that look and the release.
     */
    private final ReentrantReadWriteLock pinLock = new ReentrantReadWriteLock();
    /**
     * Per commit in flight (from its first pushed atom until it is published or failed): the segment
     * the storage was writing when it began. Its atoms are in that segment or later ones, which
     * compaction must not release although no published version reaches them yet.
     */
    private final Map<Object, Long> inFlight = new java.util.concurrent.ConcurrentHashMap<>();
    private final SegmentReclaimer reclaimer;
    /** {@code null} when the storage cannot release segments. */
    private final Compactor compactor;
    private final CompactionSettings compaction;
    /** Runs the background compactor; {@code null} when it is off. */
    private final java.util.concurrent.ScheduledExecutorService compactorThread;
    private final ReentrantLock commitMutex = new ReentrantLock();
    private final ConcurrentLinkedQueue<CommitRequest> pending = new ConcurrentLinkedQueue<>();
    private final Cache<AtomPointer, SpaceState> history = Caffeine.newBuilder().maximumSize(4096).build();
    private final LongAdder commits = new LongAdder();
    private final LongAdder conflicts = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final AtomicInteger activeTransactions = new AtomicInteger();
    /*
     * Group commit delay (see Builder.groupCommitDelay): how many writers are about, and how many
     * commits are written but not yet durable, so that the committer starting an fsync can wait for
     * as many commits as there were writers since the previous one.
     */
    /** Read-write transactions running their work: started, not yet submitted for commit or ended. */
    private final AtomicInteger runningWriters = new AtomicInteger();
    /** Threads inside {@link #submit}. */
    private final AtomicInteger committing = new AtomicInteger();
    /** Commits of batches written and not yet durable. */
    private final AtomicInteger writtenUndurable = new AtomicInteger();
    /** Most writers (running or committing) seen at once since the last durability wait started. */
    private volatile int writersPeak;
    private final Object writersMonitor = new Object();
    private final long groupCommitDelayNanos;
    private final Object drained = new Object();
    private final List<TransactionListener> listeners = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Map<String, Transaction>> bound = new ThreadLocal<>();
    private volatile SpaceState current;
    /** The newest state written under the commit lock; ahead of {@link #current} while its fsync runs. */
    private volatile SpaceState written;
    /** The durability of {@link #written}, for a request that adds nothing on top of it. */
    private volatile PendingRoot lastPending = PendingRoot.DURABLE;
    private final Object stateLock = new Object();
    private volatile boolean closing;
    private volatile boolean closed;

    /**
     * Opens the object space on {@code storage} with default settings; closing the space closes the
     * storage.
     *
     * @param storage the storage holding the space, not {@code null}
     */
    public ObjectSpace(SharedStorage storage) {
        this(builder(storage));
    }

    private ObjectSpace(Builder b) {
        this.storage = Objects.requireNonNull(b.storage, "storage");
        this.store = new AtomStore(storage, b.cacheBytes);
        this.lockTimeout = b.lockTimeout;
        this.clock = b.clock;
        this.historyRetention = b.historyRetention;
        this.groupCommitDelayNanos = b.groupCommitDelay.toNanos();
        this.reclaimer = storage.reclaimer().orElse(null);
        this.compaction = new CompactionSettings(b.compactionLiveFraction, b.compactionMinDeadBytes,
                b.compactionInterval, b.compactionBytesPerSecond);
        this.compactor = reclaimer == null ? null
                : new Compactor(this, reclaimer, new AtomGraph(storage), b.compactionLiveFraction, b.compactionMinDeadBytes);
        try {
            this.current = loadState(storage.readRoot());
        } catch (RuntimeException e) {
            // a storage we cannot read must not stay open (and, for files, locked)
            storage.close();
            throw e;
        }
        this.compactorThread = compactor == null || b.compactionInterval.isZero() ? null
                : startCompactor(b.compactionInterval, b.compactionBytesPerSecond);
    }

    private java.util.concurrent.ScheduledExecutorService startCompactor(Duration interval, long bytesPerSecond) {
        long perRun = (long) Math.min(Long.MAX_VALUE, bytesPerSecond * (interval.toNanos() / 1e9));
        var thread = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "protobase-compactor");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(() -> {
            if (closing) {
                return;
            }
            try {
                compactor.run(Math.max(1, perRun));
            } catch (RuntimeException e) {
                if (!closing) {
                    LOG.warn("Background compaction of {} failed; it runs again in {}: {}", storage.describe(),
                            interval, e.toString());
                }
            }
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
        return thread;
    }

    /**
     * Starts configuring an object space on {@code storage}:
     * {@code ObjectSpace.builder(storage).historyRetention(Duration.ofDays(1)).build()}.
     *
     * @param storage the storage holding the space
     * @return a builder with the default settings
     */
    public static Builder builder(SharedStorage storage) {
        return new Builder(storage);
    }

    /** Options of an object space. */
    public static final class Builder {
        private final SharedStorage storage;
        private long cacheBytes = DEFAULT_CACHE_BYTES;
        private Duration lockTimeout = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();
        private Duration groupCommitDelay = Duration.ZERO;
        private Duration historyRetention = DEFAULT_HISTORY_RETENTION;
        private double compactionLiveFraction = DEFAULT_COMPACTION_LIVE_FRACTION;
        private long compactionMinDeadBytes = DEFAULT_COMPACTION_MIN_DEAD_BYTES;
        private Duration compactionInterval = Duration.ZERO;
        private long compactionBytesPerSecond = DEFAULT_COMPACTION_BYTES_PER_SECOND;

        private Builder(SharedStorage storage) {
            this.storage = storage;
        }

        /**
         * Bound of the decoded-node cache in (encoded) bytes.
         *
         * @param bytes the bound, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder cacheBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("cache size must be positive, got " + bytes);
            }
            this.cacheBytes = bytes;
            return this;
        }

        /**
         * How long a commit waits for the storage's commit lock before failing (default 30 seconds).
         *
         * @param timeout the wait, not {@code null}
         * @return this builder
         */
        public Builder commitLockTimeout(Duration timeout) {
            this.lockTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * How long a committer may hold back the fsync (or other durability wait) of its batch while
         * other read-write transactions of this space are still running, so that their commits share it.
         * Zero, the default, never waits. On a storage whose durability wait is long (an fsync, a network
         * round trip) and with several threads committing at once, a delay of about the time a
         * transaction takes to run lets one wait cover all of them instead of every other one; the cost
         * is up to this much latency per commit while other writers are running. The wait ends as soon
         * as as many commits are written as there were read-write transactions about since the previous
         * fsync started; a space with a single writer never waits, and read-only transactions do not count.
         *
         * @param delay the longest hold-back, zero or positive
         * @return this builder
         * @throws IllegalArgumentException if {@code delay} is negative
         */
        public Builder groupCommitDelay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("group commit delay must not be negative, got " + delay);
            }
            this.groupCommitDelay = delay;
            return this;
        }

        /**
         * How far back {@link Database#at(Instant)} reaches: an instant older than now minus this fails
         * with {@link HistoryExpiredException}. Versions older than that are not retained for reading,
         * so their space can be reclaimed; a longer retention keeps more history at the cost of
         * keeping about this much time's worth of writes on disk. An open transaction or a live
         * history view keeps reading its version whatever its age. Zero keeps no history beyond the
         * current version. Default {@link #DEFAULT_HISTORY_RETENTION}.
         *
         * @param retention how far back history stays readable, zero or positive, not {@code null}
         * @return this builder
         * @throws IllegalArgumentException if {@code retention} is negative
         */
        public Builder historyRetention(Duration retention) {
            Objects.requireNonNull(retention, "retention");
            if (retention.isNegative()) {
                throw new IllegalArgumentException("history retention must not be negative, got " + retention);
            }
            this.historyRetention = retention;
            return this;
        }

        /**
         * Compaction rewrites a sealed segment when less than this fraction of its bytes is reached by
         * the retained versions, in {@code [0, 1]}: higher reclaims more space for more rewriting
         * (a segment 90 % live costs nine bytes rewritten per byte freed). Zero rewrites nothing, but
         * segments nothing reaches are still released. Default {@link #DEFAULT_COMPACTION_LIVE_FRACTION}.
         *
         * @param fraction the live fraction below which a segment is rewritten
         * @return this builder
         * @throws IllegalArgumentException if {@code fraction} is outside {@code [0, 1]}
         */
        public Builder compactionLiveFraction(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("compaction live fraction must be between 0 and 1, got " + fraction);
            }
            this.compactionLiveFraction = fraction;
            return this;
        }

        /**
         * Compaction rewrites a segment only when it holds at least this many dead bytes, so that small
         * gains do not cost a commit. Default {@link #DEFAULT_COMPACTION_MIN_DEAD_BYTES}.
         *
         * @param bytes the minimum of dead bytes, not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder compactionMinDeadBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("compaction minimum of dead bytes must not be negative, got " + bytes);
            }
            this.compactionMinDeadBytes = bytes;
            return this;
        }

        /**
         * How often the background compactor runs ({@link ObjectSpace#compact()} without being asked),
         * on a daemon thread of the space; zero, the default, runs none. Each run rewrites at most
         * {@link #compactionBytesPerSecond} times this interval of live bytes.
         *
         * @param interval the time between background runs; zero for none
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is negative
         */
        public Builder compactionInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("compaction interval must not be negative, got " + interval);
            }
            this.compactionInterval = interval;
            return this;
        }

        /**
         * The background compactor's budget: live bytes it may rewrite per second of
         * {@link #compactionInterval}, so that it takes a bounded share of the storage's bandwidth.
         * Default {@link #DEFAULT_COMPACTION_BYTES_PER_SECOND}.
         *
         * @param bytes live bytes per second, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder compactionBytesPerSecond(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("compaction budget must be positive, got " + bytes + " bytes per second");
            }
            this.compactionBytesPerSecond = bytes;
            return this;
        }

        /**
         * The clock stamping commits (history) and measuring the history retention (default UTC system
         * clock).
         *
         * @param clock the clock, not {@code null}
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * Opens the object space on the builder's storage.
         *
         * @return the open object space
         */
        public ObjectSpace build() {
            return new ObjectSpace(this);
        }
    }

    // ------------------------------------------------------------------ databases

    /**
     * Returns the database {@code name}, creating it (durably) when it does not exist.
     *
     * @param name the database name, not empty
     * @return a handle on the database
     * @throws IllegalArgumentException if {@code name} is {@code null} or empty
     * @throws StorageClosedException if the space is closed
     */
    public Database getDatabase(String name) {
        requireName(name);
        ensureOpen();
        if (!pinning(() -> currentState().catalog().has(name))) {
            publish(catalog -> catalog.has(name) ? catalog : catalog.setAt(name, Dictionary.empty()));
        }
        return new Database(this, name, null);
    }

    /**
     * Whether a database of that name exists now.
     *
     * @param name the database name
     * @return {@code true} if the catalog holds it
     * @throws StorageClosedException if the space is closed
     */
    public boolean hasDatabase(String name) {
        ensureOpen();
        return pinning(() -> currentState().catalog().has(name));
    }

    /**
     * Names of the databases, in order.
     *
     * @return a new list of the names, sorted
     * @throws StorageClosedException if the space is closed
     */
    public List<String> listDatabases() {
        ensureOpen();
        List<String> names = new ArrayList<>();
        pinning(() -> {
            currentState().catalog().keys().forEach(k -> names.add((String) k));
            return null;
        });
        return names;
    }

    /**
     * Renames a database. Open {@link Database} handles of the old name fail from then on with
     * {@link DatabaseNotFoundException}; the target name must be free.
     *
     * @param oldName the current name, not empty
     * @param newName the new name, not empty
     * @throws DatabaseNotFoundException if no database is named {@code oldName}
     * @throws DatabaseExistsException if a database is already named {@code newName}
     * @throws IllegalArgumentException if a name is {@code null} or empty
     */
    public void renameDatabase(String oldName, String newName) {
        requireName(oldName);
        requireName(newName);
        publish(catalog -> {
            Object root = catalog.getAt(oldName);
            if (root == null) {
                throw new DatabaseNotFoundException("Cannot rename database '" + oldName + "': it does not exist");
            }
            if (catalog.has(newName)) {
                throw new DatabaseExistsException("Cannot rename database '" + oldName + "' to '" + newName
                        + "': a database of that name exists; remove it first or choose another name");
            }
            return catalog.removeAt(oldName).setAt(newName, root);
        });
    }

    /**
     * Removes a database from the catalog. Its history stays readable through {@link Database#at}.
     *
     * @param name the database name, not empty
     * @throws DatabaseNotFoundException if no database is named {@code name}
     * @throws IllegalArgumentException if {@code name} is {@code null} or empty
     */
    public void removeDatabase(String name) {
        requireName(name);
        publish(catalog -> {
            if (!catalog.has(name)) {
                throw new DatabaseNotFoundException("Cannot remove database '" + name + "': it does not exist");
            }
            return catalog.removeAt(name);
        });
    }

    /**
     * Lets constants of {@code type} decode to the enum itself instead of an {@code EnumValue}.
     *
     * @param type the application's enum class
     * @return this object space
     */
    public ObjectSpace registerEnum(Class<? extends Enum<?>> type) {
        store.registerEnum(type);
        return this;
    }

    /**
     * Registers the function of an extractor index ({@link io.protobase.index.IndexDefinition#byExtractor})
     * under its name. The name is stored with the collection but a function cannot be: after
     * reopening, register it again before changing a collection that carries the index (reads and
     * queries work without it).
     *
     * @param name      the index name given to {@code byExtractor}
     * @param extractor the function computing the keys of a record
     * @return this object space
     */
    public ObjectSpace registerIndexExtractor(String name, java.util.function.Function<Object, ?> extractor) {
        store.registerIndexExtractor(name, extractor);
        return this;
    }

    /**
     * The storage underneath.
     *
     * @return the storage this space was opened on
     */
    public SharedStorage storage() {
        return storage;
    }

    /**
     * How long a committer may hold back its durability wait for other running writers
     * ({@link Builder#groupCommitDelay}).
     *
     * @return the delay; {@link Duration#ZERO} when group commit never waits
     */
    public Duration groupCommitDelay() {
        return Duration.ofNanos(groupCommitDelayNanos);
    }

    /**
     * The compaction options this space was built with.
     *
     * @return the compaction settings
     */
    public CompactionSettings compactionSettings() {
        return compaction;
    }

    /**
     * The compaction options of a space ({@link Builder#compactionLiveFraction},
     * {@link Builder#compactionMinDeadBytes}, {@link Builder#compactionInterval},
     * {@link Builder#compactionBytesPerSecond}).
     *
     * @param liveFraction segments less live than this are rewritten
     * @param minDeadBytes a segment is rewritten only with at least this many dead bytes
     * @param interval how often the background compactor runs; zero when it is off
     * @param bytesPerSecond the background compactor's budget of live bytes rewritten per second
     */
    public record CompactionSettings(double liveFraction, long minDeadBytes, Duration interval, long bytesPerSecond) {
    }

    /**
    /**
     * How far back {@link Database#at(Instant)} reaches ({@link Builder#historyRetention}).
     *
     * @return the history retention
     */
    public Duration historyRetention() {
        return historyRetention;
    }

    /**
     * Writes an online backup of the current version to {@code target}: see
     * {@link #backup(Path, BackupOptions)}.
     *
     * @param target a directory that does not exist yet, or an empty one
     * @return what was written
     * @throws BackupException when {@code target} is a file or a non-empty directory, or writing fails
     */
    public BackupResult backup(Path target) {
        return backup(target, BackupOptions.defaults());
    }

    /**
     * Writes an online backup: a copy of the current version of the space (the state of one commit),
     * and with {@link BackupOptions#includeHistory()} the versions the history retention keeps, into
     * the new directory {@code target}, as a file storage. Restoring is opening that directory:
     * {@code new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(target)))}, or pointing
     * {@code protobase.storage.file.path} at it. Works from every storage (a memory or cloud space
     * backs up to a local directory too).
     *
     * <p>Commits continue while the backup runs, and do not wait for it; the backup holds exactly the
     * version current when it started. The target appears only once the backup is complete and on
     * disk (it is written into a hidden sibling directory, fsynced, and renamed), so a crash leaves
     * either no backup or a complete one; a crash may leave the hidden {@code .<name>.backup-*.partial}
     * directory behind, which can be deleted.
     *
     * @param target  a directory that does not exist yet, or an empty one
     * @param options whether to include the retained history, not {@code null}
     * @return what was written, including the sequence number and commit time of the version copied
     * @throws BackupException when {@code target} is a file or a non-empty directory, or writing fails;
     *         nothing is left at the target then
     */
    public BackupResult backup(Path target, BackupOptions options) {
        Objects.requireNonNull(target, "target");
        return pinned(options, versions -> new OnlineBackup(store).write(target, versions));
    }

    /**
     * Copies the current version (and with {@link BackupOptions#includeHistory()} the retained history)
     * into {@code target}, an empty storage of any kind, and publishes it there: how a backup is
     * restored into a storage other than a local directory, such as a new S3 prefix. Commits continue
     * meanwhile, as for {@link #backup(Path, BackupOptions)}. The caller keeps {@code target} open.
     *
     * @param target  an empty storage, open, not {@code null}
     * @param options whether to include the retained history, not {@code null}
     * @return what was copied ({@link BackupResult#directory()} is {@code null})
     * @throws BackupException when {@code target} already holds data (has a root)
     */
    public BackupResult copyTo(SharedStorage target, BackupOptions options) {
        Objects.requireNonNull(target, "target");
        return pinned(options, versions -> new OnlineBackup(store).copyTo(target, versions));
    }

    /** Runs {@code copy} on the versions {@code options} selects, pinned so that nothing reclaims them meanwhile. */
    private BackupResult pinned(BackupOptions options, java.util.function.Function<List<SpaceState>, BackupResult> copy) {
        Objects.requireNonNull(options, "options");
        ensureOpen();
        List<Object> holders = new ArrayList<>();
        List<SpaceState> versions = pinning(() -> {
            SpaceState now = currentState();
            List<SpaceState> chosen = options.includeHistory() ? retainedHistory()
                    : now.pointer() == null ? List.<SpaceState>of() : List.of(now);
            for (SpaceState v : chosen) {
                Object holder = new Object();
                pins.put(holder, v);
                holders.add(holder);
            }
            return chosen;
        });
        try {
            return copy.apply(versions);
        } finally {
            holders.forEach(pins::remove);
        }
    }

    /**
     * Reclaims space now: rewrites the live atoms of the emptiest sealed segments (those less than
     * {@link Builder#compactionLiveFraction} live, with at least {@link Builder#compactionMinDeadBytes}
     * dead) as an ordinary commit, then lets the storage release every sealed segment that no retained
     * version reaches any more. Versions kept by the history retention, open transactions, history
     * views and running backups stay readable: a segment one of them still reaches is released by a
     * later call, once it no longer does. Commits continue meanwhile and never fail because of it.
     * On a storage that cannot release segments ({@link SharedStorage#reclaimer()} empty) it does nothing.
     *
     * @return what was rewritten and released
     */
    public CompactionResult compact() {
        ensureOpen();
        if (compactor == null) {
            return new CompactionResult(0, 0, 0, 0, 0, currentState().sequence());
        }
        return compactor.run(Long.MAX_VALUE);
    }

    /**
     * Counters of this space since it was opened.
     *
     * @return a snapshot of the counters
     */
    public Statistics statistics() {
        var cache = store.cache().stats();
        SpaceState s = current;
        return new Statistics(commits.sum(), conflicts.sum(), batches.sum(), store.bytesWritten(), store.bytesRead(),
                cache.hitCount(), cache.missCount(), cache.evictionCount(), store.cache().weightedSize(),
                store.cache().maximumBytes(), s.sequence(), s.sequence() == 0 ? null : s.createdAt(),
                compactor == null ? 0 : compactor.runs(), compactor == null ? 0 : compactor.bytesRewritten(),
                compactor == null ? 0 : compactor.segmentsReleased(), compactor == null ? 0 : compactor.bytesReleased(),
                compactor == null ? null : compactor.lastError());
    }

    /**
     * Counters of an object space.
     *
     * @param commits transactions committed
     * @param conflicts commits refused with {@link ConflictException}
     * @param batches root publications (each serving one or more commits)
     * @param bytesWritten atom bytes pushed
     * @param bytesRead atom bytes read from storage (cache misses)
     * @param cacheHits node cache hits
     * @param cacheMisses node cache misses
     * @param cacheEvictions node cache evictions
     * @param cacheBytes current weight of the node cache
     * @param cacheMaxBytes bound of the node cache's weight ({@link Builder#cacheBytes}); eviction keeps
     *        {@code cacheBytes} at or near it
     * @param sequence sequence number of the current space root
     * @param lastCommit time of the last publication, {@code null} before the first
     * @param compactions compaction runs completed, on demand or in the background
     * @param compactionBytesRewritten live atom bytes compaction rewrote
     * @param compactionSegmentsReleased segments the storage released after compaction
     * @param compactionBytesReleased bytes those segments held
     * @param compactionLastError the failure of the last compaction run that failed, {@code null} if none did
     */
    public record Statistics(long commits, long conflicts, long batches, long bytesWritten, long bytesRead,
            long cacheHits, long cacheMisses, long cacheEvictions, long cacheBytes, long cacheMaxBytes, long sequence,
            Instant lastCommit, long compactions, long compactionBytesRewritten, long compactionSegmentsReleased,
            long compactionBytesReleased, String compactionLastError) {
    }

    /** Closes the storage; idempotent. Transactions still open fail on their next access. */
    @Override
    public void close() {
        closing = true;
        stopCompactor();
        if (!closed) {
            closed = true;
            storage.close();
        }
    }

    /**
     * Closes gracefully: refuses new transactions at once (they fail with
     * {@link StorageClosedException}), waits at most {@code timeout} for the running ones to commit
     * or abort, flushes the storage and closes it. Transactions still running after the timeout fail
     * on their next access, as with {@link #close()}. Idempotent.
     *
     * @param timeout how long to wait for running transactions
     * @return {@code true} when every running transaction ended within the timeout
     */
    public boolean close(Duration timeout) {
        closing = true;
        stopCompactor();
        boolean allEnded = awaitNoActiveTransactions(timeout);
        if (!closed) {
            try {
                storage.flush();
            } catch (RuntimeException e) {
                LOG.warn("Flushing {} before closing it failed: {}", storage.describe(), e.toString());
            } finally {
                close();
            }
        }
        return allEnded;
    }

    /** Stops the background compactor and waits for a run in progress, so that it never meets a closed storage. */
    private void stopCompactor() {
        if (compactorThread == null) {
            return;
        }
        compactorThread.shutdown();
        try {
            if (!compactorThread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Background compaction of {} did not stop within 30 s; closing the storage anyway",
                        storage.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean awaitNoActiveTransactions(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            synchronized (drained) {
                while (activeTransactions.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(drained, left);
                    } catch (InterruptedException e) {
                        interrupted = true;
                        return false;
                    }
                }
                return true;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Transactions started and not yet committed, aborted or failed.
     *
     * @return the number of running transactions
     */
    public int activeTransactions() {
        return activeTransactions.get();
    }

    /**
     * Whether {@link #close()} or {@link #close(Duration)} was called: new transactions are refused.
     *
     * @return {@code true} once closing has started
     */
    public boolean isClosing() {
        return closing;
    }

    /**
     * Whether the storage is closed (after {@link #close()}, or at the end of {@link #close(Duration)}).
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Tells {@code listener} about every transaction that ends from now on.
     *
     * @param listener the listener, not {@code null}
     */
    public void addTransactionListener(TransactionListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops telling {@code listener}; nothing happens if it was not added.
     *
     * @param listener the listener to remove
     */
    public void removeTransactionListener(TransactionListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------ engine internals

    /**
     * Counts a new transaction, or refuses it when the space is closing. Returns whether it counts as a
     * running writer for the group commit delay (then {@link #writerStopped} must follow once).
     */
    boolean transactionStarted(boolean readOnly) {
        activeTransactions.incrementAndGet();
        if (closing) {
            transactionGone();
            throw new StorageClosedException("The object space on " + storage.describe()
                    + (closed ? " is closed" : " is shutting down") + "; no new transactions are accepted");
        }
        if (readOnly || groupCommitDelayNanos == 0) {
            return false;
        }
        runningWriters.incrementAndGet();
        noteWriters();
        return true;
    }

    /** Called once per transaction when it leaves the active state. */
    void transactionEnded(TransactionEvent event) {
        transactionGone();
        for (TransactionListener l : listeners) {
            try {
                l.transactionEnded(event);
            } catch (RuntimeException e) {
                LOG.warn("Transaction listener {} failed on {}; the transaction's outcome is unaffected", l, event, e);
            }
        }
    }

    /** A read-write transaction stopped running its work: it is committing, or it ended. */
    void writerStopped() {
        runningWriters.decrementAndGet();
    }

    private void noteWriters() {
        int now = runningWriters.get() + committing.get();
        if (now > writersPeak) {
            writersPeak = now; // a racy maximum: an estimate is all the delay needs
        }
    }

    /**
     * Runs (with a group commit delay) just before this thread starts an fsync: waits, at most the
     * delay, until as many commits are written and waiting for durability as there were writers about
     * since the previous fsync started, so that one fsync covers all of them rather than every other
     * one finding an fsync already running and waiting for the next. With one writer it returns at once.
     */
    private void gatherCommits() {
        int target = writersPeak;
        if (writtenUndurable.get() < target) {
            long deadline = System.nanoTime() + groupCommitDelayNanos;
            boolean interrupted = false;
            synchronized (writersMonitor) {
                long left;
                while (writtenUndurable.get() < target && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        writersMonitor.wait(left / 1_000_000, (int) (left % 1_000_000));
                    } catch (InterruptedException e) {
                        interrupted = true;
                        break;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        writersPeak = runningWriters.get() + committing.get();
    }

    private void transactionGone() {
        if (activeTransactions.decrementAndGet() == 0 && closing) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    /** The transaction bound to the calling thread for database {@code name}, or {@code null}. */
    Transaction boundTransaction(String name) {
        Map<String, Transaction> map = bound.get();
        return map == null ? null : map.get(name);
    }

    void bind(String name, Transaction tx) {
        Map<String, Transaction> map = bound.get();
        if (map == null) {
            map = new HashMap<>(4);
            bound.set(map);
        }
        map.put(name, tx);
    }

    Transaction unbind(String name) {
        Map<String, Transaction> map = bound.get();
        if (map == null) {
            return null;
        }
        Transaction tx = map.remove(name);
        if (map.isEmpty()) {
            bound.remove();
        }
        return tx;
    }

    AtomStore store() {
        return store;
    }

    void ensureOpen() {
        if (closed) {
            throw new StorageClosedException("The object space on " + storage.describe() + " is closed");
        }
    }

    private static void requireName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a database name must be a non-empty string");
        }
    }

    /** The latest published state, reloaded if another process moved the storage root. */
    SpaceState currentState() {
        ensureOpen();
        SpaceState s = current;
        AtomPointer root = storage.readRoot();
        if (!Objects.equals(root, s.pointer())) {
            advance(loadState(root));
            s = current;
        }
        return s;
    }

    private PendingRoot pendingOf(SpaceState s) {
        return s == written ? lastPending : PendingRoot.DURABLE;
    }

    private static Publication succeedAll(List<CommitRequest> applied) {
        applied.forEach(CommitRequest::succeed);
        return null;
    }

    SpaceState loadState(AtomPointer pointer) {
        if (pointer == null) {
            return SpaceState.initial();
        }
        return history.get(pointer, p -> SpaceState.fromRecord(p, store.readRecord(p)));
    }

    /**
     * Follows a history link ({@link SpaceState#previous()} or {@link SpaceState#jump()}): the version
     * it leads to, or {@code null} when compaction released it. Links of retained versions may lead
     * past the retention, to versions whose atoms are gone; walks of the history stop there.
     */
    private SpaceState loadHistory(AtomPointer link) {
        try {
            return loadState(link);
        } catch (SegmentReleasedException e) {
            return null;
        }
    }

    /**
     * The newest state published at or before {@code instant}, or {@code null} if none.
     *
     * @throws HistoryExpiredException when {@code instant} is older than the history retention reaches
     */
    SpaceState stateAt(String database, Instant instant) {
        Instant horizon = retentionHorizon();
        if (instant.isBefore(horizon)) {
            throw new HistoryExpiredException(database, instant, historyRetention, horizon);
        }
        SpaceState s = currentState();
        while (s != null && s.pointer() != null && s.createdAt().isAfter(instant)) {
            SpaceState jump = s.jump() == null ? null : loadHistory(s.jump());
            if (jump != null && jump.createdAt().isAfter(instant)) {
                s = jump;
            } else {
                s = s.previous() == null ? null : loadState(s.previous());
            }
        }
        return s == null || s.pointer() == null ? null : s;
    }

    /** The oldest instant {@link Database#at} reaches now: the clock's time minus the retention. */
    private Instant retentionHorizon() {
        Instant now = clock.instant();
        try {
            return now.minus(historyRetention);
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Instant.MIN; // a retention longer than the calendar: all history
        }
    }

    /**
     * Runs {@code chooseAndPin}, which picks a version (the current one, one within the retention) and
     * pins it, or reads it entirely, so that compaction's release pass sees either the pin or a
     * version it keeps anyway. Every read of a version that is not pinned goes through here.
     */
    <T> T pinning(Supplier<T> chooseAndPin) {
        pinLock.readLock().lock();
        try {
            return chooseAndPin.get();
        } finally {
            pinLock.readLock().unlock();
        }
    }

    /**
     * What compaction's release pass must keep, taken at one moment: the retained versions and the
     * oldest segment a commit not yet published may have written into (one in flight, or one that
     * starts later and writes into the segment being written now).
     */
    ReleaseGuard releaseGuard() {
        pinLock.writeLock().lock();
        try {
            // commits that start after this look write into the segment being written now or later ones
            long floor = reclaimer.writingSegment();
            for (long segment : inFlight.values()) {
                floor = Math.min(floor, segment);
            }
            return new ReleaseGuard(retainedRoots(), floor);
        } finally {
            pinLock.writeLock().unlock();
        }
    }

    /**
     * @param retained the versions that must stay readable
     * @param inFlightFloor segments from this id on may hold atoms of commits not yet published
     */
    record ReleaseGuard(RetainedRoots retained, long inFlightFloor) {
    }

    /** Keeps the snapshot of {@code tx} retained until {@link #unpin(Transaction)}. */
    void pin(Transaction tx, SpaceState snapshot) {
        if (snapshot.pointer() != null) {
            pins.put(tx, snapshot);
        }
    }

    /** A transaction ended: its snapshot is no longer needed by it. */
    void unpin(Transaction tx) {
        pins.remove(tx);
    }

    /** Keeps the version of a history view retained while the application can reach the view. */
    void pin(Database view, SpaceState state) {
        synchronized (viewPins) {
            viewPins.put(view, state);
        }
    }

    /**
     * The versions history retention keeps, newest first: the current one, every one published
     * within the retention, and the one that was current when the retention window opened (the one
     * {@link Database#at} returns for the oldest instant it accepts). Pinned versions are not included.
     */
    List<SpaceState> retainedHistory() {
        Instant horizon = retentionHorizon();
        List<SpaceState> states = new ArrayList<>();
        for (SpaceState s = currentState(); s != null && s.pointer() != null; s = loadHistory(s.previous())) {
            states.add(s);
            if (!s.createdAt().isAfter(horizon)) {
                break;
            }
        }
        return states;
    }

    /**
     * The space roots whose atoms must stay readable, for reclaiming space: those of
     * {@link #retainedHistory()}, the one written and still on its way to disk, and every one pinned
     * by an open transaction (its snapshot) or a live history view. A walk of the live atoms starts at
     * {@link RetainedRoots#roots()} and does not enter {@link RetainedRoots#expired()}, the versions
     * the history links of retained roots lead to that nothing retains.
     */
    RetainedRoots retainedRoots() {
        java.util.Set<AtomPointer> roots = new java.util.LinkedHashSet<>();
        List<SpaceState> states = new ArrayList<>(retainedHistory());
        SpaceState w = written;
        if (w != null && w.pointer() != null) {
            states.add(w);
        }
        states.addAll(pins.values());
        synchronized (viewPins) {
            states.addAll(viewPins.values());
        }
        states.forEach(s -> roots.add(s.pointer()));
        java.util.Set<AtomPointer> expired = new java.util.LinkedHashSet<>();
        for (SpaceState s : states) {
            for (AtomPointer link : new AtomPointer[] {s.previous(), s.jump()}) {
                if (link != null && !roots.contains(link)) {
                    expired.add(link);
                }
            }
        }
        return new RetainedRoots(java.util.Set.copyOf(roots), java.util.Set.copyOf(expired));
    }

    /**
     * What reclaiming space must keep ({@link #retainedRoots()}).
     *
     * @param roots space roots still readable
     * @param expired space roots only reachable through the history links of {@code roots}: not live
     */
    record RetainedRoots(java.util.Set<AtomPointer> roots, java.util.Set<AtomPointer> expired) {
    }

    void countConflict() {
        conflicts.increment();
    }

    /** Publishes a catalog change that is not a transaction (create, rename, remove). */
    private void publish(UnaryOperator<Dictionary> change) {
        ensureOpen();
        Object mark = markInFlight();
        try {
            submit(new CommitRequest(change));
        } finally {
            inFlight.remove(mark);
        }
    }

    /**
     * Registers a commit about to push atoms, until the caller removes the returned key: compaction
     * must not release the segment being written now, nor later ones, before the commit is published.
     */
    private Object markInFlight() {
        Object mark = new Object();
        if (reclaimer != null) {
            inFlight.put(mark, reclaimer.writingSegment());
        }
        return mark;
    }

    /** Commits a transaction's changes: atoms first, then through the group-commit pipeline. */
    void commit(Transaction tx) {
        ensureOpen();
        Object mark = markInFlight();
        // the latest version, read to skip encoding what the commit will rebase: pinned while read
        Object latestPin = new Object();
        try {
            SpaceState latest = pinning(() -> {
                SpaceState c = current;
                SpaceState w = written;
                SpaceState l = w != null && w.sequence() > c.sequence() ? w : c;
                if (l.pointer() != null) {
                    pins.put(latestPin, l);
                }
                return l;
            });
            tx.persistStaged(store, latest.catalog());
            pins.remove(latestPin);
            tx.stopRunning();
            submit(new CommitRequest(tx::applyTo));
        } finally {
            pins.remove(latestPin);
            inFlight.remove(mark);
        }
        commits.increment();
    }

    /**
     * Queues a request and returns once it is done. A thread that finds the commit mutex free
     * becomes the leader and publishes everything queued; the others park until a leader completes
     * their request or hands the mutex on to them, so a follower whose request a leader already
     * published returns at once rather than after someone else's fsync.
     */
    private void submit(CommitRequest request) {
        if (groupCommitDelayNanos == 0) {
            submitQueued(request);
            return;
        }
        committing.incrementAndGet();
        try {
            noteWriters();
            submitQueued(request);
        } finally {
            committing.decrementAndGet();
        }
    }

    private void submitQueued(CommitRequest request) {
        pending.add(request);
        boolean interrupted = false;
        while (!request.done) {
            // a drained request is in a batch that its leader is finishing: wait for it, do not lead
            if (!request.drained && commitMutex.tryLock()) {
                Publication publication = null;
                try {
                    if (!request.done) {
                        publication = runBatch();
                    }
                } finally {
                    commitMutex.unlock();
                    // let a queued committer write the next batch while this one waits for the disk
                    handOff();
                }
                if (publication != null) {
                    finish(publication);
                }
            } else if (!request.done) {
                // woken by the completion of the request or by a hand-off of the mutex; the timeout
                // only bounds the wait should a wake-up ever be missed
                LockSupport.parkNanos(this, 50_000_000L);
                if (Thread.interrupted()) {
                    // the request is queued and may already be published: finish waiting for its
                    // outcome, then restore the interrupt
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (request.failure != null) {
            throw request.failure;
        }
    }

    /**
     * Called after releasing the commit mutex: wakes the committer of the oldest queued request, which
     * then takes the mutex and leads the next batch. A request queued after this look finds the mutex
     * free itself, since it queues before trying the mutex.
     */
    private void handOff() {
        CommitRequest next = pending.peek();
        if (next != null) {
            LockSupport.unpark(next.waiter);
        }
    }

    /** A batch written under the commit lock, to be acknowledged once durable. */
    private record Publication(PendingRoot pending, SpaceState state, List<CommitRequest> applied, int written) {
    }

    /**
     * Waits (without the commit mutex) until a written batch is durable, then makes it the current
     * state and completes its requests; a batch that cannot become durable fails them all.
     */
    private void finish(Publication publication) {
        try {
            try {
                if (groupCommitDelayNanos > 0) {
                    publication.pending().await(this::gatherCommits);
                } else {
                    publication.pending().await();
                }
            } finally {
                writtenUndurable.addAndGet(-publication.written());
            }
        } catch (RuntimeException e) {
            ProtoBaseException failure = e instanceof ProtoBaseException p ? p
                    : new StorageException("Commit failed on " + storage.describe() + ": " + e, e);
            publication.applied().forEach(r -> r.fail(failure));
            return;
        }
        advance(publication.state());
        batches.increment();
        publication.applied().forEach(CommitRequest::succeed);
    }

    /** Makes {@code s} the current state unless a newer one already is (states only move forward). */
    private void advance(SpaceState s) {
        synchronized (stateLock) {
            if (current == null || s.sequence() > current.sequence()
                    || (s.sequence() == current.sequence() && !Objects.equals(s.pointer(), current.pointer()))) {
                current = s;
            }
        }
    }

    /**
     * The state the next batch builds on: the newest one written under the commit lock, which may
     * still be on its way to disk, or the current one.
     */
    private SpaceState baseState() {
        SpaceState c = currentState();
        SpaceState w = written;
        return w != null && w.sequence() > c.sequence() ? w : c;
    }

    /**
     * Runs with {@link #commitMutex} held: validates, rebases and writes every queued request as one
     * root update, returning it to be awaited after the mutex is released (or {@code null} when
     * there was nothing to publish).
     */
    private Publication runBatch() {
        List<CommitRequest> drained = new ArrayList<>();
        for (CommitRequest r; (r = pending.poll()) != null; ) {
            r.drained = true;
            drained.add(r);
        }
        List<CommitRequest> batch = drained;
        try (CommitLock lock = storage.acquireCommitLock(lockTimeout)) {
            for (int attempt = 0; ; attempt++) {
                SpaceState fresh = attempt == 0 ? baseState() : currentState();
                Dictionary catalog = fresh.catalog();
                List<CommitRequest> applied = new ArrayList<>();
                for (CommitRequest r : batch) {
                    try {
                        catalog = r.change.apply(catalog);
                        applied.add(r);
                    } catch (ProtoBaseException e) {
                        r.fail(e);
                    } catch (RuntimeException e) {
                        r.fail(new ProtoBaseException("Commit failed while applying the transaction to the latest "
                                + "state: " + e + "; nothing was published", e));
                    }
                }
                if (applied.isEmpty()) {
                    return null;
                }
                if (catalog == fresh.catalog()) {
                    // nothing to write, but what the requests saw must be durable before they return
                    return fresh == written && fresh.sequence() > current.sequence()
                            ? new Publication(pendingOf(fresh), fresh, applied, 0)
                            : succeedAll(applied);
                }
                SpaceState next = nextState(fresh, catalog);
                AtomPointer pointer = store.writeRecord(next.toRecord());
                PendingRoot pending = storage.compareAndSetRootPipelined(lock, fresh.pointer(), pointer);
                if (pending != null) {
                    SpaceState published = new SpaceState(pointer, next.sequence(), next.createdAt(), next.previous(),
                            next.jump(), store.detached(catalog));
                    history.put(pointer, published);
                    written = published;
                    lastPending = pending;
                    if (groupCommitDelayNanos > 0) {
                        writtenUndurable.addAndGet(applied.size());
                        synchronized (writersMonitor) {
                            writersMonitor.notifyAll();
                        }
                    }
                    return new Publication(pending, published, applied, groupCommitDelayNanos > 0 ? applied.size() : 0);
                }
                written = null;
                if (attempt >= 10) {
                    throw new StorageException("The root of " + storage.describe()
                            + " kept changing under the commit lock; another process may be writing without it");
                }
                batch = applied;
            }
        } catch (RuntimeException | Error e) {
            // every drained request must end done: a follower whose request is left undone would
            // find nothing queued when it takes the mutex and report a commit that never happened
            ProtoBaseException failure = e instanceof ProtoBaseException p ? p
                    : new StorageException("Commit failed on " + storage.describe() + ": " + e, e);
            for (CommitRequest r : drained) {
                if (!r.done) {
                    r.fail(failure);
                }
            }
            if (e instanceof Error error) {
                throw error;
            }
            return null;
        }
    }

    /**
     * Publishes the current version with its atoms moved out of the segments {@code relocation}
     * empties, as a new version (compaction's commit). It rewrites without the commit mutex and
     * publishes only if no commit was published meanwhile; otherwise it rewrites the newer version,
     * which costs only that commit's atoms since the rest was rewritten already. After a few lost
     * races it rewrites holding the mutex, so that it ends even under a steady stream of commits,
     * which then wait for it but never fail because of it.
     *
     * @return the version published, or the current one when nothing needed moving
     */
    SpaceState publishRelocated(AtomGraph.Relocation relocation) {
        for (int attempt = 0; ; attempt++) {
            boolean rewriteUnderMutex = attempt >= 3;
            SpaceState base = null;
            Dictionary catalog = null;
            if (!rewriteUnderMutex) {
                base = baseState();
                catalog = relocatedCatalog(base, relocation);
                if (catalog == null) {
                    return base; // nothing to move: no commit, and no wait for the commits running now
                }
            }
            Publication publication;
            Object mark = markInFlight();
            commitMutex.lock();
            try {
                if (rewriteUnderMutex) {
                    base = baseState();
                    catalog = relocatedCatalog(base, relocation);
                } else if (baseState() != base) {
                    continue;
                }
                if (catalog == null) {
                    return base;
                }
                publication = writeRelocated(base, catalog);
            } finally {
                commitMutex.unlock();
                handOff();
                inFlight.remove(mark);
            }
            if (publication != null) {
                publication.pending().await();
                advance(publication.state());
                batches.increment();
                return publication.state();
            }
        }
    }

    /** The catalog of {@code base} with its atoms relocated, or {@code null} when none moved. */
    private Dictionary relocatedCatalog(SpaceState base, AtomGraph.Relocation relocation) {
        byte[] before = store.encodeValue(DbObject.of("catalog", base.catalog()));
        byte[] after = relocation.relocateIn(before);
        if (java.util.Arrays.equals(before, after)) {
            return null;
        }
        return (Dictionary) ((DbObject) store.decodeValue(after)).getAt("catalog");
    }

    /** Writes compaction's version on top of {@code base}; {@code null} when another process moved the root. */
    private Publication writeRelocated(SpaceState base, Dictionary catalog) {
        try (CommitLock lock = storage.acquireCommitLock(lockTimeout)) {
            SpaceState next = nextState(base, catalog);
            AtomPointer pointer = store.writeRecord(next.toRecord());
            PendingRoot pending = storage.compareAndSetRootPipelined(lock, base.pointer(), pointer);
            if (pending == null) {
                written = null;
                return null;
            }
            SpaceState published = new SpaceState(pointer, next.sequence(), next.createdAt(), next.previous(),
                    next.jump(), store.detached(catalog));
            history.put(pointer, published);
            written = published;
            lastPending = pending;
            return new Publication(pending, published, List.of(), 0);
        }
    }

    private SpaceState nextState(SpaceState prev, Dictionary catalog) {
        long seq = prev.sequence() + 1;
        Instant now = clock.instant();
        Instant created = now.isAfter(prev.createdAt()) ? now : prev.createdAt();
        long target = seq & (seq - 1);
        AtomPointer jump = null;
        if (target > 0) {
            SpaceState s = prev;
            while (s != null && s.sequence() > target) {
                long jumpSeq = s.sequence() & (s.sequence() - 1);
                s = loadHistory(s.jump() != null && jumpSeq >= target ? s.jump() : s.previous());
            }
            jump = s != null && s.sequence() == target ? s.pointer() : null;
        }
        return new SpaceState(null, seq, created, prev.pointer(), jump, catalog);
    }

    /** One queued catalog change, completed by whichever thread runs its batch. */
    private static final class CommitRequest {
        final UnaryOperator<Dictionary> change;
        /** The committing thread, parked until this request is done or the mutex is handed to it. */
        final Thread waiter = Thread.currentThread();
        /** Taken into a batch by a leader, which completes it. */
        volatile boolean drained;
        volatile boolean done;
        volatile ProtoBaseException failure;

        CommitRequest(UnaryOperator<Dictionary> change) {
            this.change = change;
        }

        void succeed() {
            done = true;
            LockSupport.unpark(waiter);
        }

        void fail(ProtoBaseException e) {
            failure = e;
            done = true;
            LockSupport.unpark(waiter);
        }
    }
}
