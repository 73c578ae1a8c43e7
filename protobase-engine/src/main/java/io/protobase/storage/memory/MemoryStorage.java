package io.protobase.storage.memory;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageClosedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A storage on the heap, for tests and development: nothing survives the process. It stores the
 * <em>encoded</em> bytes of every atom (copied on push, unless handed over with {@link #pushOwned}, and
 * on read), so everything that runs on it
 * exercises the codec exactly as a persistent backend would.
 *
 * <p>Atoms are grouped into segments: the segment being written is sealed once it holds
 * {@link #DEFAULT_SEGMENT_BYTES} (or the configured size), and a new one started. Whole sealed
 * segments are released through {@link #reclaimer()} when the engine's compaction proves nothing
 * retained reaches them; their atoms are dropped from the heap. A pointer is
 * {@code (segment id, byte offset in the segment)}; segment ids start at a random base per instance,
 * so pointers of two memory storages never collide by accident.
 */
public final class MemoryStorage implements SharedStorage {

    /** Default size at which the segment being written is sealed: 4 MiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 4L * 1024 * 1024;

    private final long segmentBytes;
    /** The engine's limit on the segment size ({@link SegmentReclaimer#limitSegmentSize}). */
    private volatile long segmentLimit = Long.MAX_VALUE;
    private final long firstSegment = (ThreadLocalRandom.current().nextLong() & 0x3FFF_FFFF_FFFFL) << 16;
    private final ConcurrentSkipListMap<Long, MemorySegment> segments = new ConcurrentSkipListMap<>();
    private final Set<Long> released = ConcurrentHashMap.newKeySet();
    private final Object pushLock = new Object();
    private final LocalCommitLock commitLock = new LocalCommitLock();
    private final AtomicLong bytesStored = new AtomicLong();
    private final AtomicLong bytesPushed = new AtomicLong();
    private volatile MemorySegment writing;
    private volatile AtomPointer root;
    private volatile boolean closed;
    private final SegmentReclaimer reclaimer = new Reclaimer();

    /** A memory storage sealing segments at {@link #DEFAULT_SEGMENT_BYTES}. */
    public MemoryStorage() {
        this(DEFAULT_SEGMENT_BYTES);
    }

    /**
     * A memory storage sealing the segment being written once it holds {@code segmentBytes}: smaller
     * segments let compaction give back memory in smaller steps, at the cost of more segments.
     */
    public MemoryStorage(long segmentBytes) {
        if (segmentBytes <= 0) {
            throw new IllegalArgumentException("segment size must be positive, got " + segmentBytes);
        }
        this.segmentBytes = segmentBytes;
        this.writing = new MemorySegment(firstSegment);
        segments.put(writing.id, writing);
    }

    /** The atoms of one segment, and whether it still takes new ones. */
    private static final class MemorySegment {
        final long id;
        final ConcurrentHashMap<Long, byte[]> atoms = new ConcurrentHashMap<>();
        /** Bytes pushed into the segment; only changed under the push lock. */
        volatile long bytes;
        /** Offset of the next atom: an empty atom takes one offset too, so pointers stay distinct. */
        long end;
        volatile boolean sealed;

        MemorySegment(long id) {
            this.id = id;
        }
    }

    @Override
    public AtomPointer push(byte[] atom) {
        ensureOpen("push an atom");
        return store(Arrays.copyOf(atom, atom.length));
    }

    /** Keeps {@code atom} itself: the caller hands it over and never changes it again. */
    @Override
    public AtomPointer pushOwned(byte[] atom) {
        ensureOpen("push an atom");
        return store(atom);
    }

    private AtomPointer store(byte[] copy) {
        synchronized (pushLock) {
            MemorySegment s = writing;
            if (s.bytes > 0 && s.bytes + copy.length > Math.min(segmentBytes, segmentLimit)) {
                s = startNextSegment();
            }
            long offset = s.end;
            s.atoms.put(offset, copy);
            s.end = offset + Math.max(1, copy.length);
            s.bytes += copy.length;
            bytesStored.addAndGet(copy.length);
            bytesPushed.addAndGet(copy.length);
            return new AtomPointer(s.id, offset);
        }
    }

    /** Seals the segment being written and starts the next; holds the push lock. */
    private MemorySegment startNextSegment() {
        MemorySegment s = writing;
        s.sealed = true;
        MemorySegment next = new MemorySegment(s.id + 1);
        segments.put(next.id, next);
        writing = next;
        return next;
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureOpen("read an atom");
        MemorySegment s = segments.get(pointer.segmentId());
        byte[] bytes = s == null ? null : s.atoms.get(pointer.offset());
        if (bytes == null) {
            if (released.contains(pointer.segmentId())) {
                throw new SegmentReleasedException("No atom at " + pointer + " in " + describe() + ": its segment "
                        + pointer.segmentId() + " was released by compaction, so no retained version references it; "
                        + "the reference comes from a version that is no longer retained (a pointer kept outside "
                        + "the transaction it came from), or the data referencing it is corrupt", pointer.segmentId());
            }
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
        if (!Objects.equals(root, expected)) {
            return false;
        }
        root = newRoot;
        return true;
    }

    @Override
    public Optional<SegmentReclaimer> reclaimer() {
        return Optional.of(reclaimer);
    }

    @Override
    public void flush() {
        ensureOpen("flush");
    }

    @Override
    public String describe() {
        return "memory storage (" + segments.size() + " segments, " + bytesStored.get() + " bytes)";
    }

    /** Returns the number of atom bytes held now: those pushed, minus those of released segments. */
    public long bytesStored() {
        return bytesStored.get();
    }

    /** Returns the number of bytes pushed since the storage was created, released or not. */
    public long bytesPushed() {
        return bytesPushed.get();
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

    /** Lists and releases the segments of this storage. */
    private final class Reclaimer implements SegmentReclaimer {

        @Override
        public List<SegmentReclaimer.Segment> segments() {
            ensureOpen("list segments");
            List<SegmentReclaimer.Segment> list = new ArrayList<>();
            for (MemorySegment s : segments.values()) {
                list.add(new SegmentReclaimer.Segment(s.id, s.bytes, s.sealed));
            }
            return list;
        }

        @Override
        public long writingSegment() {
            ensureOpen("name the segment being written");
            return writing.id;
        }

        @Override
        public void limitSegmentSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("segment size limit must be positive, got " + bytes);
            }
            segmentLimit = bytes;
        }

        @Override
        public void release(Collection<Long> ids) {
            ensureOpen("release segments");
            synchronized (pushLock) {
                for (Long id : ids) {
                    MemorySegment s = segments.get(id);
                    if (s == null) {
                        continue;
                    }
                    if (!s.sealed) {
                        throw new IllegalArgumentException("Cannot release segment " + id + " of " + describe()
                                + ": it is still being written");
                    }
                    released.add(id);
                    segments.remove(id);
                    bytesStored.addAndGet(-s.bytes);
                }
            }
        }
    }
}
