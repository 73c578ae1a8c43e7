package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.AtomStore;
import io.protobase.storage.AtomPointer;
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
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
 * code reaches it with {@link Database#currentTransaction()}. This class is the facade (the public
 * API and the catalog of databases): the counting lives in {@code OpenTransactions}, the bindings in
 * {@code ThreadBindings}, commits in {@code CommitPipeline}.
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

    /**
     * Default of {@link Builder#historyMaxSpaceRatio}: history takes at most half the space of the live
     * data, so that with the compaction defaults a store settles within about twice its live size
     * whatever the commit rate.
     */
    public static final double DEFAULT_HISTORY_MAX_SPACE_RATIO = 0.5;

    /** Default of {@link Builder#compactionLiveFraction}: segments less than half live are rewritten. */
    public static final double DEFAULT_COMPACTION_LIVE_FRACTION = 0.5;

    /**
     * Default of {@link Builder#compactionIdleLiveFraction}: once commits pause, segments less than 90 % live
     * are rewritten, as MVStore compacts towards a 90 % fill rate when idle, so that a store settles near its
     * live size after a burst at the cost of rewriting when nothing else uses the storage.
     */
    public static final double DEFAULT_COMPACTION_IDLE_LIVE_FRACTION = 0.9;

    /** Default of {@link Builder#compactionMinDeadBytes}: 1 MiB, so that a rewrite frees at least that much. */
    public static final long DEFAULT_COMPACTION_MIN_DEAD_BYTES = 1024L * 1024;

    /** Default of {@link Builder#compactionBytesPerSecond}: 8 MiB of live atoms rewritten per second. */
    public static final long DEFAULT_COMPACTION_BYTES_PER_SECOND = 8L * 1024 * 1024;

    private final SharedStorage storage;
    private final AtomStore store;
    private final Duration historyRetention;
    private final double historyMaxSpaceRatio;
    private final CompactionSettings compaction;
    /** The published versions: current, written, and the history cache. */
    private final SpaceVersions versions;
    /** Which versions stay readable, and which segments commits in flight write into. */
    private final SpaceRetention retention;
    /** Turns transactions and catalog changes into published versions (group commit). */
    private final CommitPipeline pipeline;
    /** {@code null} when the storage cannot release segments. */
    private final Compactor compactor;
    private final LongAdder conflicts = new LongAdder();
    /** Counted for a graceful close, reported to the listeners as they end. */
    private final OpenTransactions openTransactions = new OpenTransactions();
    /** The transactions integration layers bound to threads. */
    private final ThreadBindings threadBindings = new ThreadBindings();
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

    /** The bytes of the atom {@code p} if the store has it decoded at hand, else {@code null}. */
    private byte[] cachedAtom(AtomPointer p) {
        return store.cachedAtom(p);
    }

    private ObjectSpace(Builder b) {
        this.storage = Objects.requireNonNull(b.storage, "storage");
        SegmentReclaimer reclaimer = storage.reclaimer().orElse(null);
        ReentrantReadWriteLock pinLock = new ReentrantReadWriteLock();
        // keeps commits from referencing released atoms; none is needed when the storage releases nothing
        ReferenceGuard references = reclaimer == null ? null : new ReferenceGuard(pinLock, storage, reclaimer);
        // compaction's graph of the atoms: its walks take atoms the store has decoded from the store's cache, and
        // commits tell it what the atoms they push reference (ReferenceGuard.rememberPushes)
        AtomGraph graph = reclaimer == null ? null : new AtomGraph(storage, this::cachedAtom);
        this.store = AtomStore.create(references == null ? storage : references.recording(storage), b.cacheBytes);
        this.historyRetention = b.historyRetention;
        this.historyMaxSpaceRatio = b.historyMaxSpaceRatio;
        this.compaction = new CompactionSettings(b.compactionLiveFraction, b.compactionIdleLiveFraction,
                b.compactionMinDeadBytes, b.compactionInterval, b.compactionBytesPerSecond);
        try {
            this.versions = new SpaceVersions(storage, store, b.clock, this::ensureOpen);
        } catch (RuntimeException e) {
            // a storage we cannot read must not stay open (and, for files, locked)
            storage.close();
            throw e;
        }
        this.retention = new SpaceRetention(versions, b.clock, b.historyRetention, b.historyMaxSpaceRatio, reclaimer,
                pinLock, references);
        this.pipeline = new CommitPipeline(storage, store, versions, retention, references, b.lockTimeout,
                b.groupCommitDelay);
        this.compactor = reclaimer == null ? null : new Compactor(storage, versions, retention, pipeline, reclaimer,
                graph, store::bytesWritten, compaction);
        if (compactor != null && !b.compactionInterval.isZero()) {
            references.rememberPushes(graph);
            compactor.startBackground(b.compactionInterval, b.compactionBytesPerSecond, openTransactions::isClosing);
            pipeline.onPublished(compactor::published);
        }
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
        private double historyMaxSpaceRatio = DEFAULT_HISTORY_MAX_SPACE_RATIO;
        private double compactionLiveFraction = DEFAULT_COMPACTION_LIVE_FRACTION;
        private double compactionIdleLiveFraction = DEFAULT_COMPACTION_IDLE_LIVE_FRACTION;
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
         * Bounds history in space as well as in time: the versions within the {@link #historyRetention}
         * stay readable, newest first, only while the segments they need beyond those the current version
         * (and every open transaction, history view and backup) needs take at most this multiple of the
         * live data (the current version's atoms, as compaction last measured them; never less than 1 MiB).
         * Compaction drops older versions from history: {@link Database#at} then fails for them with
         * {@link HistoryExpiredException}, and their space is reclaimed. Without this bound the space history
         * takes grows with the commit rate: a minute of 1,000 small commits a second is about 300 MB,
         * however small the data. Open transactions and live history views keep their versions whatever
         * the bound. {@link Double#POSITIVE_INFINITY} bounds history by time alone. Applies where the
         * storage reclaims space and compaction runs. Default {@link #DEFAULT_HISTORY_MAX_SPACE_RATIO}.
         *
         * @param ratio the most space history may take, as a multiple of the live data's; positive
         * @return this builder
         * @throws IllegalArgumentException if {@code ratio} is not positive
         */
        public Builder historyMaxSpaceRatio(double ratio) {
            if (!(ratio > 0)) {
                throw new IllegalArgumentException("history max space ratio must be positive, got " + ratio);
            }
            this.historyMaxSpaceRatio = ratio;
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
         * The live fraction below which the background compactor rewrites a sealed segment once commits
         * pause (no commit since its previous run), in {@code [0, 1]}; the higher of this and
         * {@link #compactionLiveFraction} applies then. While commits run, rewriting a segment 90 % live
         * would compete with them for nine bytes written per byte freed; once they pause, the same work
         * brings the store from up to twice its live size (at a live fraction of 0.5) to about 1.1 times,
         * within the {@link #compactionBytesPerSecond} budget. Runs on demand ({@link ObjectSpace#compact()})
         * use {@link #compactionLiveFraction}. Default {@link #DEFAULT_COMPACTION_IDLE_LIVE_FRACTION}.
         *
         * @param fraction the live fraction below which a segment is rewritten while commits pause
         * @return this builder
         * @throws IllegalArgumentException if {@code fraction} is outside {@code [0, 1]}
         */
        public Builder compactionIdleLiveFraction(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException(
                        "compaction idle live fraction must be between 0 and 1, got " + fraction);
            }
            this.compactionIdleLiveFraction = fraction;
            return this;
        }

        /**
         * Compaction rewrites segments only when together they hold at least this many dead bytes, so that
         * small gains do not cost a commit; segments nothing reaches are released whatever they hold.
         * Default {@link #DEFAULT_COMPACTION_MIN_DEAD_BYTES}.
         *
         * @param bytes the minimum of dead bytes, not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder compactionMinDeadBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(
                        "compaction minimum of dead bytes must not be negative, got " + bytes);
            }
            this.compactionMinDeadBytes = bytes;
            return this;
        }

        /**
         * How often the background compactor runs ({@link ObjectSpace#compact()} without being asked),
         * on a daemon thread of the space; zero, the default, runs none. It also runs as soon as commits
         * have written a quarter of the live data's size since its last run (at least the
         * {@link #compactionMinDeadBytes}), so that space is reclaimed at the pace it is used, and it has
         * the storage seal segments at that size (at least 1 MiB), so that they are given back in small
         * steps. Each run rewrites at most
         * {@link #compactionBytesPerSecond} times the time since the previous run (at most this
         * interval) of live bytes.
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
                throw new IllegalArgumentException(
                        "compaction budget must be positive, got " + bytes + " bytes per second");
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
        if (!retention.pinning(() -> currentState().catalog().has(name))) {
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
        return retention.pinning(() -> currentState().catalog().has(name));
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
        retention.pinning(() -> {
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
        return Duration.ofNanos(pipeline.groupCommitDelayNanos());
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
     * {@link Builder#compactionIdleLiveFraction}, {@link Builder#compactionMinDeadBytes},
     * {@link Builder#compactionInterval}, {@link Builder#compactionBytesPerSecond}).
     *
     * @param liveFraction segments less live than this are rewritten
     * @param idleLiveFraction segments less live than this are rewritten by the background compactor while
     *        commits pause
     * @param minDeadBytes a segment is rewritten only with at least this many dead bytes
     * @param interval how often the background compactor runs; zero when it is off
     * @param bytesPerSecond the background compactor's budget of live bytes rewritten per second
     */
    public record CompactionSettings(double liveFraction, double idleLiveFraction, long minDeadBytes,
            Duration interval, long bytesPerSecond) {
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
     * The space bound on history ({@link Builder#historyMaxSpaceRatio}).
     *
     * @return the most space history may take, as a multiple of the live data's
     */
    public double historyMaxSpaceRatio() {
        return historyMaxSpaceRatio;
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
    private BackupResult pinned(BackupOptions options,
                                java.util.function.Function<List<SpaceState>, BackupResult> copy) {
        Objects.requireNonNull(options, "options");
        ensureOpen();
        return retention.withPinned(options.includeHistory(), copy);
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
        return compactor.run(Long.MAX_VALUE, true);
    }

    /**
     * Counters of this space since it was opened.
     *
     * @return a snapshot of the counters
     */
    public Statistics statistics() {
        var cache = store.cache().stats();
        SpaceState s = versions.current();
        return new Statistics(pipeline.commits(), conflicts.sum(), pipeline.batches(), store.bytesWritten(),
                store.bytesRead(), cache.hitCount(), cache.missCount(), cache.evictionCount(),
                store.cache().weightedSize(), store.cache().maximumBytes(), s.sequence(),
                s.sequence() == 0 ? null : s.createdAt(),
                compactor == null ? 0 : compactor.runs(), compactor == null ? 0 : compactor.bytesRewritten(),
                compactor == null ? 0 : compactor.segmentsReleased(), compactor == null ? 0 : compactor.bytesReleased(),
                compactor == null ? null : compactor.lastError(), compactor == null ? -1 : compactor.liveBytes(),
                compactor == null ? 0 : compactor.historyBytes(), storedBytes());
    }

    /**
     * The bytes of the storage's segments, or -1 when it cannot list them: it releases nothing, or it failed
     * (statistics feed health indicators and meters, which must still answer then; the failure itself
     * reaches the next data call).
     */
    private long storedBytes() {
        if (closed) {
            return -1;
        }
        try {
            return storage.reclaimer()
                    .map(r -> r.segments().stream().mapToLong(SegmentReclaimer.Segment::bytes).sum())
                    .orElse(-1L);
        } catch (StorageException e) {
            return -1;
        }
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
     * @param liveBytes the bytes of the atoms the current version reaches, as the last compaction run measured
     *        them; -1 before the first run, and always on a storage that releases nothing
     * @param historyBytes the space history kept back from reclamation at the last compaction run (what
     *        compaction would free but for the versions kept for {@link Database#at(Instant)}), when history
     *        is bounded in space ({@link Builder#historyMaxSpaceRatio}); else 0
     * @param storedBytes the bytes of the storage's segments now, superseded or not; -1 on a storage that
     *        cannot list them ({@link SharedStorage#reclaimer()} empty) or that failed and must be reopened
     */
    public record Statistics(long commits, long conflicts, long batches, long bytesWritten, long bytesRead,
            long cacheHits, long cacheMisses, long cacheEvictions, long cacheBytes, long cacheMaxBytes, long sequence,
            Instant lastCommit, long compactions, long compactionBytesRewritten, long compactionSegmentsReleased,
            long compactionBytesReleased, String compactionLastError, long liveBytes, long historyBytes,
            long storedBytes) {
    }

    /** Closes the storage; idempotent. Transactions still open fail on their next access. */
    @Override
    public void close() {
        openTransactions.startClosing();
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
        openTransactions.startClosing();
        stopCompactor();
        boolean allEnded = openTransactions.awaitNone(timeout);
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
        if (compactor != null) {
            compactor.stopBackground();
        }
    }

    /**
     * Transactions started and not yet committed, aborted or failed.
     *
     * @return the number of running transactions
     */
    public int activeTransactions() {
        return openTransactions.active();
    }

    /**
     * Whether {@link #close()} or {@link #close(Duration)} was called: new transactions are refused.
     *
     * @return {@code true} once closing has started
     */
    public boolean isClosing() {
        return openTransactions.isClosing();
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
        openTransactions.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops telling {@code listener}; nothing happens if it was not added.
     *
     * @param listener the listener to remove
     */
    public void removeTransactionListener(TransactionListener listener) {
        openTransactions.removeListener(listener);
    }

    // ------------------------------------------------------------------ engine internals

    /**
     * Counts a new transaction, or refuses it when the space is closing. Returns whether it counts as a
     * running writer for the group commit delay (then {@link CommitPipeline#writerStopped} must follow once).
     */
    boolean transactionStarted(boolean readOnly) {
        if (!openTransactions.admit()) {
            throw new StorageClosedException("The object space on " + storage.describe()
                    + (closed ? " is closed" : " is shutting down") + "; no new transactions are accepted");
        }
        return pipeline.writerStarted(readOnly);
    }

    /** The running transactions: where each reports that it ended. */
    OpenTransactions openTransactions() {
        return openTransactions;
    }

    /** The transactions bound to threads, for {@link Database#currentTransaction()}. */
    ThreadBindings threadBindings() {
        return threadBindings;
    }

    AtomStore store() {
        return store;
    }

    /** Which versions stay readable: where transactions and history views pin what they read. */
    SpaceRetention retention() {
        return retention;
    }

    /** The group-commit pipeline: where a running writer reports that it stopped. */
    CommitPipeline pipeline() {
        return pipeline;
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
        return versions.currentState();
    }

    void countConflict() {
        conflicts.increment();
    }

    /** Publishes a catalog change that is not a transaction (create, rename, remove). */
    private void publish(UnaryOperator<Dictionary> change) {
        ensureOpen();
        pipeline.publish(change);
    }

    /** Commits a transaction's changes: atoms first, then through the group-commit pipeline. */
    void commit(Transaction tx) {
        ensureOpen();
        pipeline.commit(tx);
    }
}
