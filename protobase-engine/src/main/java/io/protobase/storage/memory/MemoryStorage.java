package io.protobase.storage.memory;

import io.protobase.CorruptionException;
import io.protobase.StorageClosedException;
import io.protobase.StorageException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SharedStorage;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

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
    private final ReentrantLock commitLock = new ReentrantLock();
    private final AtomicLong terms = new AtomicLong();
    private final AtomicLong bytesStored = new AtomicLong();
    private volatile AtomPointer root;
    private volatile long currentTerm;
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
        ensureOpen("read " + pointer);
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
        try {
            if (!commitLock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new StorageException("Timed out after " + timeout + " waiting for the commit lock of "
                        + describe() + "; another commit is taking too long");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("Interrupted while waiting for the commit lock of " + describe(), e);
        }
        long term = terms.incrementAndGet();
        currentTerm = term;
        return new Grant(term);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        ensureOpen("publish a root");
        if (lock == null) {
            throw new StorageException("Root update on " + describe()
                    + " refused: no commit lock given; acquire it with acquireCommitLock first");
        }
        if (!(lock instanceof Grant grant) || grant.owner() != this || !grant.held() || grant.term != currentTerm) {
            throw new StorageException("Root update on " + describe() + " refused: the commit lock (term "
                    + lock.term() + ") is not held by this caller on this storage");
        }
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

    private final class Grant implements CommitLock {
        private final long term;
        private boolean released;

        Grant(long term) {
            this.term = term;
        }

        MemoryStorage owner() {
            return MemoryStorage.this;
        }

        boolean held() {
            return !released && commitLock.isHeldByCurrentThread();
        }

        @Override
        public long term() {
            return term;
        }

        @Override
        public void close() {
            if (!released && commitLock.isHeldByCurrentThread()) {
                released = true;
                commitLock.unlock();
            }
        }
    }
}
