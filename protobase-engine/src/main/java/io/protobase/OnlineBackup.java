package io.protobase;

import io.protobase.collection.internal.AtomCopy;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.AtomStore;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes an online backup ({@link ObjectSpace#backup}): a new file storage directory holding one or
 * more versions of an object space.
 *
 * <p>Consistency needs no lock: a version is a space root and the immutable atoms it reaches, so
 * copying what one space root reaches copies the state of one commit however many commits follow
 * while the copy runs (the caller pins the versions so that nothing reclaims them meanwhile). The
 * copy goes through the storage SPI ({@link AtomGraph}), so it works from every storage; atoms get
 * new pointers in the backup and every atom is re-encoded with its children's new pointers. The
 * history links of the oldest version copied are left out: the backup's history ends there.
 *
 * <p>Crash safety: everything is written into a hidden sibling directory
 * ({@code .<name>.backup-<uuid>.partial}), published by the file storage's own commit (fsynced),
 * then every file and the directory are fsynced, and only then is it renamed to the target (an
 * atomic rename) and the parent directory fsynced. A crash before the rename leaves only the hidden
 * directory, never a target that looks complete; a crash after it leaves a complete backup.
 */
final class OnlineBackup {

    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    private final AtomStore store;
    private final String sourceName;

    OnlineBackup(AtomStore store) {
        this.store = store;
        this.sourceName = store.storage().describe();
    }

    /**
     * Copies {@code versions} (newest first, none without a pointer) into a new directory at {@code target}.
     *
     * @throws BackupException when the target is not a new or empty directory, or writing fails
     */
    BackupResult write(Path target, List<SpaceState> versions) {
        long start = System.nanoTime();
        Path dir = target.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        if (parent == null) {
            throw new BackupException("Cannot back up " + sourceName + " to " + dir
                    + ": a backup needs a directory of its own; name a new directory below it");
        }
        refuseUnlessNewOrEmpty(dir);
        Path partial = parent.resolve("." + dir.getFileName() + ".backup-" + UUID.randomUUID() + ".partial");
        boolean moved = false;
        try {
            Files.createDirectories(parent);
            Files.createDirectory(partial);
            AtomCopy copy;
            try (StandaloneFileStorage out = new StandaloneFileStorage(new FileBlockProvider(partial))) {
                copy = copyInto(out, versions);
            }
            syncTree(partial);
            refuseUnlessNewOrEmpty(dir);
            try {
                Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new BackupException("Cannot back up " + sourceName + " to " + dir + ": this file system cannot "
                        + "rename " + partial + " onto it atomically; back up into a directory of a local file system",
                        e);
            }
            moved = true;
            syncDirectory(parent);
            return result(dir, versions, copy, start);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            throw new BackupException("Cannot back up " + sourceName + " to " + dir + ": something else created it "
                    + "while the backup was being written; nothing was left there. Back up into a new directory", e);
        } catch (IOException | StorageException e) {
            throw new BackupException("Backing up " + sourceName + " to " + dir + " failed: " + e.getMessage()
                    + "; nothing was left at the target. Check the disk (space, permissions) and back up again", e);
        } finally {
            if (!moved) {
                deleteQuietly(partial);
            }
        }
    }

    /**
     * Copies {@code versions} (newest first) into {@code target}, a storage nobody has committed to,
     * and publishes the newest as its root.
     *
     * @throws BackupException when {@code target} already has a root
     */
    BackupResult copyTo(SharedStorage target, List<SpaceState> versions) {
        long start = System.nanoTime();
        return result(null, versions, copyInto(target, versions), start);
    }

    private AtomCopy copyInto(SharedStorage out, List<SpaceState> versions) {
        if (out.readRoot() != null) {
            throw new BackupException("Cannot copy " + sourceName + " into " + out.describe() + ": it already holds "
                    + "data (it has a root). Copy into a new, empty storage (for S3, a new prefix)");
        }
        AtomCopy copy = new AtomGraph(store.storage()).copyTo(out);
        AtomPointer newest = copyVersions(copy, versions);
        if (newest != null) {
            try (CommitLock lock = out.acquireCommitLock(LOCK_TIMEOUT)) {
                if (!out.compareAndSetRoot(lock, null, newest)) {
                    throw new BackupException("Cannot copy " + sourceName + " into " + out.describe() + ": another "
                            + "writer committed to it during the copy; copy into a storage nothing else uses");
                }
            }
        }
        return copy;
    }

    private static BackupResult result(Path dir, List<SpaceState> versions, AtomCopy copy, long startNanos) {
        SpaceState newest = versions.isEmpty() ? SpaceState.initial() : versions.get(0);
        return new BackupResult(dir, newest.sequence(), newest.pointer() == null ? null : newest.createdAt(),
                versions.size(), copy.atoms(), copy.bytes(), Duration.ofNanos(System.nanoTime() - startNanos));
    }

    /**
     * Copies each version, oldest first, as its space root record keeping only the history links
     * to versions also copied, so that the backup's history ends at the oldest one.
     */
    private AtomPointer copyVersions(AtomCopy copy, List<SpaceState> newestFirst) {
        Set<AtomPointer> included = new HashSet<>();
        newestFirst.forEach(s -> included.add(s.pointer()));
        List<SpaceState> oldestFirst = new ArrayList<>(newestFirst);
        Collections.reverse(oldestFirst);
        AtomPointer newest = null;
        for (SpaceState s : oldestFirst) {
            SpaceState trimmed = s.withLinks(included.contains(s.previous()) ? s.previous() : null,
                    included.contains(s.jump()) ? s.jump() : null);
            newest = copy.copyAtom(s.pointer(), store.encodeValue(trimmed.toRecord()));
        }
        return newest;
    }

    private void refuseUnlessNewOrEmpty(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new BackupException("Cannot back up " + sourceName + " to " + dir + ": it is a file. Back up into a "
                    + "new or empty directory");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> some = entries.limit(3).map(p -> p.getFileName().toString()).toList();
            if (!some.isEmpty()) {
                throw new BackupException("Cannot back up " + sourceName + " to " + dir
                        + ": the directory is not empty "
                        + "(it holds " + String.join(", ", some) + (some.size() == 3 ? ", ..." : "")
                        + "). Back up into "
                        + "a new or empty directory; a backup never mixes with or replaces other files");
            }
        } catch (IOException e) {
            throw new BackupException("Cannot back up " + sourceName + " to " + dir + ": cannot list it (" + e
                    + "). Back up into a new or empty directory you can write", e);
        }
    }

    /** Forces every file of the backup, then the directory itself (its entries), to disk. */
    private static void syncTree(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> entries = Files.list(dir)) {
            files = entries.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
            // Windows cannot open a directory as a channel, and its renames are durable on their own
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // nothing was created
        } catch (IOException e) {
            // the hidden directory stays; it never looks like a backup
        }
    }
}
