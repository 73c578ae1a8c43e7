package io.protobase.codec;

import io.protobase.storage.AtomPointer;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The references in one atom as its encoder wrote them ({@link AtomWriter#references}): each pointer
 * (a child slot, a collection root, a {@link Tags#POINTER} value) and each reference to a value stored
 * out of line ({@link Tags#OUT_OF_LINE}, its chunks not counted apart), with the byte offset where it
 * starts, in byte order. The same list a scan of the atom's bytes finds, without reading them.
 *
 * <p>Incomplete when the encoder copied bytes whose references it was not told: then only a scan
 * of the bytes knows them. Immutable.
 */
public final class AtomReferences {

    /** No reference at all: an atom of scalars, or a chunk of an out-of-line value. */
    public static final AtomReferences NONE = new AtomReferences(new int[0], new Object[0], true);
    /** Not known: what an atom whose bytes were copied without their references gets. */
    public static final AtomReferences UNKNOWN = new AtomReferences(new int[0], new Object[0], false);

    private final int[] at;
    /** Each an {@link AtomPointer} or an {@link OutOfLineReference}. */
    private final Object[] refs;
    private final boolean complete;

    private AtomReferences(int[] at, Object[] refs, boolean complete) {
        this.at = at;
        this.refs = refs;
        this.complete = complete;
    }

    /**
     * The references {@code at[i]}, {@code refs[i]} for {@code i < size}: offsets ascending, each reference
     * an {@link AtomPointer} or an {@link OutOfLineReference}. The arrays are copied.
     */
    static AtomReferences of(int[] at, Object[] refs, int size, boolean complete) {
        if (size == 0) {
            return complete ? NONE : UNKNOWN;
        }
        return new AtomReferences(Arrays.copyOf(at, size), Arrays.copyOf(refs, size), complete);
    }

    /** Collects the references of an atom in byte order, as a scan of its bytes finds them. */
    public static final class Builder {
        private int[] at = new int[8];
        private Object[] refs = new Object[8];
        private int size;

        /** A pointer starting at byte {@code offset}. */
        public Builder pointer(int offset, AtomPointer p) {
            add(offset, p);
            return this;
        }

        /** A reference to a value stored out of line, its tag at byte {@code offset}. */
        public Builder outOfLine(int offset, OutOfLineReference r) {
            add(offset, r);
            return this;
        }

        private void add(int offset, Object ref) {
            if (size == at.length) {
                at = Arrays.copyOf(at, size * 2);
                refs = Arrays.copyOf(refs, size * 2);
            }
            at[size] = offset;
            refs[size++] = ref;
        }

        /** The references collected: all of the atom's. */
        public AtomReferences build() {
            return of(at, refs, size, true);
        }
    }

    /** Whether these are all the references of the atom. */
    public boolean complete() {
        return complete;
    }

    /** How many references there are. */
    public int size() {
        return refs.length;
    }

    /** The byte offset where reference {@code i} starts. */
    public int offset(int i) {
        return at[i];
    }

    /** Reference {@code i}: an {@link AtomPointer} or an {@link OutOfLineReference}. */
    public Object reference(int i) {
        return refs[i];
    }

    /** Tells {@code pointers} every pointer and {@code values} every out-of-line reference, in byte order. */
    public void forEach(Consumer<AtomPointer> pointers, Consumer<OutOfLineReference> values) {
        for (Object r : refs) {
            if (r instanceof AtomPointer p) {
                pointers.accept(p);
            } else {
                values.accept((OutOfLineReference) r);
            }
        }
    }

    /** Copies references {@code from .. from + n - 1} into {@code dest} from {@code destPos}. */
    void copyReferences(int from, Object[] dest, int destPos, int n) {
        System.arraycopy(refs, from, dest, destPos, n);
    }

    /** The index of the first reference at or after byte {@code offset}. */
    int firstAtOrAfter(int offset) {
        int lo = 0;
        int hi = at.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at[mid] < offset) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AtomReferences r && complete == r.complete && Arrays.equals(at, r.at)
                && Arrays.equals(refs, r.refs);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(at) + Arrays.hashCode(refs) + (complete ? 1 : 0);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(complete ? "[" : "incomplete [");
        for (int i = 0; i < refs.length; i++) {
            b.append(i == 0 ? "" : ", ").append('@').append(at[i]).append(' ').append(refs[i]);
        }
        return b.append(']').toString();
    }
}
