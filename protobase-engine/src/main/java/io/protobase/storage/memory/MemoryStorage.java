package io.protobase.storage.memory;

import io.protobase.CorruptionException;
import io.protobase.SegmentReleasedException;
import io.protobase.StorageClosedException;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.LocalCommitLock;
import io.protobase.storage.SegmentReclaimer;
import io.protobase.storage.SharedStorage;

import java.nio.ByteBuffer;
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
 * <em>encoded</em> bytes of every atom, one after the other in an array per segment as in a segment file
 * (copied in on push, and out on read), so everything that runs on it
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

    /**
     * The atoms of one segment, and whether it still takes new ones. Its atoms lie one after the other in one
     * array, as in a segment file: each its length (4 bytes) and then its bytes, at the offset its pointer
     * names. Atoms kept this way are not objects of their own: the garbage collector never copies them one by
     * one (a segment's array, once grown past half a heap region, is allocated where objects are not moved),
     * which for a store written without pause is most of its work.
     */
    private static final class MemorySegment {
        /** Size of the array a segment starts with; it doubles as atoms are pushed. */
        static final int INITIAL_CAPACITY = 16 * 1024;

        final long id;
        /** The segment's bytes; replaced by a larger copy when full, under the push lock. */
        volatile byte[] data = new byte[INITIAL_CAPACITY];
        /** Where each atom starts, ascending; the first {@link #count}. Replaced when full, under the push lock. */
        volatile int[] starts = new int[64];
        volatile int count;
        /** Bytes of the atoms pushed into the segment (lengths not counted); only changed under the push lock. */
        volatile long bytes;
        /** Offset of the next atom; only used under the push lock. */
        int end;
        volatile boolean sealed;

        MemorySegment(long id) {
            this.id = id;
        }

        /** A segment whose array is allocated at {@code capacity} at once: one after a segment that filled. */
        MemorySegment(long id, long capacity) {
            this.id = id;
            this.data = new byte[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(INITIAL_CAPACITY, capacity))];
        }

        /**
         * Appends {@code atom}; holds the push lock. Returns its offset. The array doubles, but not past
         * {@code capacity} (what it holds when full) unless one atom needs more.
         */
        int append(byte[] atom, long capacity) {
            int offset = end;
            long need = (long) offset + Integer.BYTES + atom.length;
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("memory segment " + id + " cannot grow past 2 GiB");
            }
            byte[] d = data;
            if (need > d.length) {
                long grown = 2L * d.length;
                if (need <= capacity) {
                    grown = Math.min(grown, capacity);
                }
                d = Arrays.copyOf(d, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, grown)));
            }
            ByteBuffer.wrap(d, offset, Integer.BYTES).putInt(atom.length);
            System.arraycopy(atom, 0, d, offset + Integer.BYTES, atom.length);
            int n = count;
            int[] st = starts;
            if (n == st.length) {
                st = Arrays.copyOf(st, n * 2);
            }
            st[n] = offset;
            // the arrays before the count: a reader that sees the count sees the atom
            data = d;
            starts = st;
            count = n + 1;
            end = (int) need;
            bytes += atom.length;
            return offset;
        }

        /** A copy of the atom at {@code offset}, or {@code null} if no atom starts there. */
        byte[] read(long offset) {
            int n = count;
            int[] st = starts;
            byte[] d = data;
            if (offset < 0 || offset > Integer.MAX_VALUE || Arrays.binarySearch(st, 0, n, (int) offset) < 0) {
                return null;
            }
            int at = (int) offset;
            int length = ByteBuffer.wrap(d, at, Integer.BYTES).getInt();
            return Arrays.copyOfRange(d, at + Integer.BYTES, at + Integer.BYTES + length);
        }

        /** Gives back the array's unused end once the segment takes no more atoms; holds the push lock. */
        void trim() {
            byte[] d = data;
            if (d.length - end > d.length / 8) {
                data = Arrays.copyOf(d, end);
            }
        }
    }

    @Override
    public AtomPointer push(byte[] atom) {
        ensureOpen("push an atom");
        return store(atom);
    }

    /** The same as {@link #push}: the atom's bytes are copied into its segment either way. */
    @Override
    public AtomPointer pushOwned(byte[] atom) {
        ensureOpen("push an atom");
        return store(atom);
    }

    private AtomPointer store(byte[] atom) {
        synchronized (pushLock) {
            MemorySegment s = writing;
            long limit = Math.min(segmentBytes, segmentLimit);
            long capacity = arrayCapacity(limit);
            if (s.count > 0 && (s.bytes + atom.length > limit || s.end + Integer.BYTES + atom.length > capacity)) {
                s = startNextSegment();
            }
            int offset = s.append(atom, capacity);
            bytesStored.addAndGet(atom.length);
            bytesPushed.addAndGet(atom.length);
            return new AtomPointer(s.id, offset);
        }
    }

    /**
     * The size of a segment's array for segments of {@code limit} bytes: the atoms and their lengths fill it,
     * and a segment takes no more atoms once they would not fit. From 1 MiB up it is 64 bytes short of the limit:
     * the heap places such an array in whole regions, and one of exactly a power of two plus its header would
     * take one more region, most of it unused.
     */
    private static long arrayCapacity(long limit) {
        long capacity = limit >= 1024 * 1024 ? limit - 64 : limit;
        return Math.min(Integer.MAX_VALUE - 8, capacity);
    }

    /** Seals the segment being written and starts the next; holds the push lock. */
    private MemorySegment startNextSegment() {
        MemorySegment s = writing;
        s.sealed = true;
        s.trim();
        MemorySegment next = new MemorySegment(s.id + 1, arrayCapacity(Math.min(segmentBytes, segmentLimit)));
        segments.put(next.id, next);
        writing = next;
        return next;
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        ensureOpen("read an atom");
        MemorySegment s = segments.get(pointer.segmentId());
        byte[] bytes = s == null ? null : s.read(pointer.offset());
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
        return bytes;
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
