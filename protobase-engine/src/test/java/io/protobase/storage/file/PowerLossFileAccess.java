package io.protobase.storage.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A {@link FileAccess} that simulates power loss, in the spirit of H2's
 * {@code FilePathReorderWrites}. Files are written through to the real file system, so the storage
 * reads what it wrote, but every file's <em>durable image</em> — its bytes as of its last
 * {@code force} — is tracked beside it, together with the writes made since. A file created here
 * exists after a power loss only once {@link #syncDirectory} made its directory entry durable.
 *
 * <p>A power loss happens after a chosen number of file operations (a write, truncate, force or
 * directory sync; the one in progress is lost as well) or on {@link #powerLoss()}. From then on
 * every operation fails with an {@code IOException}, as if the machine stopped, and
 * {@link #writeImage} writes what a restarted machine would find on disk:
 * <ul>
 *   <li>{@link Survival#DROP_UNSYNCED}: exactly the durable images, every unsynced write dropped;</li>
 *   <li>{@link Survival#TORN_AND_REORDERED}: the durable images plus, for each 512-byte sector the
 *       unsynced writes touched, the first few of the writes to it (a random number): sectors reach
 *       the disk independently, each as of some moment, so a later sector may survive where an
 *       earlier one did not. The file is sometimes extended to its full unsynced length with zeros
 *       where sectors were lost.</li>
 * </ul>
 * Deleting files is not intercepted (the storage deletes only while recovering, then syncs the
 * directory): a file deleted from the real directory is treated as durably gone. Like the
 * platform's channels, a channel is closed by an operation of an interrupted thread, which gets a
 * {@link ClosedByInterruptException}. Thread-safe.
 */
final class PowerLossFileAccess implements FileAccess {

    /** What survives of the writes that were not yet forced. */
    enum Survival {
        /** Nothing. */
        DROP_UNSYNCED,
        /** Any sectors, each with the writes to it up to some moment. */
        TORN_AND_REORDERED
    }

    private static final int SECTOR = 512;

    private final Random random;
    private final Survival survival;
    private final Map<Path, TrackedFile> files = new LinkedHashMap<>();
    private long operationsLeft = Long.MAX_VALUE;
    private Map<Path, byte[]> image;
    private volatile Runnable beforeForce = () -> { };

    PowerLossFileAccess(Random random, Survival survival) {
        this.random = random;
        this.survival = survival;
    }

    /** Cuts the power during the {@code n}-th file operation from now (1 = the next one). */
    synchronized void losePowerAfter(long n) {
        operationsLeft = n;
    }

    /** Runs {@code hook} in the calling thread before each {@code force}, outside this object's lock. */
    void beforeForce(Runnable hook) {
        beforeForce = hook;
    }

    /** Whether some file has writes that were not forced yet. */
    synchronized boolean hasUnsyncedWrites() {
        return files.values().stream().anyMatch(f -> !f.pending.isEmpty());
    }

    /** Whether the power was lost. */
    synchronized boolean lostPower() {
        return image != null;
    }

    /** Cuts the power now, if it was not lost already. */
    synchronized void powerLoss() {
        if (image == null) {
            image = crashImage();
        }
    }

    /** Writes the files as a restarted machine finds them into the empty or new directory {@code to}. */
    synchronized void writeImage(Path to) {
        powerLoss();
        try {
            Files.createDirectories(to);
            for (Map.Entry<Path, byte[]> e : image.entrySet()) {
                Files.write(to.resolve(e.getKey().getFileName()), e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized FileChannel open(Path path, OpenOption... options) throws IOException {
        checkPower();
        Path p = path.toAbsolutePath().normalize();
        boolean existed = Files.exists(p);
        FileChannel channel = FileChannel.open(p, options);
        TrackedFile f = files.get(p);
        if (f == null || !existed) {
            f = new TrackedFile(existed ? Files.readAllBytes(p) : new byte[0], existed);
            files.put(p, f);
        }
        return new Channel(channel, p, f);
    }

    @Override
    public synchronized void syncDirectory(Path directory) throws IOException {
        operation();
        Path dir = directory.toAbsolutePath().normalize();
        files.forEach((p, f) -> {
            if (dir.equals(p.getParent())) {
                f.entryDurable = true;
            }
        });
    }

    private void checkPower() throws IOException {
        if (image != null) {
            throw new IOException("simulated power loss");
        }
    }

    /** Counts one operation; cuts the power (and fails the operation) when it is the chosen one. */
    private void operation() throws IOException {
        checkPower();
        if (--operationsLeft <= 0) {
            image = crashImage();
            throw new IOException("simulated power loss");
        }
    }

    private Map<Path, byte[]> crashImage() {
        Map<Path, byte[]> result = new LinkedHashMap<>();
        files.forEach((p, f) -> {
            if (f.entryDurable && Files.exists(p)) {
                result.put(p, survivingBytes(f));
            }
        });
        return result;
    }

    private byte[] survivingBytes(TrackedFile f) {
        byte[] b = f.durable.clone();
        if (survival == Survival.DROP_UNSYNCED || f.pending.isEmpty()) {
            return b;
        }
        // Each sector reaches the disk on its own, holding what had been written to it up to some
        // moment: of the unsynced writes touching a sector, a random number of the first survive.
        Map<Long, Integer> touches = new HashMap<>();
        for (Op op : f.pending) {
            if (op.data != null) {
                forEachSector(op, (sector, from, to) -> touches.merge(sector, 1, Integer::sum));
            }
        }
        Map<Long, Integer> surviving = new HashMap<>();
        touches.forEach((sector, n) -> surviving.put(sector, random.nextInt(n + 1)));
        Map<Long, Integer> seen = new HashMap<>();
        long fullLength = b.length;
        byte[][] out = {b};
        for (Op op : f.pending) {
            if (op.data == null) {
                out[0] = Arrays.copyOf(out[0], (int) Math.min(out[0].length, op.position));
                fullLength = Math.min(fullLength, op.position);
                continue;
            }
            fullLength = Math.max(fullLength, op.position + op.data.length);
            forEachSector(op, (sector, from, to) -> {
                if (seen.merge(sector, 1, Integer::sum) <= surviving.get(sector)) {
                    if (out[0].length < to) {
                        out[0] = Arrays.copyOf(out[0], (int) to);
                    }
                    System.arraycopy(op.data, (int) (from - op.position), out[0], (int) from, (int) (to - from));
                }
            });
        }
        b = out[0];
        if (b.length < fullLength && random.nextInt(4) == 0) {
            // the file's length reached the disk, some of its data did not
            b = Arrays.copyOf(b, (int) fullLength);
        }
        return b;
    }

    private interface SectorPart {
        void accept(long sector, long from, long to);
    }

    /** Splits a write at sector boundaries. */
    private static void forEachSector(Op op, SectorPart part) {
        long end = op.position + op.data.length;
        for (long from = op.position; from < end; ) {
            long sector = from / SECTOR;
            long to = Math.min(end, (sector + 1) * SECTOR);
            part.accept(sector, from, to);
            from = to;
        }
    }

    /** A write ({@code data} != null) or a truncation, not yet forced. */
    private record Op(long position, byte[] data) {
    }

    private static final class TrackedFile {
        byte[] durable;
        boolean entryDurable;
        final List<Op> pending = new ArrayList<>();

        TrackedFile(byte[] durable, boolean entryDurable) {
            this.durable = durable;
            this.entryDurable = entryDurable;
        }
    }

    /** Writes through to the real channel while recording what is not yet durable. */
    private final class Channel extends ForwardingFileChannel {
        private final Path path;
        private final TrackedFile file;

        Channel(FileChannel delegate, Path path, TrackedFile file) {
            super(delegate);
            this.path = path;
            this.file = file;
        }

        /** What {@code AbstractInterruptibleChannel} does to an I/O operation of an interrupted thread. */
        private void checkInterrupt() throws IOException {
            if (Thread.currentThread().isInterrupted()) {
                close();
                throw new ClosedByInterruptException();
            }
        }

        private void checkOpen() throws ClosedChannelException {
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            checkInterrupt();
            synchronized (PowerLossFileAccess.this) {
                checkOpen();
                byte[] data = new byte[src.remaining()];
                src.duplicate().get(data);
                file.pending.add(new Op(position, data));
                operation();
                return delegate.write(src, position);
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            synchronized (PowerLossFileAccess.this) {
                long position = delegate.position();
                int n = write(src, position);
                delegate.position(position + n);
                return n;
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += write(srcs[i]);
            }
            return n;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            checkInterrupt();
            synchronized (PowerLossFileAccess.this) {
                checkOpen();
                file.pending.add(new Op(size, null));
                operation();
                delegate.truncate(size);
                return this;
            }
        }

        @Override
        public void force(boolean metaData) throws IOException {
            beforeForce.run();
            checkInterrupt();
            synchronized (PowerLossFileAccess.this) {
                checkOpen();
                operation();
                // no real fsync: durability is what this class simulates
                file.durable = Files.readAllBytes(path);
                file.pending.clear();
            }
        }
    }
}
