package io.protobase.storage.file;

import io.protobase.CorruptionException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.file.StandaloneFileStorage.LogPosition;
import io.protobase.storage.file.StandaloneFileStorage.Options;
import io.protobase.storage.file.StandaloneFileStorage.Origin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recovery at open: opens the segment files of a directory, finds where the log ends and which
 * root is the last durable one, and repairs only what a crash can leave; then hands over a
 * {@link LogWriter} positioned at that end. One instance recovers one open and is discarded.
 *
 * <p>The last segment is scanned forward from its checkpoint, and everything up to the last valid
 * commit record is kept; a torn tail and records after the last commit are truncated. Each commit
 * record carries how far its segment had been fsynced when it was written. Bytes beyond that may be
 * lost, torn or reordered by a power loss, so a damaged record followed only by commit records that
 * did not yet count it as fsynced is a torn tail too; a damaged record that a later valid commit
 * record counts as fsynced is not: the open fails with a {@link CorruptionException} naming the
 * file and offset, never silently dropping acknowledged commits. A log that ends in a valid close
 * record (a clean close) is taken as it is, without a scan.
 *
 * <p>A torn tail is expected only where a crash can leave one: the {@link LogManifest} says
 * whether the log was closed cleanly, how long its last segment then was, and which segment and
 * sequence recovery must reach; each segment's checkpoint records the final length of the segment
 * sealed before it. A log cut short against these is damage. A last segment without a valid
 * checkpoint is deleted only when its content is exactly what an interrupted creation of it
 * leaves. All checks run before anything is changed: a failed open modifies nothing.
 */
final class LogRecovery {

