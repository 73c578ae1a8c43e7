package io.protobase.codec;

import io.protobase.UnsupportedValueException;
import io.protobase.storage.AtomPointer;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Encodes one atom into bytes: the format version, the atom kind, then values in the tagged binary
 * format of {@code docs/atom-format.md}. Integers use LEB128 varints (signed ones zig-zag encoded),
 * strings and byte arrays a varint length prefix, doubles their IEEE-754 bits.
 *
 * <p>Values this class does not know (records and collections of the layer above) are handed to an
 * {@link Extension}. Anything else is refused with {@link UnsupportedValueException}; there is no
 * fallback to Java serialization.
 */
public final class AtomWriter {

    /** Encodes values of the layer above: records and collections. */
    public interface Extension {
        /** Writes {@code value} (tag included) and returns {@code true}, or returns {@code false} if unknown. */
        boolean write(AtomWriter writer, Object value);

        /** Told of every enum type whose constant is written, so constants of it can decode to the enum again. */
        default void enumWritten(Class<? extends Enum<?>> type) {
        }
    }

    private final Extension extension;
    /** The arrays this writer took over and hands back ({@link #release}); {@code null} if none. */
    private final Scratch scratch;
    private byte[] buf;
    private int pos;
    private int depth;
    /**
     * Whether the references written are collected ({@link #trackReferences}): where each pointer and
     * out-of-line reference starts, in {@link #refAt} and {@link #refs}, the first {@link #refCount}.
     */
    private boolean tracking;
    private int[] refAt;
    private Object[] refs;
    private int refCount;
    /** Cleared by a copy of bytes whose references the writer was not told. */
    private boolean refsComplete = true;

    public AtomWriter(Extension extension, int initialCapacity) {
        this.extension = extension;
        this.scratch = null;
        this.buf = new byte[Math.max(16, initialCapacity)];
    }

    /**
     * A writer working in the arrays of {@code scratch}, which it takes over until {@link #release}: a
     * thread encoding one atom after another (the nodes of a commit) allocates its buffers once. What
     * {@link #toByteArray} and {@link #references} return are copies, as always.
     */
    public AtomWriter(Extension extension, Scratch scratch, int initialCapacity) {
        this.extension = extension;
        this.scratch = scratch;
        this.buf = scratch.buf.length >= initialCapacity ? scratch.buf : new byte[initialCapacity];
        this.refAt = scratch.refAt;
        this.refs = scratch.refs;
    }

    /**
     * Hands this writer's arrays, grown or not, back to the scratch it was made with, for the next writer,
     * and returns that scratch ({@code null} for a writer made without one); this writer is not used any
     * more. Arrays grown beyond {@link Scratch#KEPT_BYTES} are let go.
     */
    public Scratch release() {
        Scratch s = scratch;
        if (s == null) {
            return null;
        }
        if (buf.length <= Scratch.KEPT_BYTES) {
            s.buf = buf;
        }
        if (refAt != null && refAt.length <= Scratch.KEPT_REFERENCES) {
            Arrays.fill(refs, 0, refCount, null);
            s.refAt = refAt;
            s.refs = refs;
        }
        return s;
    }

    /**
     * Arrays a writer works in, kept between the atoms one thread encodes
     * ({@link #AtomWriter(Extension, Scratch, int)}).
     */
    public static final class Scratch {
        /** The largest buffer kept for the next writer. */
        static final int KEPT_BYTES = 64 * 1024;
        /** The most references whose arrays are kept for the next writer. */
        static final int KEPT_REFERENCES = 4 * 1024;
        private byte[] buf = new byte[4096];
        private int[] refAt;
        private Object[] refs;
    }

    /**
     * Starts an atom: writes the format version and the atom kind. The version is the first one;
     * writing something a later version introduced raises it ({@link #requireVersion}).
     */
    public AtomWriter begin(byte atomKind) {
        pos = 0;
        depth = 0;
        refCount = 0;
        refsComplete = true;
        writeByte(Tags.FIRST_VERSION);
        writeByte(atomKind);
        return this;
    }

