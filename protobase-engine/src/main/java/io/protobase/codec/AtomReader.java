package io.protobase.codec;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Decodes one atom. Stored bytes are untrusted input: every length is checked against the bytes
 * actually left before anything is allocated, varints are at most 10 bytes, nesting is bounded, and
 * every malformed input ends in a {@link CorruptionException} naming the atom, never in an
 * {@code OutOfMemoryError} or an unchecked runtime exception. No class named in the data is ever
 * loaded: enum constants resolve only through types the application registered.
 */
public final class AtomReader {

    /** Decodes values of the layer above and resolves enum types. */
    public interface Extension {
        /** Reads the value whose tag was just consumed. */
        Object read(AtomReader reader, byte tag);

        /** Returns the registered enum type of that name, or {@code null}. */
        Class<? extends Enum<?>> enumType(String name);

        /** Skips the value whose tag was just consumed; by default reads and discards it. */
        default void skip(AtomReader reader, byte tag) {
            read(reader, tag);
        }
    }

    private final byte[] buf;
    private final int limit;
    private final Object source;
    private final Extension extension;
    private int pos;
    private int depth;
    /** The atom's version byte: what the atom may contain. */
    private byte version;

    /**
     * @param source what is being decoded, for error messages (usually the {@link AtomPointer})
     */
    public AtomReader(byte[] buf, Object source, Extension extension) {
        this.buf = buf;
        this.limit = buf.length;
        this.source = source;
        this.extension = extension;
        // a reader that seeks into an atom decoded before (a lazy value) knows its version from there
        this.version = buf.length > 0 ? buf[0] : 0;
    }

    /** Checks the version byte and returns the atom kind. */
    public byte begin() {
        version = readByte();
        if (version < Tags.FIRST_VERSION || version > Tags.FORMAT_VERSION) {
            throw corrupt(version > Tags.FORMAT_VERSION
                    ? "written by a newer ProtoBase (atom format " + version + ", this build reads up to "
                            + Tags.FORMAT_VERSION + "); upgrade ProtoBase to read it"
                    : "unknown atom format version " + version);
        }
        return readByte();
    }

    /**
     * Checks that {@code atom} is a {@link Tags#ATOM_CHUNK} and returns where its payload starts; the
     * payload runs to the end of the atom.
     */
    public static int chunkPayloadStart(byte[] atom, Object source) {
        AtomReader r = new AtomReader(atom, source, null);
        byte kind = r.begin();
        if (kind != Tags.ATOM_CHUNK || r.version < Tags.OUT_OF_LINE_VERSION) {
            throw r.corrupt("expected a chunk of an out-of-line value (format " + Tags.OUT_OF_LINE_VERSION
                    + ", kind " + Tags.ATOM_CHUNK + "), found format " + r.version + " kind " + kind);
        }
        return r.position();
    }

