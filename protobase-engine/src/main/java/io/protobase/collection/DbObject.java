package io.protobase.collection;

import io.protobase.index.FieldPath;
import io.protobase.index.FieldSource;
import io.protobase.codec.StableHash;
import io.protobase.codec.StructuredValue;
import io.protobase.codec.ValueOrder;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable record of named attributes, the unit of user data. {@link #with} returns a new record
 * and leaves this one unchanged. A missing attribute reads as {@code null}, and storing {@code null}
 * removes the attribute, so the two are indistinguishable by design.
 *
 * <p>Attribute values are any storable value, including collections (stored by reference to their
 * tree) and nested records (stored inline). Records are encoded inline in the node or root that holds
 * them. Two records are equal when their attributes are: scalars by type and value, collections by
 * identity of their stored tree.
 *
 * <p>A record nests at most 100 levels deep (lists, records and value collections inside one
 * another): a record that would be deeper is refused when it is built, with
 * {@link io.protobase.UnsupportedValueException}, so every walk of a record is shallow.
 *
 * <pre>{@code
 * DbObject item = DbObject.of("id", 1, "name", "Item 1");
 * DbObject renamed = item.with("name", "First item");
 * }</pre>
 */
public final class DbObject implements StructuredValue, FieldSource {

    private static final DbObject EMPTY = new DbObject(new String[0], new Object[0]);

    private final String[] names;
    private final Object[] values;
    /**
     * Two numbers remembered once computed, in one field so the record stays as small as before. The low
     * {@value #DEPTH_BITS} bits: levels of nesting, this record included ({@link Values#depth}); 0 until
     * computed for a record decoded from an atom, whose nesting the decoder has bounded. The bits above:
     * {@link NodeSize}'s estimate of the record's encoded size plus one, 0 until estimated (and for estimates
     * too large to remember). Each part is either unknown or right, and computing one again gives the same
     * value, so a race between threads that each set one part at most loses a part, to be computed again.
     */
    private int known;
    private static final int DEPTH_BITS = 8;
    private static final int DEPTH_MASK = (1 << DEPTH_BITS) - 1;
    /** The largest estimate remembered (plus one, it must fit in the bits above the depth). */
    static final int MAX_KNOWN_SIZE = (Integer.MAX_VALUE >>> DEPTH_BITS) - 1;

    /** A record of attributes already checked by the caller, or decoded; its depth is computed when needed. */
    DbObject(String[] names, Object[] values) {
        this(names, values, 0);
    }

    private DbObject(String[] names, Object[] values, int depth) {
        this.names = names;
        this.values = values;
        this.known = depth;
    }

    /** A new record of storable values, refused if it would nest too deep. */
    private static DbObject checked(String[] names, Object[] values) {
        int depth = 1;
        for (int i = 0; i < values.length; i++) {
            depth = Math.max(depth, Values.depthAround(values[i], "the DbObject attribute '" + names[i] + "'"));
        }
        return new DbObject(names, values, depth);
    }

    /** The record without attributes. */
    public static DbObject empty() {
        return EMPTY;
    }

    /** A record from alternating names and values: {@code of("id", 1, "name", "x")}. */
    public static DbObject of(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("DbObject.of takes name/value pairs; got an odd number of arguments");
        }
        TreeMap<String, Object> map = new TreeMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (!(namesAndValues[i] instanceof String name)) {
                throw new IllegalArgumentException("attribute names must be Strings, got " + namesAndValues[i]);
            }
            map.put(name, namesAndValues[i + 1]);
        }
        return from(map);
    }

    /** A record with the entries of a map ({@code null} values are skipped). */
    public static DbObject from(Map<String, ?> attributes) {
        TreeMap<String, Object> sorted = new TreeMap<>();
        attributes.forEach((k, v) -> {
            Objects.requireNonNull(k, "attribute name");
            if (v != null) {
                sorted.put(k, Values.storable(v));
            }
        });
        return checked(sorted.keySet().toArray(new String[0]), sorted.values().toArray());
    }

    /**
     * A record of the attributes {@code names[i] = values[i]} ({@code null} values are skipped), for
     * callers that produce attributes in bulk: when the names come in ascending order, as a mapper
     * with a fixed attribute list can arrange, no map or sort is needed. The arrays are not kept.
     *
     * @throws IllegalArgumentException if the arrays differ in length or a name is null or repeated
     */
    public static DbObject from(String[] names, Object[] values) {
        if (names.length != values.length) {
            throw new IllegalArgumentException("DbObject.from takes as many values as names; got " + names.length
                    + " names and " + values.length + " values");
        }
        int n = 0;
        boolean ascending = true;
        String last = null;
        for (int i = 0; i < names.length; i++) {
            Objects.requireNonNull(names[i], "attribute name");
            if (values[i] != null) {
                ascending &= last == null || last.compareTo(names[i]) < 0;
                last = names[i];
                n++;
            }
        }
        if (!ascending) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (int i = 0; i < names.length; i++) {
                if (values[i] != null && sorted.put(names[i], values[i]) != null) {
                    throw new IllegalArgumentException("attribute '" + names[i] + "' given twice");
                }
            }
            return from(sorted);
        }
        String[] nn = new String[n];
        Object[] nv = new Object[n];
        for (int i = 0, j = 0; i < names.length; i++) {
            if (values[i] != null) {
                nn[j] = names[i];
                nv[j++] = Values.storable(values[i]);
            }
        }
        return checked(nn, nv);
    }

    /**
     * The attribute's index, or {@code -(insertion point) - 1}. Decoded records hold the interned names
     * ({@link io.protobase.codec.Names}), as string literals are, so a lookup by a literal usually finds its
     * attribute by identity among the few a record has, without comparing characters.
     */
    private int indexOf(String name) {
        String[] ns = names;
        if (ns.length <= IDENTITY_SCAN) {
            for (int i = 0; i < ns.length; i++) {
                if (ns[i] == name) {
                    return i;
                }
            }
        }
        return Arrays.binarySearch(ns, name);
    }

    /** Up to this many attributes a lookup first looks for the very name instance. */
    private static final int IDENTITY_SCAN = 8;

    /** The attribute's value, or {@code null} when absent. */
    public Object getAt(String name) {
        int i = indexOf(name);
        return i >= 0 ? Values.exposed(value(i)) : null;
    }

    /** The attribute's value cast to {@code type}, or {@code null} when absent. */
    public <T> T getAt(String name, Class<T> type) {
        return type.cast(getAt(name));
    }

    /** The attribute's value, or {@link FieldPath#ABSENT} when absent (a record stores no nulls). */
    @Override
    public Object fieldOrAbsent(String name) {
        int i = indexOf(name);
        return i >= 0 ? Values.exposed(value(i)) : FieldPath.ABSENT;
    }

    /** Whether the attribute is present. */
    public boolean has(String name) {
        return indexOf(name) >= 0;
    }

    /** A record equal to this one except for one attribute ({@code null} removes it). */
    public DbObject with(String name, Object value) {
        Objects.requireNonNull(name, "attribute name");
        if (value == null) {
            return without(name);
        }
        Object v = Values.storable(value);
        int around = Values.depthAround(v, "the DbObject attribute '" + name + "'");
        int i = indexOf(name);
        if (i >= 0) {
            if (values[i] == v) {
                return this;
            }
            Object[] nv = values.clone();
            nv[i] = v;
            // the old value may have been the deepest: then only a recount tells the new depth
            boolean wasDeepest = 1 + Values.depth(values[i]) >= depth();
            int d = around >= depth() ? around : wasDeepest ? 0 : depth();
            return new DbObject(names, nv, d);
        }
        int ins = -i - 1;
        String[] nn = new String[names.length + 1];
        Object[] nv = new Object[values.length + 1];
        System.arraycopy(names, 0, nn, 0, ins);
        System.arraycopy(values, 0, nv, 0, ins);
        nn[ins] = name;
        nv[ins] = v;
        System.arraycopy(names, ins, nn, ins + 1, names.length - ins);
        System.arraycopy(values, ins, nv, ins + 1, values.length - ins);
        return new DbObject(nn, nv, Math.max(depth(), around));
    }

    /** A record without the attribute. */
    public DbObject without(String name) {
        int i = indexOf(name);
        if (i < 0) {
            return this;
        }
        String[] nn = new String[names.length - 1];
        Object[] nv = new Object[values.length - 1];
        System.arraycopy(names, 0, nn, 0, i);
        System.arraycopy(values, 0, nv, 0, i);
        System.arraycopy(names, i + 1, nn, i, names.length - i - 1);
        System.arraycopy(values, i + 1, nv, i, values.length - i - 1);
        boolean wasDeepest = 1 + Values.depth(values[i]) >= depth();
        return new DbObject(nn, nv, wasDeepest ? 0 : depth());
    }

    /** The number of attributes. */
    public int count() {
        return names.length;
    }

    /** The attribute names in ascending order. */
    public List<String> names() {
        return Collections.unmodifiableList(Arrays.asList(names));
    }

    /** A read-only map view, in name order. */
    public Map<String, Object> asMap() {
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            map.put(names[i], Values.exposed(value(i)));
        }
        return Collections.unmodifiableMap(map);
    }

    /** The attributes as entries, in name order. */
    public Set<Map.Entry<String, Object>> entries() {
        return asMap().entrySet();
    }

    /** Levels of nesting, this record included: 1 for a record of scalars. */
    int depth() {
        int k = known;
        int d = k & DEPTH_MASK;
        if (d == 0) {
            d = 1;
            for (Object v : values) {
                d = Math.max(d, 1 + Values.depth(v));
            }
            known = (k & ~DEPTH_MASK) | d;
        }
        return d;
    }

    /** {@link NodeSize}'s remembered estimate of this record's encoded size, or -1 when not remembered. */
    int knownSize() {
        return (known >>> DEPTH_BITS) - 1;
    }

    /** Remembers {@code size}, the complete (not capped) estimate of this record, if it is small enough. */
    void knownSize(int size) {
        if (size >= 0 && size <= MAX_KNOWN_SIZE) {
            known = (known & DEPTH_MASK) | ((size + 1) << DEPTH_BITS);
        }
    }

    String nameAt(int i) {
        return names[i];
    }

    /**
     * Attribute {@code i} as stored: a large attribute of a record read from storage is an
     * {@link EncodedValue} referring to its own atoms, so writing the record again copies the reference
     * instead of loading and rewriting the value.
     */
    Object valueAt(int i) {
        return values[i];
    }

    /**
     * This record with attribute {@code i} replaced by another form of the same stored value (a
     * collection re-rooted at its pointer, a reference to a value stored out of line): nothing to check.
     */
    DbObject withStoredAt(int i, Object stored) {
        Object[] nv = values.clone();
        nv[i] = stored;
        return new DbObject(names, nv, known & DEPTH_MASK);
    }

    /** Attribute {@code i} as the application sees it: a value stored out of line is loaded (through the cache). */
    Object value(int i) {
        return EncodedValue.resolved(values[i]);
    }

    @Override
    public int compareStructured(StructuredValue other) {
        DbObject o = (DbObject) other;
        int n = Math.min(names.length, o.names.length);
        for (int i = 0; i < n; i++) {
            int c = names[i].compareTo(o.names[i]);
            if (c != 0) {
                return c;
            }
            c = ValueOrder.INSTANCE.compare(value(i), o.value(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(names.length, o.names.length);
    }

    @Override
    public void hashInto(StableHash.Hasher hasher) {
        hasher.word(names.length);
        for (int i = 0; i < names.length; i++) {
            hasher.string(names[i]);
            hasher.value(value(i));
        }
    }

    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof DbObject o) || !Arrays.equals(names, o.names)) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] != o.values[i] && !Values.same(value(i), o.value(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Arrays.hashCode(names);
        for (int i = 0; i < values.length; i++) {
            Object v = value(i);
            h = 31 * h + (v == null || v instanceof ProtoCollection ? 0
                    : v instanceof byte[] b ? Arrays.hashCode(b) : v.hashCode());
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DbObject{");
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(names[i]).append('=');
            Object v = value(i);
            sb.append(v instanceof byte[] b ? "byte[" + b.length + "]" : String.valueOf(v));
        }
        return sb.append('}').toString();
    }

    static Map.Entry<Object, Object> entry(Object k, Object v) {
        return new AbstractMap.SimpleImmutableEntry<>(Values.exposed(k), Values.exposed(v));
    }
}
