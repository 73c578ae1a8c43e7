package io.protobase.index;

import io.protobase.codec.ValueOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * How a secondary index finds the keys of a record: a {@link FieldPath} (persisted with the
 * collection, so the index keeps working after a reload) or a named extractor function (the name
 * is persisted; the function must be registered again under that name with the object space before
 * a reloaded collection with the index is changed).
 *
 * <p>A record has no key, one key, or (multi-valued extractors returning an {@link Iterable} or an
 * array) several; {@code null} and {@link FieldPath#ABSENT} are never indexed, and keys equal under
 * {@link ValueOrder} count once per record.
 */
public final class IndexDefinition {

    private final String name;
    private final FieldPath path;
    private final Function<Object, ?> extractor;

    private IndexDefinition(String name, FieldPath path, Function<Object, ?> extractor) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("An index needs a non-blank name");
        }
        this.name = name;
        this.path = path;
        this.extractor = extractor;
    }

    /** An index on a dotted field path, named after the path. */
    public static IndexDefinition onField(String path) {
        return new IndexDefinition(path, FieldPath.of(path), null);
    }

    /** An index on a dotted field path under another name. */
    public static IndexDefinition onField(String name, String path) {
        return new IndexDefinition(name, FieldPath.of(path), null);
    }

    /**
     * An index whose keys {@code extractor} computes: one value, or an {@code Iterable}/array of
     * values for a multi-valued index. Queries use it only when asked for by name, never for a lambda.
     */
    public static IndexDefinition byExtractor(String name, Function<Object, ?> extractor) {
        return new IndexDefinition(name, null, Objects.requireNonNull(extractor, "extractor"));
    }

    /** A definition read from storage: a path index, or an extractor index whose function is {@code null} until resolved. */
    static IndexDefinition restored(String name, String path, Function<Object, ?> extractor) {
        return new IndexDefinition(name, path == null ? null : FieldPath.of(path), extractor);
    }

    /** The index name, unique within its collection. */
    public String name() {
        return name;
    }

    /** The field path of a path index. */
    public Optional<FieldPath> path() {
        return Optional.ofNullable(path);
    }

    /** Whether the keys come from a named extractor function rather than a path. */
    public boolean isExtractor() {
        return path == null;
    }

    /** The extractor function, if this is an extractor index and the function is known. */
    public Optional<Function<Object, ?>> extractor() {
        return Optional.ofNullable(extractor);
    }

    /** The same definition with its extractor function supplied. */
    public IndexDefinition withExtractor(Function<Object, ?> function) {
        if (path != null) {
            throw new IllegalStateException("Index '" + name + "' is on the path " + path + ", not an extractor");
        }
        return new IndexDefinition(name, null, Objects.requireNonNull(function, "function"));
    }

    /** The distinct, non-null keys of {@code record} in {@link ValueOrder}. */
    public List<Object> keysOf(Object record) {
        Object raw;
        if (path != null) {
            raw = path.extract(record);
        } else if (extractor != null) {
            raw = extractor.apply(record);
        } else {
            throw new IllegalStateException("Index '" + name + "' uses an extractor function that is not registered "
                    + "in this object space; register it under that name before changing the collection");
        }
        if (raw == null || raw == FieldPath.ABSENT) {
            return List.of();
        }
        if (path == null && (raw instanceof Iterable<?> || raw instanceof Object[])) {
            TreeSet<Object> keys = new TreeSet<>(ValueOrder.INSTANCE);
            Iterable<?> values = raw instanceof Object[] a ? List.of(a) : (Iterable<?>) raw;
            for (Object v : values) {
                if (v != null && v != FieldPath.ABSENT) {
                    ValueOrder.requireOrderable(v);
                    keys.add(v);
                }
            }
            return new ArrayList<>(keys);
        }
        ValueOrder.requireOrderable(raw);
        return List.of(raw);
    }

    /** Same name and same path (extractor indexes: same name). */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof IndexDefinition d && name.equals(d.name) && Objects.equals(path, d.path);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Objects.hashCode(path);
    }

    @Override
    public String toString() {
        return path != null ? "index " + name + " on " + path : "index " + name + " (extractor)";
    }
}
