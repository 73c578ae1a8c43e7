package io.protobase.spring.actuate;

import io.protobase.BackupException;
import io.protobase.BackupOptions;
import io.protobase.BackupResult;
import io.protobase.CompactionResult;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoCollection;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.index.SecondaryIndex;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The {@code protobase} actuator endpoint of one {@link ObjectSpace}.
 *
 * <ul>
 *   <li>{@code GET /actuator/protobase}: the databases with their roots (name, type, size, secondary
 *       indexes), the storage ({@link SharedStorage#describe()}, and its segments when it reclaims
 *       space), the node cache, the space's counters and the compaction state;</li>
 *   <li>{@code GET /actuator/protobase/{database}}: one database, 404 when there is none of that name
 *       (reading never creates one);</li>
 *   <li>{@code POST /actuator/protobase/compact}: runs {@link ObjectSpace#compact()} now;</li>
 *   <li>{@code POST /actuator/protobase/backup} (body {@code {"includeHistory": true}} optional): writes
 *       an online backup into a new timestamped subdirectory of the configured backup directory.</li>
 * </ul>
 *
 * <p>The caller never names where a backup goes: the endpoint is an operations tool, and a path taken
 * from a request would let anyone allowed to call it write a copy of the data anywhere the
 * application may write. Without a backup directory the backup operation is refused. Each backup
 * is a subdirectory {@code <directory>/protobase-backup-<UTC timestamp>} holding {@code data/}, the
 * backup itself (a file storage: restore by pointing {@code protobase.storage.file.path} at it), and
 * {@value #METADATA}, written last, once {@code data/} is complete. A backup that fails is removed
 * with its subdirectory; one without the metadata file is the remains of a process that died while
 * writing it.
 *
 * <p>Reads run in read-only transactions, so they never block or fail a commit. Root sizes are the
 * collections' entry counts (O(1) each) and a {@code DbObject}'s attribute count; other roots have no
 * size.
 */
@Endpoint(id = "protobase")
public class ProtoBaseEndpoint {

    /** Name of the metadata file in each backup's subdirectory. */
    public static final String METADATA = "backup.properties";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final ObjectSpace space;
    private final @Nullable Path backupDirectory;
    private final Clock clock;

    /**
     * Creates the endpoint.
     *
     * @param space the object space to show and operate on
     * @param backupDirectory where backups go, {@code null} to refuse backups
     * @param clock the clock that names backup subdirectories
     */
    public ProtoBaseEndpoint(ObjectSpace space, @Nullable Path backupDirectory, Clock clock) {
        this.space = Objects.requireNonNull(space, "space");
        this.backupDirectory = backupDirectory;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Describes the whole object space.
     *
     * @return the databases, storage, cache, counters and compaction state
     */
    @ReadOperation
    public SpaceDescriptor space() {
        ObjectSpace.Statistics s = space.statistics();
        ObjectSpace.CompactionSettings settings = space.compactionSettings();
        List<DatabaseDescriptor> databases = space.listDatabases().stream().map(this::database)
                .filter(Objects::nonNull).toList();
        return new SpaceDescriptor(databases, storage(),
                new CacheDescriptor(s.cacheHits(), s.cacheMisses(), s.cacheEvictions(), s.cacheBytes(),
                        s.cacheMaxBytes()),
                new CountersDescriptor(s.sequence(), s.lastCommit(), s.commits(), s.conflicts(), s.batches(),
                        s.bytesWritten(), s.bytesRead(), space.activeTransactions(), space.historyRetention()),
                new CompactionDescriptor(s.compactions(), s.compactionBytesRewritten(), s.compactionSegmentsReleased(),
                        s.compactionBytesReleased(), s.compactionLastError(), settings.interval(),
                        settings.liveFraction(), settings.minDeadBytes(), settings.bytesPerSecond()));
    }

    /**
     * Describes one database.
     *
     * @param name the database name
     * @return its roots, or {@code null} (404) when the space has no such database
     */
    @ReadOperation
    public @Nullable DatabaseDescriptor database(@Selector String name) {
        return space.hasDatabase(name) ? describe(space.getDatabase(name)) : null;
    }

    /**
     * Runs an operation: {@code compact} or {@code backup}.
     *
     * @param operation {@code compact} or {@code backup}
     * @param includeHistory for {@code backup}: whether the backup also holds the retained history
     * @return what the operation did
     * @throws InvalidEndpointRequestException (400) for another operation, or a backup without a
     *         configured backup directory
     * @throws BackupException when the backup could not be written; nothing of it is left behind
     */
    @WriteOperation
    public OperationResponseBody run(@Selector String operation, @Nullable Boolean includeHistory) {
        return switch (operation) {
            case "compact" -> compact();
            case "backup" -> backup(Boolean.TRUE.equals(includeHistory));
            default -> throw new InvalidEndpointRequestException("Unknown ProtoBase operation '" + operation + "'",
                    "Unknown operation '" + operation + "': POST to /actuator/protobase/compact or "
                            + "/actuator/protobase/backup");
        };
    }

    private CompactionDescriptor.Run compact() {
        CompactionResult r = space.compact();
        return new CompactionDescriptor.Run(r.segmentsRewritten(), r.atomsRewritten(), r.bytesRewritten(),
                r.segmentsReleased(), r.bytesReleased(), r.sequence());
    }

    /** One backup at a time: each picks a subdirectory nobody else has taken. */
    private synchronized BackupDescriptor backup(boolean includeHistory) {
        if (backupDirectory == null) {
            String reason = "No backup directory is configured, so the backup was refused. Set "
                    + "protobase.backup.directory to the directory backups go to; each backup is written into a new "
                    + "timestamped subdirectory of it (a request never names the location)";
            throw new InvalidEndpointRequestException(reason, reason);
        }
        Instant started = clock.instant();
        Path target = newSubdirectory(started);
        BackupResult result;
        try {
            result = space.backup(target.resolve("data"),
                    includeHistory ? BackupOptions.withHistory() : BackupOptions.defaults());
            writeMetadata(target, started, includeHistory, result);
        } catch (IOException | RuntimeException e) {
            // a backup is complete with its metadata or not there at all
            FileSystemUtils.deleteRecursively(target.toFile());
            if (e instanceof BackupException backupFailure) {
                throw backupFailure;
            }
            throw new BackupException("The backup into '" + target + "' failed and was removed: " + e.getMessage()
                    + ". Check the space and permissions of protobase.backup.directory, then retry", e);
        }
        return new BackupDescriptor(target.toString(), result.directory().toString(), result.sequence(),
                result.committedAt(), result.versions(), result.atoms(), result.bytes(), result.took());
    }

    private Path newSubdirectory(Instant started) {
        String base = "protobase-backup-" + STAMP.format(started);
        try {
            Files.createDirectories(backupDirectory);
            for (int n = 0;; n++) {
                Path candidate = backupDirectory.resolve(n == 0 ? base : base + "-" + n);
                if (!Files.exists(candidate)) {
                    return Files.createDirectory(candidate);
                }
            }
        } catch (IOException e) {
            throw new BackupException("Could not create a backup subdirectory in '" + backupDirectory
                    + "' (protobase.backup.directory): " + e + ". Make it a directory the application can "
                    + "write, or point the property elsewhere", e);
        }
    }

    private void writeMetadata(Path target, Instant started, boolean includeHistory, BackupResult result)
            throws IOException {
        Properties p = new Properties();
        p.setProperty("format", "1");
        p.setProperty("data", "data");
        p.setProperty("started", started.toString());
        p.setProperty("took", result.took().toString());
        p.setProperty("source", space.storage().describe());
        p.setProperty("databases", String.join(",", space.listDatabases()));
        p.setProperty("includeHistory", Boolean.toString(includeHistory));
        p.setProperty("sequence", Long.toString(result.sequence()));
        p.setProperty("committedAt", String.valueOf(result.committedAt()));
        p.setProperty("versions", Integer.toString(result.versions()));
        p.setProperty("atoms", Long.toString(result.atoms()));
        p.setProperty("bytes", Long.toString(result.bytes()));
        Path partial = target.resolve(METADATA + ".partial");
        try (OutputStream out = Files.newOutputStream(partial)) {
            p.store(out, "ProtoBase backup; restore by opening the 'data' directory as a file storage");
        }
        Files.move(partial, target.resolve(METADATA), StandardCopyOption.ATOMIC_MOVE);
    }

    private StorageDescriptor storage() {
        SharedStorage storage = space.storage();
        return storage.reclaimer().map(r -> {
            List<SegmentReclaimer.Segment> segments = r.segments();
            return new StorageDescriptor(storage.describe(), segments.size(),
                    segments.stream().mapToLong(SegmentReclaimer.Segment::bytes).sum());
        }).orElseGet(() -> new StorageDescriptor(storage.describe(), null, null));
    }

    private static DatabaseDescriptor describe(Database database) {
        return database.read(tx -> new DatabaseDescriptor(database.name(), database.lastCommitTime(),
                tx.rootNames().stream().map(name -> root(tx, name)).toList()));
    }

    private static RootDescriptor root(Transaction tx, String name) {
        Object value = tx.getRootObject(name);
        Long size = null;
        if (value instanceof ProtoCollection collection) {
            size = collection.count();
        } else if (value instanceof DbObject object) {
            size = (long) object.count();
        }
        Map<String, SecondaryIndex> indexes = Map.of();
        if (value instanceof Dictionary d) {
            indexes = d.indexes();
        } else if (value instanceof HashDictionary d) {
            indexes = d.indexes();
        } else if (value instanceof ProtoList l) {
            indexes = l.indexes();
        } else if (value instanceof ProtoSet set) {
            indexes = set.indexes();
        }
        return new RootDescriptor(name, value == null ? null : value.getClass().getSimpleName(), size,
                indexes.values().stream().map(i -> new IndexDescriptor(i.definition().name(),
                        i.definition().path().map(Object::toString).orElse(null), i.isCovering(), i.entryCount(),
                        i.distinctKeys())).toList());
    }

    /**
     * The whole object space.
     *
     * @param databases the databases, in name order
     * @param storage the storage
     * @param cache the node cache
     * @param space the space's counters since it was opened
     * @param compaction compaction counters and settings
     */
    public record SpaceDescriptor(List<DatabaseDescriptor> databases, StorageDescriptor storage,
            CacheDescriptor cache, CountersDescriptor space, CompactionDescriptor compaction)
            implements OperationResponseBody {
    }

    /**
     * One database.
     *
     * @param name the database name
     * @param lastCommit when its last commit was published, {@code null} before the first
     * @param roots its root objects, in name order
     */
    public record DatabaseDescriptor(String name, @Nullable Instant lastCommit, List<RootDescriptor> roots)
            implements OperationResponseBody {
    }

    /**
     * One root object.
     *
     * @param name the root name
     * @param type the simple class name of the value ({@code Dictionary}, {@code DbObject}, {@code String}...)
     * @param size entries of a collection, attributes of a {@code DbObject}, {@code null} for a scalar
     * @param indexes the secondary indexes of a collection
     */
    public record RootDescriptor(String name, @Nullable String type, @Nullable Long size,
            List<IndexDescriptor> indexes) {
    }

    /**
     * One secondary index.
     *
     * @param name the index name
     * @param path the field path it indexes, {@code null} for an extractor index
     * @param covering whether its entries carry the records
     * @param entries (key, record) entries
     * @param distinctKeys distinct keys
     */
    public record IndexDescriptor(String name, @Nullable String path, boolean covering, long entries,
            long distinctKeys) {
    }

    /**
     * The storage.
     *
     * @param description the storage's own description: backend and location, and whatever state it
     *        reports there (a cluster storage its node and peers)
     * @param segments segments not released yet, {@code null} for a storage that never gives space back
     * @param segmentBytes atom bytes those segments hold, {@code null} likewise
     */
    public record StorageDescriptor(String description, @Nullable Integer segments, @Nullable Long segmentBytes) {
    }

    /**
     * The node cache.
     *
     * @param hits lookups served from the cache
     * @param misses lookups that read the storage
     * @param evictions nodes evicted
     * @param bytes encoded bytes held now
     * @param maxBytes bound of the cache
     */
    public record CacheDescriptor(long hits, long misses, long evictions, long bytes, long maxBytes) {
    }

    /**
     * Counters of the space since it was opened.
     *
     * @param sequence sequence number of the current version
     * @param lastCommit time of the last publication, {@code null} before the first
     * @param commits transactions committed
     * @param conflicts commits refused with a conflict
     * @param batches root publications (each serving one or more commits)
     * @param bytesWritten atom bytes written
     * @param bytesRead atom bytes read from storage
     * @param activeTransactions transactions open now
     * @param historyRetention how far back history reaches
     */
    public record CountersDescriptor(long sequence, @Nullable Instant lastCommit, long commits, long conflicts,
            long batches, long bytesWritten, long bytesRead, int activeTransactions, Duration historyRetention) {
    }

    /**
     * Compaction state and settings.
     *
     * @param runs runs completed, on demand or in the background
     * @param bytesRewritten live bytes rewritten
     * @param segmentsReleased segments released after compaction
     * @param bytesReleased bytes those segments held
     * @param lastError the failure of the last run that failed, {@code null} if none did
     * @param interval how often the background compactor runs, zero when it is off
     * @param liveFraction segments less live than this are rewritten
     * @param minDeadBytes dead bytes needed before segments are rewritten
     * @param bytesPerSecond the background compactor's budget
     */
    public record CompactionDescriptor(long runs, long bytesRewritten, long segmentsReleased, long bytesReleased,
            @Nullable String lastError, Duration interval, double liveFraction, long minDeadBytes,
            long bytesPerSecond) {

        /**
         * What one compaction run did.
         *
         * @param segmentsRewritten segments whose live atoms were rewritten
         * @param atomsRewritten atoms pushed again
         * @param bytesRewritten bytes those atoms took
         * @param segmentsReleased segments released
         * @param bytesReleased bytes those segments held
         * @param sequence the version the rewrite was published as, or the current one
         */
        public record Run(int segmentsRewritten, long atomsRewritten, long bytesRewritten, int segmentsReleased,
                long bytesReleased, long sequence) implements OperationResponseBody {
        }
    }

    /**
     * One backup written by the endpoint.
     *
     * @param location the backup's subdirectory (data and metadata)
     * @param data the file storage directory inside it, to restore from
     * @param sequence sequence number of the version backed up
     * @param committedAt commit time of that version
     * @param versions versions in the backup
     * @param atoms atoms written
     * @param bytes atom bytes written
     * @param took how long it took
     */
    public record BackupDescriptor(String location, String data, long sequence, @Nullable Instant committedAt,
            int versions, long atoms, long bytes, Duration took) implements OperationResponseBody {
    }
}
