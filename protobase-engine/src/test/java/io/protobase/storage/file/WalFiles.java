package io.protobase.storage.file;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test-side reader and mangler of WAL segment files ({@code docs/file-format.md}): lists the records
 * of a segment independently of the storage's own parser, and copies, truncates or damages files so
 * crash tests can derive the expected recovery outcome from the bytes on disk.
 */
final class WalFiles {

    /** One record of a segment: where it starts and ends, its kind, and for commit/checkpoint records the sequence. */
    record Rec(long segmentId, long offset, long end, byte kind, long sequence) {

        boolean isRoot() {
            return kind == WalFormat.KIND_COMMIT || kind == WalFormat.KIND_CHECKPOINT;
        }

        /** Offset of the first payload byte. */
        long payloadOffset() {
            return offset + 5;
        }
    }

    private WalFiles() {
    }

    /** Segment files of {@code dir}, ascending by id. */
    static List<Path> segments(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> WalFormat.segmentId(p.getFileName().toString()) >= 0)
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path lastSegment(Path dir) {
        List<Path> s = segments(dir);
        return s.get(s.size() - 1);
    }

    static long segmentId(Path segment) {
        return WalFormat.segmentId(segment.getFileName().toString());
    }

    /** The well-formed records of a segment, in order, stopping at the first malformed one. */
    static List<Rec> records(Path segment) {
        byte[] b = read(segment);
        long id = segmentId(segment);
        List<Rec> recs = new ArrayList<>();
        int pos = WalFormat.HEADER_SIZE;
        while (pos + WalFormat.RECORD_OVERHEAD <= b.length) {
            ByteBuffer bb = ByteBuffer.wrap(b);
            int length = bb.getInt(pos);
            byte kind = bb.get(pos + 4);
            if (length < 0 || pos + WalFormat.RECORD_OVERHEAD + (long) length > b.length
                    || bb.getInt(pos + 5 + length) != WalFormat.crc(b, pos, 5 + length)) {
                break;
            }
            long seq = kind == WalFormat.KIND_ATOM ? -1 : bb.getLong(pos + 5 + 8);
            int end = pos + WalFormat.RECORD_OVERHEAD + length;
            recs.add(new Rec(id, pos, end, kind, seq));
            pos = end;
        }
        return recs;
    }

    /** All well-formed records of every segment of {@code dir}. */
    static List<Rec> allRecords(Path dir) {
        List<Rec> all = new ArrayList<>();
        for (Path s : segments(dir)) {
            all.addAll(records(s));
        }
        return all;
    }

    /**
     * Copies the segment files of {@code from} into the new or empty directory {@code to}: neither
     * the lock file nor the manifest, so the copy opens as a directory written by a version without
     * a manifest does (recovered as after a crash).
     */
    static Path copy(Path from, Path to) {
        try {
            Files.createDirectories(to);
            for (Path s : segments(from)) {
                Files.copy(s, to.resolve(s.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies the segment files, the manifest and the release log (those there are) of {@code from}
     * into {@code to}.
     */
    static Path copyWithManifest(Path from, Path to) {
        copy(from, to);
        try {
            for (String file : new String[] {LogManifest.FILE, ReleaseLog.FILE}) {
                if (Files.exists(from.resolve(file))) {
                    Files.copy(from.resolve(file), to.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void truncate(Path file, long size) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Overwrites {@code file} from {@code offset} to its end with zeros (a torn write that extended the file). */
    static void zeroFrom(Path file, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long len = f.length();
            f.seek(offset);
            f.write(new byte[(int) (len - offset)]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void flipBit(Path file, long offset, int bit) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ (1 << bit));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
