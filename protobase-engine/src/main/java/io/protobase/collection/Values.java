package io.protobase.collection;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.EnumValue;
import io.protobase.codec.Tags;
import io.protobase.codec.ValueOrder;
import io.protobase.storage.AtomPointer;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/** Checks and copies values on their way into a collection, and compares stored values. */
final class Values {

    private Values() {
    }

    /**
     * How deep a stored value may nest: each {@code List}, {@code DbObject}, {@code Dictionary},
     * {@code HashDictionary} and {@code ProtoList} around a value is one level. The same bound as one
     * atom's ({@link Tags#MAX_DEPTH}), so whatever passes here also encodes.
     *
     * <p>The bound is enforced where a value is built or stored, before anything walks it: records
     * and value collections carry their depth, so nothing deeper can exist, and every walk of stored
     * values (copying, saving, encoding, hashing, ordering, equality) recurses at most this deep.
     */
    static final int MAX_DEPTH = Tags.MAX_DEPTH;

    /** Returns {@code v} ready to store (lists and arrays copied), or throws if it cannot be stored. */
    static Object storable(Object v) {
        return storable(v, 0);
    }

    /** {@link #storable(Object)} of a value inside {@code enclosing} lists of the value being copied. */
    private static Object storable(Object v, int enclosing) {
        if (v == null || v instanceof String || v instanceof Integer || v instanceof Long || v instanceof Boolean
                || v instanceof Double || v instanceof BigDecimal || v instanceof BigInteger || v instanceof UUID
                || v instanceof Instant || v instanceof LocalDate || v instanceof LocalDateTime
                || v instanceof Duration || v instanceof Enum<?> || v instanceof EnumValue
                || v instanceof AtomPointer) {
            return v;
        }
        if (v instanceof DbObject o) {
            requireWithinLimit(enclosing + o.depth(), "a List");
            return v;
        }
        if (v instanceof ProtoCollection c) {
            ProtoCollection d = detachedFromRoot(c);
            requireWithinLimit(enclosing + depth(d), "a List");
            return d;
        }
        if (v instanceof byte[] b) {
            return b.clone();
        }
        if (v instanceof List<?> list) {
            // checked before looking inside: the copy never recurses deeper than the limit
            requireWithinLimit(enclosing + 1, "a List");
            List<Object> copy = new ArrayList<>(list.size());
            for (Object o : list) {
                copy.add(storable(o, enclosing + 1));
            }
            return Collections.unmodifiableList(copy);
        }
        throw new UnsupportedValueException("Cannot store a value of type " + v.getClass().getName()
                + ": supported are null, Boolean, Integer, Long, Double, BigDecimal, BigInteger, String, byte[], "
                + "UUID, Instant, LocalDate, LocalDateTime, Duration, enums, java.util.List of those, DbObject and "
                + "the ProtoBase collections (convert Float, Short, Byte, Character to Double or Integer, "
                + "and Maps to a DbObject or Dictionary)");
    }

    /**
     * The levels of nesting of a value already made {@link #storable}: 0 for a scalar, one more than
     * its deepest element for a list, the carried depth of a record or collection. A collection
     * whose tree is saved counts as one level (two with secondary indexes, which are written inside
     * its header): saving it again visits none of its values. Recurses only into lists, which
     * {@link #storable} has bounded.
     */
    static int depth(Object v) {
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
            return 0;
        }
        if (v instanceof DbObject o) {
            return o.depth();
        }
        if (v instanceof EncodedValue e) {
            return e.depth();
        }
        if (v instanceof ProtoCollection c) {
            return c.indexes.isEmpty() ? c.depthNow() : Math.max(c.depthNow(), 2);
        }
        if (v instanceof List<?> list) {
            int deepest = 0;
            for (Object o : list) {
                deepest = Math.max(deepest, depth(o));
            }
            return 1 + deepest;
        }
        return 0;
    }

    /**
     * The depth of a container holding {@code v} (already storable) as one of its values: one more
     * than {@code v}'s. Throws if that exceeds {@link #MAX_DEPTH}; {@code what} names {@code v}'s place.
     */
    static int depthAround(Object v, String what) {
        int d = 1 + depth(v);
        requireWithinLimit(d, what);
        return d;
    }

    private static void requireWithinLimit(int depth, String what) {
        if (depth > MAX_DEPTH) {
            throw new UnsupportedValueException("Cannot store " + what + ": it would nest more than " + MAX_DEPTH
                    + " levels deep (each List, DbObject, Dictionary, HashDictionary and ProtoList inside another "
                    + "is one level); flatten the structure, or store the inner part under a key of its own and "
                    + "keep that key instead");
        }
    }

    /**
     * A collection read from a transaction root and stored somewhere else (as a value, or under
     * another root) carries the whole root's content with it: the transaction now depends on all of
     * it, so the root's access log records a whole read, and the copy is stored untracked.
     */
    static ProtoCollection detachedFromRoot(ProtoCollection c) {
        if (c.lineage == null) {
            return c;
        }
        c.lineage.log().readAll();
        return c.withLineage(null);
    }

    /** A stored value as handed to the application: byte arrays are copied, so callers cannot alter shared nodes. */
    static Object exposed(Object v) {
        return v instanceof byte[] b ? b.clone() : v;
    }

    /** Returns {@code k} ready to be a key, or throws if it cannot be ordered. */
    static Object key(Object k) {
        Object v = storable(k);
        ValueOrder.requireOrderable(v);
        return v;
    }

    /**
     * Orders two values that {@link ValueOrder} calls equal by their exact form, so that what was
     * stored is what comes back: numbers by type (Integer, Long, BigInteger, Double, BigDecimal), then
     * doubles by {@link Double#compare} ({@code -0.0} before {@code 0.0}) and decimals by scale
     * ({@code 1.0} before {@code 1.00}); lists element by element and records attribute by attribute.
     * Other values equal in that order are equal here too: strings, byte arrays, UUIDs and temporals
     * have one form each, and an enum constant and the by-name form it reads back as without its
     * class are one value, whichever of the two a node holds.
     */
    static int compareExact(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            int c = Integer.compare(numberType(x), numberType(y));
            if (c != 0) {
                return c;
            }
            if (x instanceof Double dx) {
                return Double.compare(dx, (Double) y);
            }
            return x instanceof BigDecimal bx ? Integer.compare(bx.scale(), ((BigDecimal) y).scale()) : 0;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                int c = compareExact(x.get(i), y.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        }
        if (a instanceof DbObject x && b instanceof DbObject y) {
            for (int i = 0; i < Math.min(x.count(), y.count()); i++) {
                int c = compareExact(x.value(i), y.value(i));
                if (c != 0) {
                    return c;
                }
            }
        }
        return 0;
    }

    private static int numberType(Number n) {
        return n instanceof Integer ? 0 : n instanceof Long ? 1 : n instanceof BigInteger ? 2
                : n instanceof Double ? 3 : 4;
    }

    /**
     * Whether two stored values are the same: scalars by type and equality, byte arrays and lists by
     * content, records by attributes, collections by tree identity (no scan). May answer "different"
     * for equal collections built separately, never "same" for different ones.
     */
    static boolean same(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof ProtoCollection ca && b instanceof ProtoCollection cb) {
            return ca.getClass() == cb.getClass() && ca.tree.sameAs(cb.tree) && ca.sameExtras(cb)
                    && ca.indexes.sameAs(cb.indexes);
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.getClass() == b.getClass() && a.equals(b);
    }
}
