package io.protobase.collection.internal;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.OutOfLineReference;
import io.protobase.codec.Tags;
import io.protobase.storage.AtomPointer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reading and writing the chunks of a value stored out of line ({@link OutOfLineReference}): the one
 * place that knows how a value's encoding is cut into chunk atoms and put back together, shared by
 * the store that encodes values and by the graph walks of compaction and backup.
 */
public final class OutOfLineValues {

    /** Bytes before the value in {@link #record}: format version and atom kind. */
    public static final int RECORD_HEADER = 2;

    private OutOfLineValues() {
    }

    /**
     * The value's encoding read from its chunks behind a record header, so that it decodes, and scans,
     * like a record atom of the format that has chunks; checked to be exactly as long as the reference
     * announces.
     *
     * @param holder names the atom holding the reference, in error messages
     */
    public static byte[] record(OutOfLineReference reference, Object holder, Function<AtomPointer, byte[]> reader) {
        byte[] record = new byte[reference.length() + RECORD_HEADER];
        record[0] = Tags.OUT_OF_LINE_VERSION;
        record[1] = Tags.ATOM_RECORD;
        int at = RECORD_HEADER;
        for (AtomPointer p : reference.chunks()) {
            byte[] chunk = reader.apply(p);
            int payload = AtomReader.chunkPayloadStart(chunk, p);
            int len = chunk.length - payload;
            if (len == 0 || len > record.length - at) {
                throw new CorruptionException("Corrupt " + holder + ": chunk " + p + " of its out-of-line value holds "
                        + len + " bytes, " + (record.length - at) + " remained of the " + reference.length()
                        + " the reference announces");
            }
            System.arraycopy(chunk, payload, record, at, len);
            at += len;
        }
        if (at != record.length) {
            throw new CorruptionException("Corrupt " + holder + ": the chunks of its out-of-line value hold "
                    + (at - RECORD_HEADER) + " bytes, the reference announces " + reference.length());
        }
        return record;
    }

    /**
     * Pushes bytes {@code [off, off + len)} of {@code encoding}, a value's encoding, as chunk atoms of
     * at most {@link Tags#MAX_CHUNK_BYTES} each, and returns the reference to write in its place.
     */
    public static OutOfLineReference push(byte[] encoding, int off, int len, int depth,
                                          Function<byte[], AtomPointer> pusher) {
        List<AtomPointer> chunks = new ArrayList<>(len / Tags.MAX_CHUNK_BYTES + 1);
        for (int at = 0; at < len; at += Tags.MAX_CHUNK_BYTES) {
            chunks.add(pusher.apply(AtomWriter.chunkAtom(encoding, off + at,
                    Math.min(Tags.MAX_CHUNK_BYTES, len - at))));
        }
        return new OutOfLineReference(depth, len, chunks);
    }

    /**
     * The size of chunk atom {@code i} of {@code reference} as {@link #push} writes it, known without
     * reading it.
     */
    public static int chunkAtomBytes(OutOfLineReference reference, int i) {
        long payload = Math.min(Tags.MAX_CHUNK_BYTES, reference.length() - (long) i * Tags.MAX_CHUNK_BYTES);
        return (int) Math.max(1, payload) + RECORD_HEADER;
    }

    /**
     * Whether the value may hold references to other atoms. A value of nesting depth 0 is a scalar
     * (a string, a number, bytes): a pointer or collection root is a small value that never goes out
     * of line on its own, so its chunks need not be read to find references.
     */
    public static boolean mayHoldReferences(OutOfLineReference reference) {
        return reference.depth() > 0;
    }
}
