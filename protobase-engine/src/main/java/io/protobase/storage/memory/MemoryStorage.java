package io.protobase.storage.memory;

import io.protobase.CorruptionException;
import io.protobase.StorageClosedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.SharedStorage;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A storage on the heap, for tests and development: nothing survives the process. It stores the
 * <em>encoded</em> bytes of every atom (copied on push and on read), so everything that runs on it
 * exercises the codec exactly as a persistent backend would.
 *
 * <p>Pointers are {@code (generation, n)} where the generation is random per instance and
 * {@code n} a counter, so pointers of two memory storages never collide by accident.
 */
public final class MemoryStorage implements SharedStorage {

    private final long generation = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
    private final AtomicLong next = new AtomicLong();
    private final ConcurrentHashMap<AtomPointer, byte[]> atoms = new ConcurrentHashMap<>();
    private final LocalCommitLock commitLock = new LocalCommitLock();
    private final AtomicLong bytesStored = new AtomicLong();
    private volatile AtomPointer root;
    private volatile boolean closed;

    @Override
    public AtomPointer push(byte[] atom) {
        ensureOpen("push an atom");
        AtomPointer pointer = new AtomPointer(generation, next.getAndIncrement());
        atoms.put(pointer, Arrays.copyOf(atom, atom.length));
        bytesStored.addAndGet(atom.length);
        return pointer;
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureOpen("read an atom");
        byte[] bytes = atoms.get(pointer);
        if (bytes == null) {
            throw new CorruptionException("No atom at " + pointer + " in " + describe()
                    + ": the pointer does not come from this storage, or the data referencing it is corrupt");
        }
        return Arrays.copyOf(bytes, bytes.length);
    }

    @Override
    public AtomPointer readRoot() {
        ensureOpen("read the root");
        return root;
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        ensureOpen("acquire the commit lock");
        return commitLock.acquire(timeout, this::describe);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        ensureOpen("publish a root");
        commitLock.check(lock, this::describe);
        if (!java.util.Objects.equals(root, expected)) {
            return false;
        }
        root = newRoot;
        return true;
    }

    @Override
    public void flush() {
        ensureOpen("flush");
    }

    @Override
    public String describe() {
        return "memory storage (" + atoms.size() + " atoms, " + bytesStored.get() + " bytes)";
    }

    /** Returns the number of bytes pushed so far. */
    public long bytesStored() {
        return bytesStored.get();
    }

    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new StorageClosedException("Cannot " + what + ": the memory storage is closed");
        }
    }
}
