package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexException;

import java.util.Arrays;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The secondary indexes of one collection value: for each index its definition and its entries, a
 * {@link RepeatedKeysDictionary} from index key to the ids of the records having that key (dictionary
 * keys; set and list elements themselves, a list element once per occurrence). Immutable, ordered by
 * name, and part of the collection: stored with it, compared with it, and changed only through an
 * {@link Editor} driven by the collection's builder, so every mutation keeps them exact.
 */
final class Indexes {

    static final Indexes NONE = new Indexes(new Index[0]);

    /** One index: how keys are found, and the entries key → record id. */
    record Index(IndexDefinition definition, RepeatedKeysDictionary entries) {
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

    Editor edit() {
        return all.length == 0 ? null : new Editor(this);
    }

    /** A fresh index over the records {@code forEach} yields as (record, id) pairs. */
    static Index build(IndexDefinition definition, Consumer<BiConsumer<Object, Object>> forEach) {
        RepeatedKeysDictionary.Builder b = RepeatedKeysDictionary.builder();
        forEach.accept((record, id) -> {
            for (Object key : definition.keysOf(record)) {
                b.setAt(key, requireId(definition, id));
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

    /** Applies record changes to every index of a collection being built. Not thread-safe. */
    static final class Editor {
        private final Index[] source;
        private final RepeatedKeysDictionary.Builder[] builders;

        private Editor(Indexes indexes) {
            this.source = indexes.all;
            this.builders = new RepeatedKeysDictionary.Builder[source.length];
        }

        private RepeatedKeysDictionary.Builder builder(int i) {
            if (builders[i] == null) {
                builders[i] = source[i].entries().toBuilder();
            }
            return builders[i];
        }

        /** Indexes {@code record} under {@code id}. */
        void add(Object record, Object id) {
            for (int i = 0; i < source.length; i++) {
                for (Object key : source[i].definition().keysOf(record)) {
                    builder(i).setAt(key, requireId(source[i].definition(), id));
                }
            }
        }

        /** Removes one occurrence of {@code record} under {@code id}. */
        void remove(Object record, Object id) {
            for (int i = 0; i < source.length; i++) {
                for (Object key : source[i].definition().keysOf(record)) {
                    builder(i).removeRecordAt(key, id);
                }
            }
        }

        Indexes build() {
            Index[] next = new Index[source.length];
            for (int i = 0; i < source.length; i++) {
                next[i] = builders[i] == null ? source[i] : new Index(source[i].definition(), builders[i].build());
            }
            return new Indexes(next);
        }
    }
}
