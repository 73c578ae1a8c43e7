package io.protobase.index;

import io.protobase.codec.ValueOrder;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a secondary index finds the keys of a record: a {@link FieldPath} (persisted with the
 * collection, so the index keeps working after a reload) or a named extractor function (the name
 * is persisted; the function must be registered again under that name with the object space before
 * a reloaded collection with the index is changed).
 *
 * <p>A record has no key, one key, or (multi-valued extractors returning an {@link Iterable} or an
 * array) several; {@code null}, {@link FieldPath#ABSENT} and values that cannot be ordered (collections)
 * are never indexed, and keys equal under {@link ValueOrder} count once per record.
 *
 * <p>A {@link #covering()} index keeps a copy of each record in its entries, so lookups and ranges
 * yield records without reading the collection itself: a space-for-speed trade-off, see {@code
 * docs/queries.md}.
 */
public final class IndexDefinition {

    private final String name;
    private final @Nullable FieldPath path;
    private final @Nullable Function<@Nullable Object, ?> extractor;
    /** Where a definition read back from storage finds its extractor once the application registers it. */
    private final @Nullable Supplier<@Nullable Function<@Nullable Object, ?>> registered;
    /** Whether the entries carry the records themselves. */
    private final boolean covering;

    private IndexDefinition(String name, @Nullable FieldPath path, @Nullable Function<@Nullable Object, ?> extractor) {
        this(name, path, extractor, null, false);
    }

    private IndexDefinition(String name, @Nullable FieldPath path, @Nullable Function<@Nullable Object, ?> extractor,
            @Nullable Supplier<@Nullable Function<@Nullable Object, ?>> registered, boolean covering) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("An index needs a non-blank name");
        }
        this.name = name;
        this.path = path;
        this.extractor = extractor;
        this.registered = registered;
        this.covering = covering;
    }

    /**
     * An index on a dotted field path, named after the path: {@code IndexDefinition.onField("category")}.
     *
     * @param path the dotted path of the key, each step non-empty
     * @return the definition
     * @throws IllegalArgumentException if the path has an empty step
     * @throws NullPointerException if {@code path} is {@code null}
     */
    public static IndexDefinition onField(String path) {
        return new IndexDefinition(path, FieldPath.of(path), null);
    }

    /**
     * An index on a dotted field path under another name:
     * {@code IndexDefinition.onField("city", "address.city")}.
     *
     * @param name the index name, unique within its collection, not blank
     * @param path the dotted path of the key, each step non-empty
     * @return the definition
     * @throws IllegalArgumentException if the name is {@code null} or blank, or the path has an empty step
     */
    public static IndexDefinition onField(String name, String path) {
        return new IndexDefinition(name, FieldPath.of(path), null);
    }

    /**
     * An index whose keys {@code extractor} computes: one value, or an {@code Iterable}/array of
     * values for a multi-valued index. Queries use it only when asked for by name, never for a lambda.
     * Only the name is stored: after reopening, register the function again with
     * {@code ObjectSpace.registerIndexExtractor(name, function)} before changing the collection.
     * <pre>{@code
     * IndexDefinition.byExtractor("tag", r -> ((DbObject) r).getAt("tags"))
     * }</pre>
     *
     * @param name      the index name, unique within its collection, not blank
     * @param extractor computes the keys of a record, not {@code null}; it may return {@code null} (no key)
     * @return the definition
     * @throws IllegalArgumentException if the name is {@code null} or blank
     */
    public static IndexDefinition byExtractor(String name, Function<@Nullable Object, ?> extractor) {
        return new IndexDefinition(name, null, Objects.requireNonNull(extractor, "extractor"));
    }

    /**
     * A definition as read back from storage: a path index ({@code path} not null), or an extractor
     * index whose function {@code registry} supplies when it is needed (it may be registered only
     * after the collection was read). For the storage layer.
     *
     * @param name     the stored index name, not blank
     * @param path     the stored dotted path, or {@code null} for an extractor index
     * @param registry supplies the extractor function, or {@code null} while none is registered; not
     *                 {@code null} itself when {@code path} is {@code null}
     * @return the definition, not covering
     * @throws IllegalArgumentException if the name is blank or the path has an empty step
     */
    public static IndexDefinition restored(String name, @Nullable String path,
            @Nullable Supplier<@Nullable Function<@Nullable Object, ?>> registry) {
        return restored(name, path, false, registry);
    }

    /**
     * {@link #restored(String, String, Supplier)} of a definition that may be {@link #covering()}.
     *
     * @param name     the stored index name, not blank
     * @param path     the stored dotted path, or {@code null} for an extractor index
     * @param covering whether the stored index is covering
     * @param registry supplies the extractor function; not {@code null} when {@code path} is {@code null}
     * @return the definition
     * @throws IllegalArgumentException if the name is blank or the path has an empty step
     */
    public static IndexDefinition restored(String name, @Nullable String path, boolean covering,
            @Nullable Supplier<@Nullable Function<@Nullable Object, ?>> registry) {
        return path != null ? new IndexDefinition(name, FieldPath.of(path), null, null, covering)
                : new IndexDefinition(name, null, null, Objects.requireNonNull(registry, "registry"), covering);
    }

    /**
     * The same index, made <em>covering</em>: each entry carries the record itself besides the
     * record's id, so {@link SecondaryIndex#lookup lookups} and {@link SecondaryIndex#range ranges}
     * yield records straight from the index tree instead of looking each one up in the collection
     * (one root-to-leaf descent of the collection's tree per match).
     *
     * <p>The price is space and write work: a stored collection encodes every record twice (once
     * in the collection, once per covering index and key), and every change of a record, even one
     * that leaves its keys alone, rewrites its index entries. In memory the collection and the index
     * share the same record objects. Counts are as cheap as for a plain index.
     *
     * <p>This matters for {@code Dictionary} and {@code HashDictionary}, whose records are values
     * under keys. The entries of a {@code ProtoList} or {@code ProtoSet} index already are the
     * elements themselves, so every index of theirs covers by construction; declaring one covering is
     * accepted (and persisted) and changes nothing.
     *
     * @return this definition if it already covers, otherwise a covering copy
     */
    public IndexDefinition covering() {
        return covering ? this : new IndexDefinition(name, path, extractor, registered, true);
    }

    /**
     * Whether this index was declared {@link #covering()}.
     *
     * @return {@code true} for a covering declaration
     */
    public boolean isCovering() {
        return covering;
    }

    /**
     * The index name, unique within its collection; queries name it in index plans.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The field path of a path index.
     *
     * @return the path, or empty for an extractor index
     */
    public Optional<FieldPath> path() {
        return Optional.ofNullable(path);
    }

    /**
     * Whether the keys come from a named extractor function rather than a path.
     *
     * @return {@code true} for an extractor index
     */
    public boolean isExtractor() {
        return path == null;
    }

    /**
     * The extractor function, if this is an extractor index and the function is known.
     *
     * @return the function, or empty for a path index or an extractor not registered (yet) after a reload
     */
    public Optional<Function<@Nullable Object, ?>> extractor() {
        return Optional.ofNullable(extractor != null ? extractor : registered != null ? registered.get() : null);
    }

    /**
     * The same definition with its extractor function supplied.
     *
     * @param function the extractor, not {@code null}
     * @return a copy with the function
     * @throws IndexException if this is a path index
     */
    public IndexDefinition withExtractor(Function<@Nullable Object, ?> function) {
        if (path != null) {
            throw new IndexException("Index '" + name + "' is on the path " + path + ", not an extractor");
        }
        return new IndexDefinition(name, null, Objects.requireNonNull(function, "function"), null, covering);
    }

    /**
     * The keys under which a record is indexed.
     *
     * @param record the record
     * @return the distinct, non-null, orderable keys of {@code record} in {@link ValueOrder}; empty when
     *         it has none
     * @throws IndexException if this is an extractor index whose function is not registered
     */
    public List<Object> keysOf(@Nullable Object record) {
        @Nullable Object raw;
        @Nullable Function<@Nullable Object, ?> function = path == null ? extractor().orElse(null) : null;
        if (path != null) {
            raw = path.extract(record);
        } else if (function != null) {
            raw = function.apply(record);
        } else {
            throw new IndexException("Index '" + name + "' uses an extractor function that is not registered "
                    + "in this object space: call objectSpace.registerIndexExtractor(\"" + name + "\", function) "
                    + "after opening it, before changing a collection that carries the index");
        }
        if (raw == null || raw == FieldPath.ABSENT) {
            return List.of();
        }
        if (path == null && (raw instanceof Iterable<?> || raw instanceof Object[])) {
            TreeSet<Object> keys = new TreeSet<>(ValueOrder.INSTANCE);
            Iterable<?> values = raw instanceof Object[] a ? List.of(a) : (Iterable<?>) raw;
            for (Object v : values) {
                if (v != null && v != FieldPath.ABSENT && ValueOrder.isOrderable(v)) {
                    keys.add(v);
                }
            }
            return new ArrayList<>(keys);
        }
        return ValueOrder.isOrderable(raw) ? List.of(raw) : List.of();
    }

    /** Same name, same path (extractor indexes: same name) and both covering or neither. */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof IndexDefinition d && name.equals(d.name) && Objects.equals(path, d.path)
                && covering == d.covering;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Objects.hashCode(path)) * 2 + (covering ? 1 : 0);
    }

    @Override
    public String toString() {
        return (covering ? "covering index " : "index ") + name + (path != null ? " on " + path : " (extractor)");
    }
}
