package io.protobase.collection;

import io.protobase.codec.EnumValue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.UUID;

/**
 * Estimates how many bytes a node's entries encode to, without encoding them, so a node can split by
 * size ({@link Node#MAX_BYTES}) as well as by count. An estimate, not the encoding: strings count one
 * byte per character, varints their widest form for the type. A value above
 * {@link TreeStore#INLINE_LIMIT} counts as the reference that replaces it, and every walk stops once
 * it passes the bound that matters, so estimating a huge value costs no more than a small one.
 */
final class NodeSize {

    /** The size of an out-of-line reference with one chunk: tag, depth, length, count, pointer. */
    static final int REFERENCE = 24;
    /** Count and child pointer of an internal node's entry. */
    private static final int CHILD = 16;

    private NodeSize() {
    }

    /** The estimated encoded size of {@code n}, remembered in the node until an edit invalidates it. */
    static int of(Node n) {
        int b = n.bytes;
        if (b < 0) {
            b = 4;
            for (int i = 0; i < n.size; i++) {
                b += entry(n, i);
            }
            n.bytes = b;
        }
        return b;
    }

    /** The estimated encoded size of entry {@code i} of {@code n}. */
    static int entry(Node n, int i) {
        int b = n.keys == null || (!n.leaf && i == 0) ? 0 : key(n.keys[i]);
        if (!n.leaf) {
            return b + CHILD;
        }
        return n.vals == null ? b : b + value(n.vals[i]);
    }

    /** A stored value as it will be written in a leaf or record: inline, or as a reference when large. */
    static int value(Object v) {
        int b = estimate(v, TreeStore.INLINE_LIMIT + 1);
        return b > TreeStore.INLINE_LIMIT ? REFERENCE : b;
    }

    private static int key(Object k) {
        if (k instanceof HashedKey h) {
            return 8 + estimate(h.value(), Node.MAX_BYTES + 1);
        }
        if (k instanceof PairKey p) {
            return 8 + estimate(p.key(), Node.MAX_BYTES + 1) + estimate(p.value(), Node.MAX_BYTES + 1);
        }
        return estimate(k, Node.MAX_BYTES + 1);
    }

    /**
     * The estimated size of record {@code o}, or some number of at least {@code cap} once it reaches that.
     * A complete estimate is remembered in the record: a node that splits estimates its entries again.
     */
    private static int record(DbObject o, int cap) {
        int known = o.knownSize();
        if (known >= 0) {
            return known;
        }
        int b = 6;
        int count = o.count();
        int i = 0;
        for (; i < count && b < cap; i++) {
            b += 1 + o.nameAt(i).length() + value(o.valueAt(i));
        }
        if (i == count) {
            o.knownSize(b);
        }
        return b;
    }

    /** The estimated size of {@code v} inline, or some number of at least {@code cap} once it reaches that. */
    private static int estimate(Object v, int cap) {
        if (v == null || v instanceof Boolean) {
            return 1;
        }
        if (v instanceof Integer) {
            return 6;
        }
        if (v instanceof Long || v instanceof Double) {
            return 10;
        }
        if (v instanceof String s) {
            return 6 + s.length();
        }
        if (v instanceof byte[] b) {
            return 6 + b.length;
        }
        if (v instanceof EncodedValue e) {
            return e.end - e.start;
        }
        if (v instanceof UUID) {
            return 17;
        }
        if (v instanceof BigInteger i) {
            return 6 + i.bitLength() / 8;
        }
        if (v instanceof BigDecimal d) {
            return 11 + d.unscaledValue().bitLength() / 8;
        }
        if (v instanceof Enum<?> e) {
            return 11 + e.getDeclaringClass().getName().length() + e.name().length();
        }
        if (v instanceof EnumValue e) {
            return 11 + e.type().length() + e.name().length();
        }
        if (v instanceof DbObject o) {
            return record(o, cap);
        }
        if (v instanceof List<?> list) {
            int b = 6;
            for (int i = 0; i < list.size() && b < cap; i++) {
                b += estimate(list.get(i), cap - b);
            }
            return b;
        }
        // collections (a header and a root pointer), temporal values, pointers
        return 24;
    }
}
