package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;

/**
 * A leaf value not decoded yet: where it lies in its node's atom. A node read from storage decodes
 * its keys (a lookup searches them) but only finds where each value starts, so a point read builds
 * one record instead of all sixty-four of a leaf. The value is decoded when first read
 * ({@link Node#value}); saving a copy of the node writes its bytes back unchanged.
 */
final class EncodedValue {

    final AtomStore store;
    final byte[] atom;
    final int start;
    final int end;
    final Object source;

    EncodedValue(AtomStore store, byte[] atom, int start, int end, Object source) {
        this.store = store;
        this.atom = atom;
        this.start = start;
        this.end = end;
        this.source = source;
    }

    Object decode() {
        AtomReader r = store.reader(atom, source).seek(start);
        try {
            Object v = r.readValue();
            if (r.position() != end) {
                throw r.corrupt("a leaf value ends at byte " + r.position() + ", its entry at byte " + end);
            }
            return v;
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + source + ": " + e, e);
        }
    }
}
