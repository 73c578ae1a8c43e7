package io.protobase.collection;

import io.protobase.UnsupportedValueException;
import io.protobase.codec.EnumValue;
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

    /** Returns {@code v} ready to store (lists and arrays copied), or throws if it cannot be stored. */
    static Object storable(Object v) {
        if (v == null || v instanceof String || v instanceof Integer || v instanceof Long || v instanceof Boolean
                || v instanceof Double || v instanceof BigDecimal || v instanceof BigInteger || v instanceof UUID
                || v instanceof Instant || v instanceof LocalDate || v instanceof LocalDateTime
                || v instanceof Duration || v instanceof Enum<?> || v instanceof EnumValue
                || v instanceof DbObject || v instanceof AtomPointer) {
            return v;
        }
        if (v instanceof ProtoCollection c) {
            return detachedFromRoot(c);
        }
        if (v instanceof byte[] b) {
            return b.clone();
        }
        if (v instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object o : list) {
                copy.add(storable(o));
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