    /**
     * Reads the reference of a value stored out of line, after its {@link Tags#OUT_OF_LINE} tag:
     * depth, length and chunk pointers, each checked against its bound.
     */
    public OutOfLineReference readOutOfLine() {
        if (version < Tags.OUT_OF_LINE_VERSION) {
            throw corrupt("an out-of-line value in an atom of format " + version + ", which has none");
        }
        long d = readVarLong();
        if (d > Tags.MAX_DEPTH) {
            throw corrupt("out-of-line value nesting " + d + " levels, more than " + Tags.MAX_DEPTH);
        }
        long length = readVarLong();
        if (length <= 0 || length > Tags.MAX_VALUE_BYTES) {
            throw corrupt("out-of-line value of " + length + " bytes, outside 1.." + Tags.MAX_VALUE_BYTES);
        }
        int n = readCount(2);
        if (n == 0 || n > length) {
            throw corrupt(n + " chunks for an out-of-line value of " + length + " bytes");
        }
        List<AtomPointer> chunks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            chunks.add(readPointer());
        }
        return new OutOfLineReference((int) d, (int) length, chunks);
    }

    /** Fails unless every byte was consumed. */
    public void end() {
        if (pos != limit) {
            throw corrupt((limit - pos) + " unexpected trailing bytes");
        }
    }

    public int remaining() {
        return limit - pos;
    }

    /** The byte at the current position, without consuming it (the tag of the next value). */
    public byte peekByte() {
        if (pos >= limit) {
            throw corrupt("truncated");
        }
        return buf[pos];
    }

    /** The atom being read, not copied: a lazy value keeps a range of it. */
    public byte[] atom() {
        return buf;
    }

    /** What is being decoded, as given to the constructor. */
    public Object source() {
        return source;
    }

    /** The offset of the next byte to read. */
    public int position() {
        return pos;
    }

    /** Moves to {@code offset} (within the input) to decode a value found there earlier. */
    public AtomReader seek(int offset) {
        if (offset < 0 || offset > limit) {
            throw corrupt("offset " + offset + " outside the atom");
        }
        pos = offset;
        return this;
    }

    /**
     * Skips one tagged value, checking only its structure (tags, lengths, nesting), so that a
     * node can find where each record starts without building it. The value is fully checked when
     * it is decoded.
     */
    public void skipValue() {
        byte tag = readByte();
        switch (tag) {
            case Tags.NULL, Tags.FALSE, Tags.TRUE -> {
            }
            case Tags.INT, Tags.LONG, Tags.LOCAL_DATE -> readVarLong();
            case Tags.DOUBLE -> skip(8);
            case Tags.UUID -> skip(16);
            case Tags.BIG_DECIMAL -> {
                readVarLong();
                skip(readCount(1));
            }
            case Tags.BIG_INTEGER, Tags.STRING, Tags.BYTES -> skip(readCount(1));
            case Tags.INSTANT, Tags.DURATION, Tags.LOCAL_DATE_TIME, Tags.POINTER -> {
                readVarLong();
                readVarLong();
            }
            case Tags.ENUM -> {
                skip(readCount(1));
                skip(readCount(1));
            }
            case Tags.OUT_OF_LINE -> readOutOfLine();
            case Tags.LIST -> {
                enter();
                int n = readCount(1);
                for (int i = 0; i < n; i++) {
                    skipValue();
                }
                depth--;
            }
            default -> {
                if (extension == null) {
                    throw corrupt("unknown value tag " + tag);
                }
                enter();
                extension.skip(this, tag);
                depth--;
            }
        }
    }

    /** Skips {@code n} bytes. */
    public void skip(int n) {
        if (n < 0 || n > remaining()) {
            throw corrupt("truncated");
        }
        pos += n;
    }

    public byte readByte() {
        if (pos >= limit) {
            throw corrupt("truncated");
        }
        return buf[pos++];
    }

    public long readVarLong() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = readByte();
            if (shift == 63 && (b & 0xFE) != 0) {
                throw corrupt("varint overflows 64 bits");
            }
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw corrupt("varint longer than 10 bytes");
    }

    public long readZigZag() {
        long v = readVarLong();
        return (v >>> 1) ^ -(v & 1);
    }

    public int readZigZagInt() {
        long v = readZigZag();
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw corrupt("int value out of range: " + v);
        }
        return (int) v;
    }

    /** Reads a count of items that each take at least {@code minBytesEach} bytes; bounded by the input. */
    public int readCount(int minBytesEach) {
        long n = readVarLong();
        if (n < 0 || n > (long) remaining() / Math.max(1, minBytesEach)) {
            throw corrupt("count " + n + " exceeds what " + remaining() + " remaining bytes can hold");
        }
        return (int) n;
    }

    public long readFixedLong() {
        if (remaining() < 8) {
            throw corrupt("truncated");
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    public byte[] readBytes() {
        int n = readCount(1);
        byte[] b = new byte[n];
        System.arraycopy(buf, pos, b, 0, n);
        pos += n;
        return b;
    }

    public String readString() {
        int n = readCount(1);
        int start = pos;
        boolean ascii = true;
        for (int i = start; i < start + n; i++) {
            if (buf[i] < 0) {
                ascii = false;
                break;
            }
        }
        pos += n;
        if (ascii) {
            return new String(buf, start, n, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, start, n)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt("malformed UTF-8 in a string");
        }
    }

    /**
     * Reads a string that is likely to repeat across records (an attribute name), returning the JVM's
     * one interned instance for the usual short ASCII names ({@link Names#name}), so that decoded
     * records share their names instead of each holding copies.
     */
    public String readName() {
        int mark = pos;
        int n = readCount(1);
        int start = pos;
        String known = Names.name(buf, start, n);
        if (known != null) {
            pos = start + n;
            return known;
        }
        pos = mark;
        return readString();
    }

    public AtomPointer readPointer() {
        return new AtomPointer(readZigZag(), readZigZag());
    }

    /** Reads one tagged value. */
    public Object readValue() {
        return readValue(readByte());
    }

    /** Reads the value of a tag already consumed. */
    public Object readValue(byte tag) {
        switch (tag) {
            case Tags.NULL:
                return null;
            case Tags.FALSE:
                return Boolean.FALSE;
            case Tags.TRUE:
                return Boolean.TRUE;
            case Tags.INT:
                return readZigZagInt();
            case Tags.LONG:
                return readZigZag();
            case Tags.DOUBLE:
                return Double.longBitsToDouble(readFixedLong());
            case Tags.BIG_DECIMAL: {
                int scale = readZigZagInt();
                byte[] unscaled = readBytes();
                if (unscaled.length == 0) {
                    throw corrupt("empty BigDecimal");
                }
                return new BigDecimal(new BigInteger(unscaled), scale);
            }
            case Tags.BIG_INTEGER: {
                byte[] b = readBytes();
                if (b.length == 0) {
                    throw corrupt("empty BigInteger");
                }
                return new BigInteger(b);
            }
            case Tags.STRING:
                return readString();
            case Tags.BYTES:
                return readBytes();
            case Tags.UUID:
                return new UUID(readFixedLong(), readFixedLong());
            case Tags.INSTANT: {
                long seconds = readZigZag();
                long nanos = readVarLong();
                checkNanos(nanos);
                try {
                    return Instant.ofEpochSecond(seconds, nanos);
                } catch (DateTimeException | ArithmeticException e) {
                    throw corrupt("instant out of range");
                }
            }
            case Tags.LOCAL_DATE:
                return localDate(readZigZag());
            case Tags.LOCAL_DATE_TIME: {
                LocalDate d = localDate(readZigZag());
                long nanoOfDay = readVarLong();
                if (nanoOfDay < 0 || nanoOfDay >= 86_400_000_000_000L) {
                    throw corrupt("time of day out of range");
                }
                return LocalDateTime.of(d, LocalTime.ofNanoOfDay(nanoOfDay));
            }
            case Tags.DURATION: {
                long seconds = readZigZag();
                long nanos = readVarLong();
                checkNanos(nanos);
                try {
                    return Duration.ofSeconds(seconds, nanos);
                } catch (ArithmeticException e) {
                    throw corrupt("duration out of range");
                }
            }
            case Tags.ENUM:
                return readEnum();
            case Tags.POINTER:
                return readPointer();
            case Tags.LIST: {
                enter();
                int n = readCount(1);
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(readValue());
                }
                depth--;
                return Collections.unmodifiableList(list);
            }
            default:
                if (extension == null) {
                    throw corrupt("unknown value tag " + tag);
                }
                enter();
                Object v = extension.read(this, tag);
                depth--;
                return v;
        }
    }

    private void checkNanos(long nanos) {
        if (nanos < 0 || nanos > 999_999_999L) {
            throw corrupt("nanoseconds out of range");
        }
    }

    private LocalDate localDate(long epochDay) {
        try {
            return LocalDate.ofEpochDay(epochDay);
        } catch (DateTimeException e) {
            throw corrupt("date out of range");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Object readEnum() {
        String type = readString();
        String name = readString();
        Class<? extends Enum<?>> cls = extension == null ? null : extension.enumType(type);
        if (cls != null) {
            for (Enum<?> constant : cls.getEnumConstants()) {
                if (constant.name().equals(name)) {
                    return constant;
                }
            }
        }
        return new EnumValue(type, name);
    }

    private void enter() {
        if (++depth > Tags.MAX_DEPTH) {
            throw corrupt("values nest deeper than " + Tags.MAX_DEPTH);
        }
    }

    /** Builds the exception for malformed input, naming the atom and the offset. */
    public CorruptionException corrupt(String what) {
        return new CorruptionException("Corrupt " + (source == null ? "atom" : source) + " at byte " + pos + ": "
                + what);
    }
}
