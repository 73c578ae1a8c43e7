package io.protobase.spring.data.core;

import io.protobase.Database;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.index.SecondaryIndex;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import io.protobase.spring.data.core.query.ProtoBaseQuery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads and writes the entity collections of one {@link Database}, inside a transaction it is
 * given; the storage side of the template, as a {@code KeyValueAdapter} is for spring-data-keyvalue.
 *
 * <p>Each entity type lives in one root {@link Dictionary} named by its
 * {@link ProtoBasePersistentEntity#getRootName() root name}, keyed by id, whose values are the
 * entities' {@code DbObject} records (the id is stored in the record too, so queries and sorts can
 * read it). {@code @Indexed} properties are field-path indexes on that dictionary: created with the
 * root, or built from the records by {@link #prepare} when missing. A root that does not exist yet
 * reads as an empty dictionary with the declared indexes. The id counters of
 * {@link ProtoBaseIdentifierGenerator.IdSequence} live in the root {@value #SEQUENCES}.
 */
final class EntityRoots {

    static final String SEQUENCES = "protobase.sequences";

    private final Database database;
    private final ProtoBaseMappingContext mappingContext;
    private final DbObjectConverter converter;
    private final Set<Class<?>> prepared = ConcurrentHashMap.newKeySet();

    EntityRoots(Database database, ProtoBaseMappingContext mappingContext, DbObjectConverter converter) {
        this.database = Objects.requireNonNull(database, "database");
        this.mappingContext = Objects.requireNonNull(mappingContext, "mappingContext");
        this.converter = Objects.requireNonNull(converter, "converter");
    }

    /**
     * Makes {@code type} ready for use: checks its mapping, registers its enum property types with
     * the object space (enums round-trip only when registered) and creates its root with the
     * {@code @Indexed} indexes, or adds the missing ones (built from the stored records). Runs in
     * transactions of its own. Idempotent.
     */
    void prepare(Class<?> type) {
        if (prepared.contains(type)) {
            return;
        }
        ProtoBasePersistentEntity<?> entity = mappingContext.getRequiredPersistentEntity(type);
        converter.verify(type);
        mappingContext.enumTypes(entity).forEach(database.space()::registerEnum);
        List<IndexDefinition> indexes = mappingContext.indexes(entity);
        String name = entity.getRootName();
        boolean missing = database.read(tx -> {
            Dictionary root = tx.getRootObject(name, Dictionary.class);
            return root == null || indexes.stream().anyMatch(d -> !declared(root, d));
        });
        if (missing) {
            database.write(tx -> {
                Dictionary root = tx.getRootObject(name, Dictionary.class);
                tx.setRootObject(name, withIndexes(root == null ? Dictionary.empty() : root, indexes));
                return null;
            });
        }
        prepared.add(type);
    }

    /** The mapping of {@code type}, prepared first. */
    ProtoBasePersistentEntity<?> entity(Class<?> type) {
        prepare(type);
        return mappingContext.getRequiredPersistentEntity(type);
    }

    /** Whether {@code root} has index {@code d} as declared (a plain index where a covering one is asked is not). */
    private static boolean declared(Dictionary root, IndexDefinition d) {
        SecondaryIndex existing = root.indexes().get(d.name());
        return existing != null && existing.definition().isCovering() == d.isCovering();
    }

    private static Dictionary withIndexes(Dictionary root, List<IndexDefinition> indexes) {
        for (IndexDefinition d : indexes) {
            if (!declared(root, d)) {
                if (root.indexes().containsKey(d.name())) {
                    root = root.withoutIndex(d.name()); // the covering flag changed: rebuilt as declared now
                }
                root = root.withIndex(d);
            }
        }
        return root;
    }

    private Dictionary root(Transaction tx, ProtoBasePersistentEntity<?> entity) {
        Dictionary root = tx.getRootObject(entity.getRootName(), Dictionary.class);
        return root != null ? root : withIndexes(Dictionary.empty(), mappingContext.indexes(entity));
    }

    /** Starts the writes of one save of several entities in {@code tx}; {@link Batch#flush} ends them. */
    Batch batch(Transaction tx) {
        return new Batch(tx);
    }

    /** Reads the record of {@code entity}'s type with {@code id}, or {@code null}. */
    DbObject get(Transaction tx, ProtoBasePersistentEntity<?> entity, Object id) {
        return root(tx, entity).getAt(id, DbObject.class);
    }

    /** Removes the record of {@code entity}'s type with {@code id}; returns whether there was one. */
    boolean remove(Transaction tx, ProtoBasePersistentEntity<?> entity, Object id) {
        Dictionary root = root(tx, entity);
        if (!root.has(id)) {
            return false;
        }
        tx.setRootObject(entity.getRootName(), root.removeAt(id));
        return true;
    }

    /** Removes the records of {@code entity}'s type with the given ids, in one change of the root. */
    void removeAll(Transaction tx, ProtoBasePersistentEntity<?> entity, List<Object> ids) {
        if (ids.isEmpty()) {
            return;
        }
        Dictionary root = root(tx, entity);
        for (Object id : ids) {
            root = root.removeAt(id);
        }
        tx.setRootObject(entity.getRootName(), root);
    }

    /** Removes every record of {@code entity}'s type, keeping the root's declared indexes. */
    void clear(Transaction tx, ProtoBasePersistentEntity<?> entity) {
        Dictionary root = tx.getRootObject(entity.getRootName(), Dictionary.class);
        if (root != null && root.count() > 0) {
            tx.setRootObject(entity.getRootName(), withIndexes(Dictionary.empty(), mappingContext.indexes(entity)));
        }
    }

    /**
     * Streams what {@code query} selects from {@code entity}'s root, each record read as {@code
     * projection} says, lazily: the records are read and converted as the stream is consumed, in
     * {@code tx}, which must stay open until the stream is closed.
     */
    <R> Stream<R> stream(Transaction tx, ProtoBasePersistentEntity<?> entity, ProtoBaseQuery query,
            ResultProjection<R> projection) {
        Stream<Object> records = query.applyTo(root(tx, entity), projection.distinctKey()).stream();
        // A new pipeline over the records' iterator: in one pipeline, a sort ahead of the conversion would
        // push every record through it as soon as the first result is asked for.
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(records.iterator(), Spliterator.ORDERED),
                false).onClose(records::close).map(r -> projection.read(tx, (DbObject) r));
    }

    /** Counts the records of {@code entity}'s type that {@code query} selects (order and window ignored). */
    long count(Transaction tx, ProtoBasePersistentEntity<?> entity, ProtoBaseQuery query) {
        Dictionary root = root(tx, entity);
        ProtoBaseQuery q = query.unpaged();
        return q.criteria().expression() == null && q.criteria().predicate() == null ? root.count()
                : q.applyTo(root).count();
    }

    /** Tells whether a record of {@code entity}'s type matches {@code query}. */
    boolean exists(Transaction tx, ProtoBasePersistentEntity<?> entity, ProtoBaseQuery query) {
        return query.unpaged().applyTo(root(tx, entity)).any();
    }

    /** Explains how {@code query} reads {@code entity}'s root. */
    Explanation explain(Transaction tx, ProtoBasePersistentEntity<?> entity, ProtoBaseQuery query) {
        return query.applyTo(root(tx, entity)).explain();
    }

    /** Converts {@code record} to a {@code type}, resolving its references in the same transaction. */
    <T> T read(Transaction tx, Class<T> type, DbObject record) {
        return converter.read(type, record, (target, id) -> {
            DbObject referenced = root(tx, target).getAt(id, DbObject.class);
            return referenced == null ? null : read(tx, target.getType(), referenced);
        });
    }

    /** Reads one property of {@code record}, resolving a reference in the same transaction. */
    Object readProperty(Transaction tx, ProtoBasePersistentProperty property, DbObject record) {
        return converter.readProperty(property, record, (target, id) -> {
            DbObject referenced = root(tx, target).getAt(id, DbObject.class);
            return referenced == null ? null : read(tx, target.getType(), referenced);
        });
    }

    /**
     * The roots one save of several entities changes, each edited through one
     * {@link Dictionary.Builder} (so the nodes it creates, of the dictionary and of its indexes, are
     * changed in place instead of copied along a path per entity) and set on the transaction once at
     * the end; likewise the id counters, read once and written once. The builders keep the roots'
     * tracking: their reads are logged and their changes recorded for rebasing, as with one
     * {@code setAt} per entity.
     */
    final class Batch {
        private final Transaction tx;
        private final Map<String, Dictionary.Builder> roots = new LinkedHashMap<>();
        private final Map<String, Long> counters = new LinkedHashMap<>();
        private Dictionary sequences;

        private Batch(Transaction tx) {
            this.tx = tx;
        }

        /** The record of {@code entity}'s type with {@code id}, as this batch left it, or {@code null}. */
        DbObject get(ProtoBasePersistentEntity<?> entity, Object id) {
            return (DbObject) root(entity).getAt(id);
        }

        /** Stores {@code record} as the entity of {@code entity}'s type with {@code id}. */
        void put(ProtoBasePersistentEntity<?> entity, Object id, DbObject record) {
            root(entity).setAt(id, record);
        }

        /** The id counter of {@code entity}'s type, stored by {@link #flush}. */
        ProtoBaseIdentifierGenerator.IdSequence sequence(ProtoBasePersistentEntity<?> entity) {
            String name = entity.getRootName();
            return new ProtoBaseIdentifierGenerator.IdSequence() {
                @Override
                public long last() {
                    return counter(name);
                }

                @Override
                public void advance(long last) {
                    counter(name);
                    counters.put(name, last);
                }

                @Override
                public boolean isTaken(Object id) {
                    return root(entity).has(id);
                }
            };
        }

        /** Sets the changed roots and counters on the transaction. */
        void flush() {
            roots.forEach((name, builder) -> tx.setRootObject(name, builder.build()));
            if (!counters.isEmpty()) {
                Dictionary.Builder b = sequences.toBuilder();
                counters.forEach(b::setAt);
                tx.setRootObject(SEQUENCES, b.build());
            }
        }

        private Dictionary.Builder root(ProtoBasePersistentEntity<?> entity) {
            return roots.computeIfAbsent(entity.getRootName(), name -> EntityRoots.this.root(tx, entity).toBuilder());
        }

        private long counter(String name) {
            return counters.computeIfAbsent(name, n -> {
                if (sequences == null) {
                    Dictionary stored = tx.getRootObject(SEQUENCES, Dictionary.class);
                    sequences = stored == null ? Dictionary.empty() : stored;
                }
                return sequences.getAt(n) instanceof Number number ? number.longValue() : 0L;
            });
        }
    }
}