    /** Logs under the façade's name: users configure, and tests expect, one logger for the file storage. */
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneFileStorage.class);
    private static final String RESTORE = "; restore the directory from a backup, or move the file away if it does not "
            + "belong to this storage";

    /**
     * The outcome of recovery.
     *
     * @param writer appends after the end of the recovered log
     * @param releaseLog the segments compaction released, to append further releases to
     * @param committed the end of the last durable commit (or of the checkpoint a new log starts with)
     */
    record RecoveredLog(LogWriter writer, ReleaseLog releaseLog, LogPosition committed) {
    }

    private final FileBlockProvider provider;
    private final Options options;
    private final Origin origin;
    private final Segments segments;
    private final LogHealth health;
    private LogWriter writer;
    /**
     * Ids of the segments compaction released, whose files recovery does not open (and deletes, if
     * a crash left them).
     */
    private ReleaseLog releaseLog;
    /** Why the header of the last segment is invalid, while recovery decides whether it is creation residue. */
    private CorruptionException lastHeaderDamage;

    /** The read-ahead window of the segment being scanned (recovery reads segments sequentially). */
    private ScanWindow scanWindow;

    /**
     * Recovery of {@code provider}'s directory into the registry {@code segments}; an empty
     * directory starts a log at {@code origin}.
     */
    LogRecovery(FileBlockProvider provider, Options options, Origin origin, Segments segments, LogHealth health) {
        this.provider = provider;
        this.options = options;
        this.origin = origin;
        this.segments = segments;
        this.health = health;
    }

    /**
     * Opens the segments and finds where the log ends, failing with a {@link CorruptionException}
     * and modifying nothing when the files are not what the manifest and the checkpoints say they
     * must be. Only then the manifest is marked open and the log repaired: a torn tail truncated,
     * creation residue deleted. On failure the manifest is closed; the segments opened so far stay
     * in the registry for the caller to close.
     *
     * <p>Segments the {@link ReleaseLog} lists were released by compaction: they are not opened,
     * reads into them fail as released, and once the log checked out the files of a release a crash
     * interrupted are deleted.
     *
     * @return a writer positioned at the end of the log, and the last durable commit
     */
    RecoveredLog recover() {
        LogManifest manifest;
        try {
            manifest = LogManifest.read(provider);
        } catch (IOException e) {
            throw new StorageException("Cannot read " + LogManifest.FILE + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
        try {
            releaseLog = ReleaseLog.read(provider);
        } catch (IOException e) {
            manifest.close();
            throw new StorageException("Cannot read " + ReleaseLog.FILE + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            manifest.close();
            throw e;
        }
        segments.markReleased(releaseLog.ids());
        manifest.recordReleaseLog(releaseLog::durableLength);
        writer = new LogWriter(provider, options, segments, health, manifest);
        try {
            checkReleaseLog(manifest.current());
            RecoveredLog recovered = findEnd(manifest.current());
            finishReleases();
            return recovered;
        } catch (RuntimeException e) {
            manifest.close();
            releaseLog.close();
            throw e;
        }
    }

    /**
     * Fails when the release log holds less than the manifest recorded as durable: it was deleted or
     * cut short, and the segments it listed would be taken for missing ones.
     */
    private void checkReleaseLog(LogManifest.Entry expected) {
        if (expected != null && expected.releaseLogLength() > releaseLog.durableLength()) {
            throw new CorruptionException("The release log " + provider.directory().resolve(ReleaseLog.FILE) + " holds "
                    + releaseLog.durableLength() + " bytes of valid records, but " + LogManifest.FILE + " recorded "
                    + expected.releaseLogLength() + " bytes: it was deleted or cut short, so the segments compaction "
                    + "released can no longer be told from missing ones. Restore the directory from a backup");
        }
    }

    /**
     * Deletes what a crash left of the files of released segments (the release was durable before
     * any file was deleted) and cuts a torn last record off the release log.
     */
    private void finishReleases() {
        try {
            boolean deleted = false;
            for (long id : provider.segmentIds()) {
                if (releaseLog.ids().contains(id)) {
                    LOG.info("Recovering {}: deleting {}, which compaction released before the process stopped",
                            provider.directory(), WalFormat.fileName(id));
                    deleted |= Files.deleteIfExists(provider.segmentPath(id));
                }
            }
            if (deleted) {
                provider.syncDirectory();
            }
            releaseLog.cutTornTail();
        } catch (IOException e) {
            throw new StorageException("Cannot finish the release of segments in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
    }

    private RecoveredLog findEnd(LogManifest.Entry expected) {
        List<Long> ids = new ArrayList<>(provider.segmentIds());
        ids.removeAll(releaseLog.ids());
        if (ids.isEmpty()) {
            if (expected != null) {
                throw new CorruptionException("The log in " + provider.directory() + " has no segment files, but its "
                        + LogManifest.FILE + " records commits up to " + expected.sequence() + " in "
                        + WalFormat.fileName(expected.lastSegment()) + ": the segments were deleted. Restore the "
                        + "directory from a backup, or delete " + LogManifest.FILE + " too to start an empty store");
            }
            return startAtOrigin(origin.firstSegmentId());
        }
        Map<Long, SealedLength> sealedLengths = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            openExisting(ids.get(i), i == ids.size() - 1, sealedLengths);
        }
        checkSealedLengths(sealedLengths);
        Segment newest = segments.get(ids.get(ids.size() - 1));
        boolean closedCleanly = expected != null && expected.state() == LogManifest.State.CLOSED;
        if (closedCleanly) {
            checkAsClosed(expected, newest);
        }
        // a sequence known durable: recovery reaching less has lost committed data
        long floor = expected == null ? 0 : expected.sequence();
        WalFormat.RootRecord clean = closeRecordAtEnd(newest);
        if (clean != null && (closedCleanly ? clean.sequence() == floor : clean.sequence() >= floor)) {
            requireReached(expected, newest);
            AtomPointer root = rootOf(clean);
            writer.resume(newest, root, clean.sequence(), true);
            writer.writeManifest(LogManifest.State.OPEN, newest.id, -1, clean.sequence());
            return new RecoveredLog(writer, releaseLog, new LogPosition(newest.id, newest.written, clean.sequence(),
                    root));
        }
        Scan scan = newest.written < 0 ? null : scan(newest);
        Segment last = newest;
        if (scan == null) {
            // no valid checkpoint: only the residue of an interrupted creation may go, and only one
            // started after the manifest was last written
            if (!isCreationResidue(newest)) {
                throw notCreationResidue(newest, "its content is not what an interrupted creation of this segment "
                        + "leaves, so it was left in place");
            }
            if (expected != null && newest.id <= expected.lastSegment()) {
                throw notCreationResidue(newest, "yet " + LogManifest.FILE + " records it as created (commits up to "
                        + expected.sequence() + " were durable), so it was cut short and was left in place");
            }
            Segment previous = ids.size() > 1 ? segments.get(ids.get(ids.size() - 2)) : null;
            if (previous == null && expected != null) {
                throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                        + provider.directory() + ": the log had reached it (" + LogManifest.FILE + "), but only "
                        + newest.name + ", an interrupted creation, is left; committed data is missing. Restore the "
                        + "directory from a backup");
            }
            if (previous != null) {
                requireReached(expected, previous);
            }
            dropSegment(newest);
            if (previous == null) {
                // as good as an empty directory: the log starts where an empty one would
                return startAtOrigin(newest.id);
            }
            last = previous;
            scan = scan(last);
            if (scan == null) {
                // sealed before the dropped segment was started, so it held a durable checkpoint
                throw segments.corrupt(last, WalFormat.HEADER_SIZE, "a sealed segment without a valid checkpoint record"
                        + RESTORE);
            }
        }
        requireReached(expected, last);
        if (closedCleanly ? scan.record.sequence() != floor : scan.record.sequence() < floor) {
            throw segments.corrupt(last, scan.end, "the log holds commits up to " + scan.record.sequence()
                    + ", but commit " + floor + " was durable "
                    + (closedCleanly ? "when the log was closed cleanly" : "before")
                    + " (" + LogManifest.FILE + "): committed data is missing" + RESTORE);
        }
        try {
            // what a crashed process wrote may still be only in the OS cache: make it durable before
            // the manifest and later commit records count it as durable
            last.channel.force(false);
            writer.writeManifest(LogManifest.State.OPEN, last.id, -1, scan.record.sequence());
            if (last.channel.size() > scan.end) {
                // after a crash the log ends at least with the zeros written ahead of it
                LOG.warn("Recovering {}: truncating {} bytes after the last commit of {} (offset {})",
                        provider.directory(), last.channel.size() - scan.end, last.name, scan.end);
                last.channel.truncate(scan.end);
                last.channel.force(false);
            }
            last.synced = scan.end;
        } catch (IOException e) {
            throw new StorageException("Cannot truncate or fsync the tail of " + last.name + " in "
                    + provider.directory() + ": " + e.getMessage(), e);
        }
        last.written = scan.end;
        last.allocated = scan.end;
        AtomPointer root = rootOf(scan.record);
        writer.resume(last, root, scan.record.sequence(), false);
        return new RecoveredLog(writer, releaseLog, new LogPosition(last.id, scan.end, scan.record.sequence(), root));
    }

    /**
     * Checks every sealed segment against the length its successor's checkpoint recorded when it
     * was sealed. A recorded segment that is gone is not checked: the cloud storage deletes sealed
     * segments once they are uploaded.
     */
    private void checkSealedLengths(Map<Long, SealedLength> sealedLengths) {
        sealedLengths.forEach((id, sealed) -> {
            Segment s = segments.get(id);
            if (s != null && s.written != sealed.length()) {
                throw segments.corrupt(s, Math.min(s.written, sealed.length()), "the sealed segment is " + s.written
                        + " bytes long, but it was sealed at " + sealed.length() + " bytes (recorded in the checkpoint "
                        + "of " + WalFormat.fileName(sealed.recordedBy()) + "): " + (s.written < sealed.length()
                        ? "it was cut short and committed data is missing" : "bytes were appended to it") + RESTORE);
            }
        });
    }

    /** The final length of a sealed segment, as the checkpoint of segment {@code recordedBy} records it. */
    private record SealedLength(long length, long recordedBy) {
    }

    /**
     * After a clean close the last segment must be the one the manifest names, exactly as long as it
     * was then: nothing can have been torn, so any difference is damage.
     */
    private void checkAsClosed(LogManifest.Entry expected, Segment newest) {
        Segment named = segments.get(expected.lastSegment());
        String closedAt = "the log was closed cleanly with " + WalFormat.fileName(expected.lastSegment())
                + " as its last segment, " + expected.lastLength() + " bytes long (" + LogManifest.FILE + ")";
        String olderVersion = "; if a ProtoBase version without " + LogManifest.FILE + " wrote to this directory "
                + "since, delete " + LogManifest.FILE
                + " and open again, otherwise restore the directory from a backup";
        if (named == null) {
            throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                    + provider.directory() + ": " + closedAt + "; committed data is missing. Restore the directory "
                    + "from a backup");
        }
        if (newest != named) {
            throw new CorruptionException(newest.name + " in " + provider.directory() + " is newer than the log: "
                    + closedAt + olderVersion);
        }
        long size;
        try {
            size = named.channel.size();
        } catch (IOException e) {
            throw new StorageException("Cannot read " + named.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
        if (size < expected.lastLength()) {
            throw segments.corrupt(named, size, "the file is " + size + " bytes long, but " + closedAt
                    + ": it was cut short and committed data is missing; restore the directory from a backup");
        }
        if (size > expected.lastLength()) {
            throw segments.corrupt(named, expected.lastLength(), "the file is " + size + " bytes long, but " + closedAt
                    + olderVersion);
        }
    }

    /** Fails when the manifest names a later segment than {@code last}, the one the log ends in. */
    private void requireReached(LogManifest.Entry expected, Segment last) {
        if (expected != null && last.id < expected.lastSegment()) {
            throw new CorruptionException(WalFormat.fileName(expected.lastSegment()) + " is missing in "
                    + provider.directory() + ": the log had reached it (" + LogManifest.FILE + "), but ends in "
                    + last.name + "; committed data is missing. Restore the directory from a backup");
        }
    }

    /** Starts the log of an empty directory: segment {@code id} with a checkpoint of the origin's root. */
    private RecoveredLog startAtOrigin(long id) {
        return new RecoveredLog(writer, releaseLog, writer.startAt(id, origin.root(), origin.sequence()));
    }

    /** The root a root record names, or {@code null}. */
    private static AtomPointer rootOf(WalFormat.RootRecord record) {
        return record.rootSegment() < 0 ? null : new AtomPointer(record.rootSegment(), record.rootOffset());
    }

    /**
     * The close record ending {@code s}, if the storage was closed cleanly: a valid close record as
     * the last bytes of the file that counts everything before it as fsynced. Then nothing after
     * it can be torn and the segment needs no scan (reads still verify each record's checksum).
     */
    private WalFormat.RootRecord closeRecordAtEnd(Segment s) {
        long at = s.written - WalFormat.ROOT_RECORD_SIZE;
        if (at < WalFormat.HEADER_SIZE) {
            return null;
        }
        WalFormat.RootRecord record = rootRecordAt(s, at, WalFormat.KIND_CLOSE);
        return record != null && record.durableLength() == at ? record : null;
    }

    /** The valid root record of {@code kind} at offset {@code at} of {@code s}, or {@code null}. */
    private WalFormat.RootRecord rootRecordAt(Segment s, long at, byte kind) {
        try {
            ByteBuffer b = ByteBuffer.allocate(WalFormat.ROOT_RECORD_SIZE);
            segments.readFully(s.channel, b, at, s);
            byte[] bytes = b.array();
            if (b.getInt(0) != WalFormat.COMMIT_PAYLOAD || b.get(4) != kind
                    || b.getInt(5 + WalFormat.COMMIT_PAYLOAD) != WalFormat.crc(bytes, 0, 5 + WalFormat.COMMIT_PAYLOAD)
                    || !Arrays.equals(bytes, 5, 13, WalFormat.COMMIT_MAGIC, 0, 8)) {
                return null;
            }
            return WalFormat.RootRecord.fromPayload(Arrays.copyOfRange(bytes, 5, 5 + WalFormat.COMMIT_PAYLOAD));
        } catch (IOException e) {
            throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Opens segment {@code id} and checks its header; notes in {@code sealedLengths} the segment its
     * checkpoint says was sealed before it, with that segment's length and this id.
     */
    private void openExisting(long id, boolean last, Map<Long, SealedLength> sealedLengths) {
        FileChannel channel;
        String name = WalFormat.fileName(id);
        try {
            channel = provider.openSegment(id, false);
        } catch (IOException e) {
            throw new StorageException("Cannot open " + name + " in " + provider.directory() + ": " + e.getMessage(),
                    e);
        }
        Segment s = new Segment(id, channel);
        segments.add(s);
        try {
            long size = channel.size();
            s.written = size;
            s.synced = size;
            s.allocated = size;
            if (size < WalFormat.HEADER_SIZE) {
                if (!last) {
                    throw segments.corrupt(s, 0, "a sealed segment only " + size
                            + " bytes long, shorter than its header" + RESTORE);
                }
                // maybe a creation interrupted before its header was written; see isCreationResidue
                s.written = -1;
                return;
            }
            ByteBuffer h = ByteBuffer.allocate(WalFormat.HEADER_SIZE);
            segments.readFully(channel, h, 0, s);
            try {
                checkHeader(s, h, id);
            } catch (CorruptionException e) {
                if (isNewerFormat(h)) {
                    throw e;
                }
                if (!last) {
                    throw new CorruptionException(e.getMessage() + RESTORE, e);
                }
                // maybe a creation interrupted while its header was written; see isCreationResidue
                s.written = -1;
                lastHeaderDamage = e;
                return;
            }
            WalFormat.RootRecord checkpoint = size < WalFormat.HEADER_SIZE + WalFormat.ROOT_RECORD_SIZE ? null
                    : rootRecordAt(s, WalFormat.HEADER_SIZE, WalFormat.KIND_CHECKPOINT);
            if (checkpoint == null && !last) {
                throw segments.corrupt(s, WalFormat.HEADER_SIZE, "the checkpoint record of a sealed segment is damaged"
                        + RESTORE);
            }
            // -1: written by a version that did not record it
            if (checkpoint != null && checkpoint.previousSegment() >= 0) {
                sealedLengths.put(checkpoint.previousSegment(), new SealedLength(checkpoint.previousOffset(), id));
            }
        } catch (IOException e) {
            throw new StorageException("Cannot read " + name + " in " + provider.directory() + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Whether the last segment {@code s}, which holds no valid checkpoint, is provably the residue
     * of its own creation interrupted by a crash, and so holds nothing that was ever committed
     * (commits are appended only after the checkpoint is durable). Creating a segment writes zeros
     * from offset 0 to {@link LogWriter#PREALLOCATION} bytes past the header, then the header, then the
     * checkpoint, and fsyncs them together; a build that did not preallocate extended the file write
     * by write. So a crash leaves a file no longer than the header plus the preallocation holding:
     * only zeros; or the header this storage writes for that id (only its creation time cannot be
     * predicted), whole and valid, followed by zeros; or a file ending inside that header or inside
     * the checkpoint after it, holding exactly their beginning (the checkpoint's length, kind and
     * marker; its other fields cannot be predicted). Anything else is not this storage's to delete.
     */
    private boolean isCreationResidue(Segment s) {
        try {
            long size = s.channel.size();
            if (size > WalFormat.HEADER_SIZE + LogWriter.PREALLOCATION) {
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            segments.readFully(s.channel, b, 0, s);
            byte[] bytes = b.array();
            if (isZero(bytes, 0, bytes.length)) {
                return true;
            }
            int header = (int) Math.min(size, WalFormat.HEADER_SIZE);
            // once the creation time (bytes 24..31) is complete the whole header, checksum included, follows
            long created = header >= 32 ? ByteBuffer.wrap(bytes).getLong(24) : 0;
            byte[] expected = WalFormat.header(s.id, created).array();
            for (int i = 0; i < header; i++) {
                if (bytes[i] != expected[i] && (i < 24 || i >= 32)) {
                    return false;
                }
            }
            if (size <= WalFormat.HEADER_SIZE + WalFormat.ROOT_RECORD_SIZE - 1 && size > WalFormat.HEADER_SIZE) {
                byte[] checkpoint = ByteBuffer.allocate(5 + WalFormat.COMMIT_MAGIC.length)
                        .putInt(WalFormat.COMMIT_PAYLOAD).put(WalFormat.KIND_CHECKPOINT).put(WalFormat.COMMIT_MAGIC)
                        .array();
                int known = (int) Math.min(size - WalFormat.HEADER_SIZE, checkpoint.length);
                return Arrays.equals(bytes, WalFormat.HEADER_SIZE, WalFormat.HEADER_SIZE + known, checkpoint, 0, known);
            }
            return isZero(bytes, header, bytes.length);
        } catch (IOException e) {
            throw new StorageException("Cannot read " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
    }

    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Why the last segment {@code s}, without a valid checkpoint, is not deleted and fails the open. */
    private CorruptionException notCreationResidue(Segment s, String why) {
        String what = lastHeaderDamage != null ? lastHeaderDamage.getMessage()
                : s.written < 0 ? "Corrupt " + s.name + " in " + provider.directory() + " at offset 0: shorter than a "
                        + "segment header"
                : "Corrupt " + s.name + " in " + provider.directory() + " at offset " + WalFormat.HEADER_SIZE
                        + ": no valid checkpoint record";
        return new CorruptionException(what + ", and " + why + RESTORE);
    }

    private void checkHeader(Segment s, ByteBuffer h, long id) {
        byte[] magic = Arrays.copyOf(h.array(), 8);
        if (!Arrays.equals(magic, WalFormat.MAGIC)) {
            throw segments.corrupt(s, 0, "not a ProtoBase WAL segment (bad magic)");
        }
        int version = h.getShort(8) & 0xFFFF;
        if (isNewerFormat(h)) {
            throw new CorruptionException(s.name + " in " + provider.directory() + " was written by a newer ProtoBase "
                    + "(WAL format " + version + ", this build reads " + WalFormat.VERSION
                    + "); upgrade ProtoBase to open this directory");
        }
        if (h.getInt(32) != WalFormat.crc(h.array(), 0, 32)) {
            // checked before believing the version, so a flipped bit there is not taken for a newer format
            throw segments.corrupt(s, 0, "segment header checksum mismatch"
                    + (version == WalFormat.VERSION ? "" : " (it claims WAL format " + version + ")"));
        }
        if (h.getLong(16) != id) {
            throw segments.corrupt(s, 16, "header names segment " + h.getLong(16) + " but the file name says " + id);
        }
    }

    /** A well-formed header (magic and checksum valid) of a format version later than this build's. */
    private static boolean isNewerFormat(ByteBuffer h) {
        return Arrays.equals(Arrays.copyOf(h.array(), 8), WalFormat.MAGIC)
                && (h.getShort(8) & 0xFFFF) > WalFormat.VERSION
                && h.getInt(32) == WalFormat.crc(h.array(), 0, 32);
    }

    /** Deletes the residue of an interrupted segment creation (see {@link #isCreationResidue}). */
    private void dropSegment(Segment s) {
        LOG.warn("Recovering {}: removing {}, whose creation was interrupted before it held any data",
                provider.directory(), s.name);
        segments.remove(s.id);
        try {
            s.channel.close();
            Files.deleteIfExists(provider.segmentPath(s.id));
            provider.syncDirectory();
        } catch (IOException e) {
            throw new StorageException("Cannot remove the torn segment " + s.name + ": " + e.getMessage(), e);
        }
    }

    private record Scan(WalFormat.RootRecord record, long end) {
    }

    /**
     * Finds the last valid commit or checkpoint record of a segment with a valid header, or
     * {@code null} when it holds none (its creation may have been interrupted before its checkpoint
     * was written).
     */
    private Scan scan(Segment s) {
        try {
            long size = s.channel.size();
            WalFormat.RootRecord last = null;
            long lastEnd = -1;
            long pos = WalFormat.HEADER_SIZE;
            long bad = -1;
            String why = null;
            while (pos < size) {
                Parsed p = parse(s, pos, size);
                if (p.error != null) {
                    bad = pos;
                    why = p.error;
                    break;
                }
                if (WalFormat.carriesRoot(p.kind)) {
                    last = p.root;
                    lastEnd = p.end;
                }
                pos = p.end;
            }
            if (bad >= 0) {
                // Bytes that were not yet fsynced may be lost or torn by a power loss in any order, so
                // a valid commit record after the damage proves nothing by itself; one that was
                // written after the damaged bytes had been fsynced does.
                Parsed proof = findCommitAfter(s, bad, size, bad + 1);
                if (proof != null) {
                    throw segments.corrupt(s, bad, why + ", yet the valid commit record at offset " + proof.start()
                            + " was written after this segment was fsynced through offset "
                            + proof.root().durableLength() + ": committed data is damaged; restore this directory "
                            + "from a backup");
                }
            }
            if (last == null) {
                return null;
            }
            return new Scan(last, lastEnd);
        } catch (IOException e) {
            throw new StorageException("Cannot scan " + s.name + " in " + provider.directory() + ": "
                    + e.getMessage(), e);
        }
    }

    private record Parsed(byte kind, long start, long end, WalFormat.RootRecord root, String error) {
    }

    private Parsed parse(Segment s, long pos, long size) throws IOException {
        if (pos + WalFormat.RECORD_OVERHEAD > size) {
            return new Parsed((byte) 0, pos, 0, null, "truncated record header");
        }
        ByteBuffer head = window(s).read(pos, 5, size);
        int length = head.getInt(0);
        byte kind = head.get(4);
        if (kind < WalFormat.KIND_ATOM || kind > WalFormat.KIND_CLOSE) {
            return new Parsed(kind, pos, 0, null, "unknown record kind " + kind);
        }
        if (length < 0 || length > WalFormat.MAX_RECORD_PAYLOAD || pos + WalFormat.RECORD_OVERHEAD + length > size) {
            return new Parsed(kind, pos, 0, null, "record length " + length + " runs past the end of the file");
        }
        if (kind != WalFormat.KIND_ATOM && length != WalFormat.COMMIT_PAYLOAD) {
            return new Parsed(kind, pos, 0, null, "commit record of length " + length);
        }
        ByteBuffer body = window(s).read(pos + 5, length + 4, size);
        byte[] payload = new byte[length];
        body.get(0, payload);
        byte[] headBytes = new byte[5];
        head.get(0, headBytes);
        if (body.getInt(length) != WalFormat.recordCrc(headBytes, payload)) {
            return new Parsed(kind, pos, 0, null, "checksum mismatch");
        }
        WalFormat.RootRecord root = null;
        if (kind != WalFormat.KIND_ATOM) {
            if (!Arrays.equals(Arrays.copyOf(payload, 8), WalFormat.COMMIT_MAGIC)) {
                return new Parsed(kind, pos, 0, null, "commit record without its marker");
            }
            root = WalFormat.RootRecord.fromPayload(payload);
        }
        return new Parsed(kind, pos, pos + WalFormat.RECORD_OVERHEAD + length, root, null);
    }

    /**
     * Looks for a valid commit record after a damaged one at {@code from}, written when at least
     * {@code durable} bytes of the segment had been fsynced; returns it or {@code null}.
     */
    private Parsed findCommitAfter(Segment s, long from, long size, long durable) throws IOException {
        byte[] marker = WalFormat.COMMIT_MAGIC;
        int chunk = 1 << 20;
        long pos = from + 1;
        while (pos < size) {
            int n = (int) Math.min(chunk + marker.length, size - pos);
            ByteBuffer b = ByteBuffer.allocate(n);
            segments.readFully(s.channel, b, pos, s);
            byte[] a = b.array();
            for (int i = 0; i + marker.length <= n; i++) {
                if (a[i] == marker[0] && Arrays.equals(a, i, i + marker.length, marker, 0, marker.length)) {
                    long recordStart = pos + i - 5;
                    if (recordStart > from) {
                        Parsed p = parse(s, recordStart, size);
                        if (p.error == null && p.kind == WalFormat.KIND_COMMIT
                                && p.root.durableLength() >= durable) {
                            return p;
                        }
                    }
                }
            }
            pos += chunk;
        }
        return null;
    }

    private ScanWindow window(Segment s) {
        if (scanWindow == null || scanWindow.segment != s) {
            scanWindow = new ScanWindow(s);
        }
        return scanWindow;
    }

    /** Serves small sequential reads of a segment from 1 MiB chunks instead of two syscalls per record. */
    private final class ScanWindow {
        final Segment segment;
        byte[] bytes = new byte[0];
        long start;

        ScanWindow(Segment segment) {
            this.segment = segment;
        }

        ByteBuffer read(long pos, int length, long size) throws IOException {
            if (pos < start || pos + length > start + bytes.length) {
                int n = (int) Math.min(Math.max(1 << 20, length), size - pos);
                ByteBuffer b = ByteBuffer.allocate(n);
                segments.readFully(segment.channel, b, pos, segment);
                bytes = b.array();
                start = pos;
            }
            return ByteBuffer.wrap(bytes, (int) (pos - start), length).slice();
        }
    }
}
