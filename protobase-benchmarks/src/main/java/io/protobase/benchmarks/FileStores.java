package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Both engines on files, for the file benchmarks ({@code File*Benchmark}, {@link DiskFootprint}): the same
 * {@link Dataset} entries in a ProtoBase {@link StandaloneFileStorage} (default options: {@code fsync=commit},
 * 64 MiB segments; default {@link ObjectSpace} cache) and in an MVStore file
 * ({@code new MVStore.Builder().fileName(file).open()}, default settings, the same {@code MVMap<String, Object[]>}
 * as {@link Dataset.MVStoreMap}).
 *
 * <p>Every store lives in its own new directory under {@link #baseDir()}: the system property
 * {@value #DIR_PROPERTY} if set, else {@code java.io.tmpdir}. Both engines therefore write to the same disk.
 * To move them, pass the property to JMH's forked JVM together with the heap settings, since a command-line
 * {@code -jvmArgsAppend} replaces the one of {@code @Fork}:
 * {@code -jvmArgsAppend "-Xms4g -Xmx4g -Dprotobase.bench.dir=/some/dir"}.
 */
public final class FileStores {

    /** System property naming the parent directory of the benchmark stores. */
    public static final String DIR_PROPERTY = "protobase.bench.dir";
    /** File name of the MVStore file inside its directory. */
    public static final String MVSTORE_FILE = "items.mv.db";

    private FileStores() {
    }

    /** The parent directory of every benchmark store. */
    public static Path baseDir() {
        return Path.of(System.getProperty(DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
    }

    /** A new empty directory under {@link #baseDir()}. */
    public static Path newDir(String prefix) {
        try {
            Path base = baseDir();
            Files.createDirectories(base);
            return Files.createTempDirectory(base, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a benchmark directory under " + baseDir(), e);
        }
    }

    /** Deletes {@code dir} and everything in it; does nothing when it is {@code null} or missing. */
    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the benchmark directory " + dir, e);
        }
    }

    /** Sum of the sizes of the regular files under {@code dir}, in bytes. */
    public static long bytesOnDisk(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    /** The files under {@code dir} with their sizes, for logs. */
    public static String listFiles(Path dir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).sorted().forEach(p -> {
                try {
                    sb.append(sb.length() == 0 ? "" : ", ").append(p.getFileName()).append('=').append(Files.size(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
        return sb.toString();
    }

    /** Prints one line to stdout, so that it appears in the JMH output of the fork. */
    static void log(String format, Object... args) {
        System.out.println("# [file-bench] " + String.format(format, args));
        System.out.flush();
    }

    // ------------------------------------------------------------------ ProtoBase

    /**
     * A ProtoBase object space on a {@link StandaloneFileStorage} with default options, and its database
     * {@link Dataset#NAME} (created on first open).
     */
    public static final class ProtoBaseFile implements AutoCloseable {
        public final Path dir;
        public final StandaloneFileStorage storage;
        public final ObjectSpace space;
        public final Database db;

        private ProtoBaseFile(Path dir, FsyncPolicy fsync, Duration groupCommitDelay) {
            this.dir = dir;
            this.storage = new StandaloneFileStorage(new FileBlockProvider(dir),
                    StandaloneFileStorage.Options.defaults().withFsync(fsync));
            ObjectSpace s = null;
            try {
                s = ObjectSpace.builder(storage).groupCommitDelay(groupCommitDelay).build();
                this.space = s;
                this.db = s.getDatabase(Dataset.NAME);
            } catch (RuntimeException e) {
                if (s != null) {
                    s.close();
                } else {
                    storage.close();
                }
                throw e;
            }
        }

        /** Opens (creating or recovering) the store in {@code dir}: storage, object space and database. */
        public static ProtoBaseFile open(Path dir) {
            if (StandaloneFileStorage.Options.defaults().fsync() != FsyncPolicy.COMMIT) {
                throw new IllegalStateException("the default fsync policy is no longer COMMIT");
            }
            return new ProtoBaseFile(dir, FsyncPolicy.COMMIT, Duration.ZERO);
        }

        /** Opens the store in {@code dir} with another fsync policy (diagnostics: {@code NONE} shows the CPU cost). */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync) {
            return new ProtoBaseFile(dir, fsync, Duration.ZERO);
        }

        /** Opens the store in {@code dir} with an fsync policy and a group commit delay (see ObjectSpace.Builder). */
        public static ProtoBaseFile open(Path dir, FsyncPolicy fsync, Duration groupCommitDelay) {
            return new ProtoBaseFile(dir, fsync, groupCommitDelay);
        }

        /** A new store in {@code dir} holding entries {@code 1..size}, built in one transaction and committed. */
        public static ProtoBaseFile load(Path dir, int size) {
            ProtoBaseFile f = open(dir);
            try {
                int[] ids = Dataset.shuffledIds(size, Dataset.INSERT_SEED);
                try (Transaction tx = f.db.newTransaction()) {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int id : ids) {
                        b.setAt(Dataset.key(id), Dataset.protobaseRecord(id));
                    }
                    tx.setRootObject(Dataset.NAME, b.build());
                    tx.commit();
                }
                f.checkCount(size);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }

        /** Fails unless the dictionary holds {@code size} entries. */
        public void checkCount(long size) {
            long count = db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class).count());
            if (count != size) {
                throw new IllegalStateException("ProtoBase file store holds " + count + " entries, expected " + size);
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            DbObject r = (DbObject) db.read(tx -> tx.getRootObject(Dataset.NAME, Dictionary.class)
                    .getAt(Dataset.key(id)));
            if (r == null || (Double) r.getAt("price") != price) {
                throw new IllegalStateException("ProtoBase key " + id + " holds " + r + ", expected price " + price);
            }
        }

        @Override
        public void close() {
            space.close();
        }
    }

    // ------------------------------------------------------------------ MVStore

    /** An MVStore file {@value #MVSTORE_FILE} in a directory, default settings, with the map {@link Dataset#NAME}. */
    public static final class MVStoreFile implements AutoCloseable {
        public final Path dir;
        public final MVStore store;
        public final MVMap<String, Object[]> map;

        private MVStoreFile(Path dir, boolean autoCommit) {
            this.dir = dir;
            MVStore.Builder b = new MVStore.Builder().fileName(dir.resolve(MVSTORE_FILE).toString());
            if (!autoCommit) {
                b.autoCommitDisabled();
            }
            this.store = b.open();
            this.map = store.openMap(Dataset.NAME);
        }

        /** Opens (creating when missing) the store in {@code dir} and its map, default settings. */
        public static MVStoreFile open(Path dir) {
            return new MVStoreFile(dir, true);
        }

        /**
         * Opens the store in {@code dir}; with {@code autoCommit} false, without MVStore's background auto-commit
         * ({@code autoCommitDisabled()}), which otherwise writes a new chunk whenever about 1 MB of changes is
         * pending — during a bulk load in random key order that rewrites most of the tree again and again.
         */
        public static MVStoreFile open(Path dir, boolean autoCommit) {
            return new MVStoreFile(dir, autoCommit);
        }

        /** A new store in {@code dir} holding entries {@code 1..size}: put in random order, committed and synced once. */
        public static MVStoreFile load(Path dir, int size) {
            return load(dir, size, true);
        }

        /** As {@link #load(Path, int)}, with or without background auto-commit during the load. */
        public static MVStoreFile load(Path dir, int size, boolean autoCommit) {
            MVStoreFile f = open(dir, autoCommit);
            try {
                for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                    f.map.put(Dataset.key(id), Dataset.mvstoreRecord(id));
                }
                f.store.commit();
                f.store.sync();
                f.checkCount(size);
                return f;
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }

        /** Fails unless the map holds {@code size} entries. */
        public void checkCount(long size) {
            if (map.sizeAsLong() != size) {
                throw new IllegalStateException("MVStore file holds " + map.sizeAsLong() + " entries, expected " + size);
            }
        }

        /** Fails unless entry {@code id} holds price {@code price}. */
        public void checkPrice(int id, double price) {
            Object[] r = map.get(Dataset.key(id));
            if (r == null || (Double) r[2] != price) {
                throw new IllegalStateException("MVStore key " + id + " holds a wrong record, expected price " + price);
            }
        }

        @Override
        public void close() {
            store.close();
        }
    }
}
