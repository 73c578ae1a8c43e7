package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.Tags;

/**
 * A value not decoded yet: where it lies in an atom. A node read from storage decodes its keys (a
 * lookup searches them) but only finds where each value starts, so a point read builds one record
 * instead of all sixty-four of a leaf. The value is decoded when first read ({@link Node#value});
 * saving a copy of the node writes its bytes back unchanged.
 *
 * <p>When the bytes are an {@link Tags#OUT_OF_LINE} reference, the value lives in chunk atoms of its
 * own: decoding loads it through the store's atom cache, and the holder (a leaf slot or a record
 * attribute) keeps this reference rather than the value, so the value's bytes are held by the cache,
 * which weighs them, and by nothing that outlives a read.
 */
final class EncodedValue {

    final ValueCodec codec;
    final byte[] atom;
    final int start;
    final int end;
    final Object source;

    EncodedValue(ValueCodec codec, byte[] atom, int start, int end, Object source) {
        this.codec = codec;
        this.atom = atom;
        this.start = start;
        this.end = end;
        this.source = source;
    }

    /** Whether the bytes are a reference to a value stored out of line. */
    boolean outOfLine() {
        return atom[start] == Tags.OUT_OF_LINE;
    }

    /** The nesting depth of the value ({@link Values#depth}); read from the reference when out of line. */
    int depth() {
        if (!outOfLine()) {
            return Values.depth(decode());
        }
        AtomReader r = codec.reader(atom, source).seek(start + 1);
        return r.readOutOfLine().depth();
    }

    Object decode() {
        AtomReader r = codec.reader(atom, source).seek(start);
        try {
            Object v = r.readValue();
            if (r.position() != end) {
                throw r.corrupt("a value ends at byte " + r.position() + ", its entry at byte " + end);
            }
            return v;
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + source + ": " + e, e);
        }
    }

    /** {@code v}, decoded if it is an encoded value. */
    static Object resolved(Object v) {
        return v instanceof EncodedValue e ? e.decode() : v;
    }
}