    /**
     * Collects the references this writer writes from now on, for {@link #references}: the pointers
     * and out-of-line references it encodes, and those of copied bytes when the copy names them
     * ({@link #writeRawFrom(byte[], int, int, AtomReferences)}).
     */
    public AtomWriter trackReferences() {
        if (!tracking) {
            tracking = true;
            if (refAt == null) {
                refAt = new int[8];
                refs = new Object[8];
            }
        }
        return this;
    }

    /** Whether this writer collects the references it writes ({@link #trackReferences}). */
    public boolean tracksReferences() {
        return tracking;
    }

    /**
     * The references in the bytes written since {@link #begin}, as a scan of them would find them:
     * complete unless bytes were copied without their references, or this writer does not track them.
     */
    public AtomReferences references() {
        return tracking ? AtomReferences.of(refAt, refs, refCount, refsComplete) : AtomReferences.UNKNOWN;
    }

    /**
     * The references written at or after byte {@code offset} (the encoding of a value about to move out of
     * line), their offsets counted from there; complete as {@link #references} is.
     */
    public AtomReferences referencesFrom(int offset) {
        if (!tracking) {
            return AtomReferences.UNKNOWN;
        }
        int first = refCount;
        while (first > 0 && refAt[first - 1] >= offset) {
            first--;
        }
        int n = refCount - first;
        int[] at = new int[n];
        for (int i = 0; i < n; i++) {
            at[i] = refAt[first + i] - offset;
        }
        return AtomReferences.of(at, Arrays.copyOfRange(refs, first, refCount), n, refsComplete);
    }

    private void noteReference(int offset, Object ref) {
        if (refCount == refs.length) {
            refAt = Arrays.copyOf(refAt, refCount * 2);
            refs = Arrays.copyOf(refs, refCount * 2);
        }
        refAt[refCount] = offset;
        refs[refCount++] = ref;
    }

    /** Raises the atom's version byte to at least {@code version}: the atom holds something only it can express. */
    public void requireVersion(byte version) {
        if (version > buf[0]) {
            buf[0] = version;
        }
    }

    /**
     * Returns a copy of the bytes written so far: the atom. While encoding, the buffer may hold a
     * large value about to be moved out of line ({@link #truncate}); the atom itself must fit
     * {@link Tags#MAX_ATOM_BYTES}.
     */
    public byte[] toByteArray() {
        if (pos > Tags.MAX_ATOM_BYTES) {
            throw new UnsupportedValueException("An atom would take " + pos + " bytes, more than the "
                    + Tags.MAX_ATOM_BYTES + " one atom may hold; store the large parts as values of their own "
                    + "(values of a collection or attributes of a DbObject are stored out of line when large)");
        }
        return Arrays.copyOf(buf, pos);
    }

    /** Returns a copy of bytes {@code [from, to)} written so far. */
    public byte[] copyOfRange(int from, int to) {
        return Arrays.copyOfRange(buf, from, to);
    }

    /** Drops everything written after the first {@code size} bytes (a value that moves out of line). */
    public void truncate(int size) {
        if (size < 0 || size > pos) {
            throw new IllegalArgumentException("cannot truncate " + pos + " bytes to " + size);
        }
        pos = size;
        while (refCount > 0 && refAt[refCount - 1] >= size) {
            refs[--refCount] = null;
        }
    }

    /**
     * Builds a {@link Tags#ATOM_CHUNK} atom holding bytes {@code [off, off + len)} of {@code src}, a
     * piece of a value's encoding.
     */
    public static byte[] chunkAtom(byte[] src, int off, int len) {
        byte[] atom = new byte[len + 2];
        atom[0] = Tags.OUT_OF_LINE_VERSION;
        atom[1] = Tags.ATOM_CHUNK;
        System.arraycopy(src, off, atom, 2, len);
        return atom;
    }

    /** Writes a reference to a value stored out of line, in place of the value. */
    public void writeOutOfLine(OutOfLineReference ref) {
        if (tracking) {
            noteReference(pos, ref);
        }
        requireVersion(Tags.OUT_OF_LINE_VERSION);
        writeByte(Tags.OUT_OF_LINE);
        writeVarLong(ref.depth());
        writeVarLong(ref.length());
        writeVarLong(ref.chunks().size());
        for (AtomPointer p : ref.chunks()) {
            writePointerBytes(p);
        }
    }

