package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The secondary indexes of one collection value: for each index its definition and its entries, a
 * {@link RepeatedKeysDictionary} from index key to the ids of the records having that key (dictionary
 * keys; set and list elements themselves, a list element once per occurrence). Immutable, ordered by
 * name, and part of the collection: stored with it, compared with it, and changed only through an
 * {@link Editor} driven by the collection's builder, so every mutation keeps them exact.
 *
 * <p>A covering index of a dictionary ({@link IndexDefinition#covering()}) maps each pair
 * {@code (key, record id)} to the record itself instead of to an occurrence count (a dictionary key
 * occurs once, so the count would always be 1): the index then yields records without a lookup in the
 * dictionary. Any change of a record replaces its entries, so the copy never goes stale even when the
 * keys stay the same. Lists and sets hold no such copy: their ids are their records already.
 */
final class Indexes {

    static final Indexes NONE = new Indexes(new Index[0]);

    /** One index: how keys are found, and the entries key → record id. */
    record Index(IndexDefinition definition, RepeatedKeysDictionary entries) {

        /** Whether the entries map pairs to records (a covering index on a {@code host} tree of that kind). */
        boolean holdsRecords(TreeKind host) {
            return definition.isCovering() && recordsApart(host);
        }
    }

    /**
     * Whether a collection with a tree of kind {@code host} stores its records apart from their ids
     * (dictionaries: values under keys), rather than being its own ids (lists and sets).
     */
    static boolean recordsApart(TreeKind host) {
        return host == TreeKind.SORTED || host == TreeKind.HASHED;
    }

    /**
     * The empty entries of an index of a collection with a tree of kind {@code host}. A list may hold
     * elements equal as keys but of different types ({@code 0} and {@code 0L}, records differing in a
     * number's type), and its index entries are those elements: they are kept apart by exact form
     * ({@link PairKey#EXACT_ORDER}), so a lookup returns each element as stored. A set holds one of them
     * and a dictionary's ids are its keys, which follow key semantics: a removal names the pair with
     * whatever numeric type the caller used, so their entries pair values as keys. A dictionary's pairs
     * are ordered by that key ({@link PairKey#BY_VALUE_ORDER}): ids given in ascending order (generated ids)
     * land at the end of each index key's run, so a batch of new records touches few index leaves. A set's
     * pairs keep the hash order ({@link PairKey#ORDER}), cheaper to compare for elements that are records.
     */
    static RepeatedKeysDictionary emptyEntries(TreeKind host) {
        return switch (host) {
            case POSITIONAL -> RepeatedKeysDictionary.EMPTY_EXACT;
            case SORTED, HASHED -> RepeatedKeysDictionary.EMPTY_BY_VALUE;
            default -> RepeatedKeysDictionary.empty();
        };
    }

    private final Index[] all;

    private Indexes(Index[] all) {
        this.all = all;
    }

    static Indexes of(Index[] indexes) {
        Index[] sorted = indexes.clone();
        Arrays.sort(sorted, (a, b) -> a.definition().name().compareTo(b.definition().name()));
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i].definition().name().equals(sorted[i - 1].definition().name())) {
                throw new IndexException("Two indexes named '" + sorted[i].definition().name() + "' on one collection");
            }
        }
        return sorted.length == 0 ? NONE : new Indexes(sorted);
    }

    boolean isEmpty() {
        return all.length == 0;
    }

    Index[] all() {
        return all;
    }

    Index get(String name) {
        for (Index i : all) {
            if (i.definition().name().equals(name)) {
                return i;
            }
        }
        return null;
    }

    Indexes with(Index index) {
        Index[] next = Arrays.copyOf(all, all.length + 1);
        next[all.length] = index;
        return of(next);
    }

    Indexes without(String name) {
        return of(Arrays.stream(all).filter(i -> !i.definition().name().equals(name)).toArray(Index[]::new));
    }

    /** The same indexes with each entries tree transformed (for re-rooting saved trees). */
    Indexes mapEntries(UnaryOperator<RepeatedKeysDictionary> f) {
        if (all.length == 0) {
            return this;
        }
        Index[] next = new Index[all.length];
        boolean changed = false;
        for (int i = 0; i < all.length; i++) {
            RepeatedKeysDictionary e = f.apply(all[i].entries());
            changed |= e != all[i].entries();
            next[i] = e == all[i].entries() ? all[i] : new Index(all[i].definition(), e);
        }
        return changed ? new Indexes(next) : this;
    }

    /** Same definitions (names and paths) and the same entry trees, without scanning. */
    boolean sameAs(Indexes other) {
        if (this == other) {
            return true;
        }
        if (all.length != other.all.length) {
            return false;
        }
        for (int i = 0; i < all.length; i++) {
            if (!all[i].definition().equals(other.all[i].definition())
                    || !Values.same(all[i].entries(), other.all[i].entries())) {
                return false;
            }
        }
        return true;
    }

    /** An editor of these indexes as held by a collection whose tree is of kind {@code host}. */
    Editor edit(TreeKind host) {
        return all.length == 0 ? null : new Editor(this, host);
    }

    /**
     * A fresh index over the records {@code forEach} yields as (record, id) pairs, of a collection
     * whose tree is of kind {@code host}.
     */
    static Index build(IndexDefinition definition, TreeKind host, Consumer<BiConsumer<Object, Object>> forEach) {
        RepeatedKeysDictionary.Builder b = emptyEntries(host).toBuilder();
        boolean records = definition.isCovering() && recordsApart(host);
        forEach.accept((record, id) -> {
            for (Object key : definition.keysOf(record)) {
                if (records) {
                    b.putRecord(key, requireId(definition, id), record);
                } else {
                    b.setAt(key, requireId(definition, id));
                }
            }
        });
        return new Index(definition, b.build());
    }

    private static Object requireId(IndexDefinition definition, Object id) {
        if (!ValueOrder.isOrderable(id)) {
            throw new IndexException("Cannot index a " + id.getClass().getSimpleName() + " element with " + definition
                    + ": the elements of an indexed list or set must be orderable values (records as DbObject, "
                    + "strings, numbers...), not collections");
        }
        return id;
    }

    /**
     * Applies record changes to every index of a collection being built. Not thread-safe.
     *
     * <p>Nothing reads an index while its collection is being built, so the entry changes are
     * buffered and applied in entry order (the order of the index's tree) when the indexes are built, or
     * when {@value #PENDING_LIMIT} of them are waiting. Records rarely arrive in index-key order (new
     * dictionary entries come by ascending key, their indexed fields in no order), and applied as
     * they come each change walks from the root to a leaf far from the previous one; in entry order consecutive changes
     * share most of their path and leaf, which stay in the CPU caches. The sort is stable, so the changes
     * of one entry keep their order and the result is the one of applying them as they came:
     * changes of different entries commute (each entry is a count, or a record, of its own). The exact
     * order of a list's entries ({@link PairKey#EXACT_ORDER}) only splits ties of this one, so the
     * changes of one of its entries keep their order too.
     */
    static final class Editor {
        /** Buffered entry changes per index, above which they are applied (bounds the buffer's memory). */
        static final int PENDING_LIMIT = 4096;

        private final Index[] source;
        /** Per index: whether its entries carry records (covering, on a dictionary). */
        private final boolean[] records;
        private final RepeatedKeysDictionary.Builder[] builders;
        private final List<Change>[] pending;

        /**
         * One buffered entry change: one occurrence of {@code entry} more, or one less; for an index
         * whose entries carry records, the pair put with {@code record}, or removed.
         */
        private record Change(PairKey entry, boolean add, Object record) {
        }


        @SuppressWarnings("unchecked")
        private Editor(Indexes indexes, TreeKind host) {
            this.source = indexes.all;
            this.records = new boolean[source.length];
            for (int i = 0; i < source.length; i++) {
                records[i] = source[i].holdsRecords(host);
            }
            this.builders = new RepeatedKeysDictionary.Builder[source.length];
            @SuppressWarnings("unchecked")
            List<Change>[] lists = (List<Change>[]) new List<?>[source.length];
            this.pending = lists;
        }

        /** Indexes {@code record} under {@code id}. */
        void add(Object record, Object id) {
            for (int i = 0; i < source.length; i++) {
                for (Object key : source[i].definition().keysOf(record)) {
                    buffer(i, PairKey.of(Values.key(key), Values.key(requireId(source[i].definition(), id))), true,
                            records[i] ? record : null);
                }
            }
        }

        /**
         * Removes one occurrence of {@code record} under {@code id}. A dictionary replacing the record
         * of a key removes the old one and adds the new one, so a covering entry whose key did not
         * change still gets the new record.
         */
        void remove(Object record, Object id) {
            for (int i = 0; i < source.length; i++) {
                for (Object key : source[i].definition().keysOf(record)) {
                    buffer(i, PairKey.of(Values.key(key), Values.key(id)), false, null);
                }
            }
        }

        private void buffer(int i, PairKey entry, boolean add, Object record) {
            if (pending[i] == null) {
                pending[i] = new ArrayList<>();
            }
            pending[i].add(new Change(entry, add, record));
            if (pending[i].size() >= PENDING_LIMIT) {
                apply(i);
            }
        }

        /** Applies the buffered changes of index {@code i}, in entry order. */
        private void apply(int i) {
            List<Change> changes = pending[i];
            if (changes == null || changes.isEmpty()) {
                return;
            }
            if (builders[i] == null) {
                builders[i] = source[i].entries().toBuilder();
            }
            Comparator<Object> order = TreeOps.order(source[i].entries().tree.kind());
            changes.sort((x, y) -> order.compare(x.entry, y.entry));
            RepeatedKeysDictionary.Builder b = builders[i];
            Object present = null; // a key known to have a pair: the key of the last add, until a removal
            for (Change c : changes) {
                Object key = c.entry.key();
                if (records[i]) {
                    if (c.add) {
                        b.putRecord(key, c.entry.value(), c.record);
                    } else {
                        b.removePair(key, c.entry.value());
                    }
                } else if (c.add) {
                    b.add(c.entry, present != null && ValueOrder.INSTANCE.compare(present, key) == 0);
                    present = key;
                } else {
                    b.removeOne(c.entry);
                    present = null;
                }
            }
            changes.clear();
        }

        Indexes build() {
            Index[] next = new Index[source.length];
            for (int i = 0; i < source.length; i++) {
                apply(i);
                next[i] = builders[i] == null ? source[i] : new Index(source[i].definition(), builders[i].build());
            }
            return new Indexes(next);
        }
    }
}