    /** Returns the number of bytes written. */
    public int size() {
        return pos;
    }

    /** How large the buffer may grow: one atom, plus one value on its way out of line. */
    private static final int MAX_BUFFER = Tags.MAX_ATOM_BYTES + Tags.MAX_VALUE_BYTES;

    private void ensure(int extra) {
        int need = pos + extra;
        if (need > buf.length) {
            if (need > MAX_BUFFER || need < 0) {
                throw new UnsupportedValueException("A value would exceed " + Tags.MAX_VALUE_BYTES
                        + " bytes encoded; store large blobs as several values or outside the database");
            }
            buf = Arrays.copyOf(buf, (int) Math.min(MAX_BUFFER, Math.max(need, buf.length * 2L)));
        }
    }

    public void writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    /** Writes an unsigned LEB128 varint (1 to 10 bytes). */
    public void writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    /** Writes a signed value zig-zag encoded as a varint. */
    public void writeZigZag(long v) {
        writeVarLong((v << 1) ^ (v >> 63));
    }

    public void writeFixedLong(long v) {
        ensure(8);
        for (int i = 56; i >= 0; i -= 8) {
            buf[pos++] = (byte) (v >>> i);
        }
    }

    public void writeBytes(byte[] b) {
        writeVarLong(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    /**
     * Copies {@code len} encoded bytes of the atom {@code atom} from {@code off}, without a length
     * prefix, raising this atom's version to that atom's (the bytes may use what only it expresses).
     */
    public void writeRawFrom(byte[] atom, int off, int len) {
        requireVersion(atom[0]);
        writeRaw(atom, off, len);
    }

    /**
     * {@link #writeRawFrom(byte[], int, int)}, told the references of {@code atom} ({@code null} when not
     * known): those within the bytes copied are this atom's too.
     */
    public void writeRawFrom(byte[] atom, int off, int len, AtomReferences known) {
        requireVersion(atom[0]);
        if (tracking) {
            if (known == null || !known.complete()) {
                refsComplete = false;
            } else {
                int from = known.firstAtOrAfter(off);
                int to = known.firstAtOrAfter(off + len);
                int n = to - from;
                if (n > 0) {
                    if (refCount + n > refs.length) {
                        int grown = Math.max(refCount + n, refCount * 2);
                        refAt = Arrays.copyOf(refAt, grown);
                        refs = Arrays.copyOf(refs, grown);
                    }
                    int delta = pos - off;
                    for (int i = 0; i < n; i++) {
                        refAt[refCount + i] = known.offset(from + i) + delta;
                    }
                    known.copyReferences(from, refs, refCount, n);
                    refCount += n;
                }
            }
        }
        copy(atom, off, len);
    }

    /**
     * Copies {@code len} already encoded bytes of {@code src} from {@code off}, without a length prefix.
     * A writer tracking references ({@link #trackReferences}) no longer knows all of them.
     */
    public void writeRaw(byte[] src, int off, int len) {
        refsComplete = false;
        copy(src, off, len);
    }

    private void copy(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, pos, len);
        pos += len;
    }

    /**
     * Writes a string as a varint byte length and UTF-8 (ASCII fast path). A string with an unpaired
     * surrogate has no UTF-8 form and is refused rather than stored altered.
     */
    public void writeString(String s) {
        int n = s.length();
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            writeVarLong(n);
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[pos++] = (byte) s.charAt(i);
            }
        } else {
            requireWellFormed(s);
            writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void requireWellFormed(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new UnsupportedValueException("Cannot store a String with an unpaired surrogate (U+"
                        + Integer.toHexString(c).toUpperCase(Locale.ROOT) + " at index " + i
                        + "): it has no UTF-8 form; store the text as byte[] or fix its encoding");
            }
        }
    }

    /** Writes a pointer: a child slot, a collection root, or the pointer of a {@link Tags#POINTER} value. */
    public void writePointer(AtomPointer p) {
        if (tracking) {
            noteReference(pos, p);
        }
        writePointerBytes(p);
    }

    private void writePointerBytes(AtomPointer p) {
        writeZigZag(p.segmentId());
        writeZigZag(p.offset());
    }

    /** Writes any supported value with its tag. */
    public void writeValue(Object v) {
        if (v == null) {
            writeByte(Tags.NULL);
        } else if (v instanceof String s) {
            writeByte(Tags.STRING);
            writeString(s);
        } else if (v instanceof Integer i) {
            writeByte(Tags.INT);
            writeZigZag(i);
        } else if (v instanceof Long l) {
            writeByte(Tags.LONG);
            writeZigZag(l);
        } else if (v instanceof Boolean b) {
            writeByte(b ? Tags.TRUE : Tags.FALSE);
        } else if (v instanceof Double d) {
            writeByte(Tags.DOUBLE);
            writeFixedLong(Double.doubleToRawLongBits(d));
        } else if (v instanceof BigDecimal bd) {
            writeByte(Tags.BIG_DECIMAL);
            writeZigZag(bd.scale());
            writeBytes(bd.unscaledValue().toByteArray());
        } else if (v instanceof BigInteger bi) {
            writeByte(Tags.BIG_INTEGER);
            writeBytes(bi.toByteArray());
        } else if (v instanceof byte[] b) {
            writeByte(Tags.BYTES);
            writeBytes(b);
        } else if (v instanceof UUID u) {
            writeByte(Tags.UUID);
            writeFixedLong(u.getMostSignificantBits());
            writeFixedLong(u.getLeastSignificantBits());
        } else if (v instanceof Instant t) {
            writeByte(Tags.INSTANT);
            writeZigZag(t.getEpochSecond());
            writeVarLong(t.getNano());
        } else if (v instanceof LocalDate d) {
            writeByte(Tags.LOCAL_DATE);
            writeZigZag(d.toEpochDay());
        } else if (v instanceof LocalDateTime t) {
            writeByte(Tags.LOCAL_DATE_TIME);
            writeZigZag(t.toLocalDate().toEpochDay());
            writeVarLong(t.toLocalTime().toNanoOfDay());
        } else if (v instanceof Duration d) {
            writeByte(Tags.DURATION);
            writeZigZag(d.getSeconds());
            writeVarLong(d.getNano());
        } else if (v instanceof Enum<?> e) {
            Class<? extends Enum<?>> type = declaringClass(e);
            if (extension != null) {
                extension.enumWritten(type);
            }
            writeByte(Tags.ENUM);
            writeString(type.getName());
            writeString(e.name());
        } else if (v instanceof EnumValue e) {
            writeByte(Tags.ENUM);
            writeString(e.type());
            writeString(e.name());
        } else if (v instanceof AtomPointer p) {
            writeByte(Tags.POINTER);
            writePointer(p);
        } else if (v instanceof List<?> list) {
            enter();
            writeByte(Tags.LIST);
            writeVarLong(list.size());
            for (Object o : list) {
                writeValue(o);
            }
            depth--;
        } else {
            enter();
            boolean done = extension != null && extension.write(this, v);
            depth--;
            if (!done) {
                throw new UnsupportedValueException("Cannot store a value of type " + v.getClass().getName()
                        + ": supported are null, Boolean, Integer, Long, Double, BigDecimal, BigInteger, String, "
                        + "byte[], UUID, Instant, LocalDate, LocalDateTime, Duration, enums, java.util.List of "
                        + "those, DbObject and the ProtoBase collections (Float, Short, Byte and Character are "
                        + "not stored implicitly: convert them to Double or Integer)");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Enum<?>> declaringClass(Enum<?> e) {
        return (Class<? extends Enum<?>>) e.getDeclaringClass();
    }

    private void enter() {
        if (++depth > Tags.MAX_DEPTH) {
            throw new UnsupportedValueException("Values nest deeper than " + Tags.MAX_DEPTH
                    + " levels inside one atom; flatten the structure or use nested collections");
        }
    }
}
