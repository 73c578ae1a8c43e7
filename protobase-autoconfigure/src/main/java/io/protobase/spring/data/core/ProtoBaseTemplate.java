package io.protobase.spring.data.core;

import io.protobase.ConflictException;
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
import io.protobase.spring.transaction.ProtoBaseConflictFailureException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mapping.model.EntityInstantiators;
import org.springframework.data.mapping.model.InstantiationAwarePropertyAccessor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link ProtoBaseOperations} on one {@link Database}.
 *
 * <p><b>Storage.</b> Each entity type lives in one root {@link Dictionary} named by its
 * {@link ProtoBasePersistentEntity#getRootName() root name}, keyed by id, whose values are the
 * entities' {@code DbObject} records (the id is stored in the record too, so queries and sorts can
 * read it). {@code @Indexed} properties are field-path indexes on that dictionary: created with the
 * root, or built from the records by {@link #prepare} when missing. Generated numeric ids come from a
 * per-type counter in the root {@value #SEQUENCES}.
 *
 * <p><b>Transactions.</b> Every operation runs in the thread's current transaction when one is bound
 * ({@code @Transactional}, so a rollback undoes all of them), else in its own: {@link Database#write}
 * (which retries conflicting commits) or {@link Database#read}, bound to the thread while it runs so
 * that the operations it is made of join it ({@link #execute}). A save writes one key of the root, and
 * the engine validates and rebases commits key by key, so concurrent saves of different entities do
 * not conflict; saves of the same entity do, and a {@code @Version} check then fails the loser with
 * an {@link OptimisticLockingFailureException}. Reading through an index inside a read-write
 * transaction counts as reading the whole root (the engine is conservative), so a transaction that
 * queries an indexed property conflicts with any concurrent write of that entity type. An engine
 * {@link ConflictException} that escapes becomes a {@link ProtoBaseConflictFailureException}.
 */
public class ProtoBaseTemplate implements ProtoBaseOperations {

    /** The root holding the counters of generated numeric ids, keyed by entity root name. */
    public static final String SEQUENCES = "protobase.sequences";

    private final Database database;
    private final ProtoBaseMappingContext mappingContext;
    private final DbObjectConverter converter;
    private final EntityInstantiators instantiators = new EntityInstantiators();
    private final Set<Class<?>> prepared = ConcurrentHashMap.newKeySet();

    public ProtoBaseTemplate(Database database, ProtoBaseMappingContext mappingContext) {
        this.database = Objects.requireNonNull(database, "database");
        this.mappingContext = Objects.requireNonNull(mappingContext, "mappingContext");
        this.converter = new DbObjectConverter(mappingContext);
    }

    /** The database this template reads and writes. */
    public Database getDatabase() {
        return database;
    }

    /** The mapping metadata of the entities. */
    public ProtoBaseMappingContext getMappingContext() {
        return mappingContext;
    }

    /** The entity-to-record converter. */
    public DbObjectConverter getConverter() {
        return converter;
    }

    /**
     * Makes {@code type} ready for use: checks its mapping, registers its enum property types with
     * the object space (enums round-trip only when registered) and creates its root with the
     * {@code @Indexed} indexes, or adds the missing ones (built from the stored records). Runs in
     * transactions of its own; repositories call it when they are created. Idempotent.
     */
    public void prepare(Class<?> type) {
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

    private ProtoBasePersistentEntity<?> entity(Class<?> type) {
        prepare(type);
        return mappingContext.getRequiredPersistentEntity(type);
    }

    private Dictionary root(Transaction tx, ProtoBasePersistentEntity<?> entity) {
        Dictionary root = tx.getRootObject(entity.getRootName(), Dictionary.class);
        return root != null ? root : withIndexes(Dictionary.empty(), mappingContext.indexes(entity));
    }

    @Override
    public <R> R execute(boolean write, Function<Transaction, R> work) {
        try {
            if (database.hasCurrentTransaction()) {
                return work.apply(database.currentTransaction());
            }
            // Bound while it runs, so the operations that work calls join it.
            Function<Transaction, R> bound = tx -> {
                database.bind(tx);
                try {
                    return work.apply(tx);
                } finally {
                    database.unbind();
                }
            };
            return write ? database.write(bound) : database.read(bound);
        } catch (ConflictException e) {
            throw new ProtoBaseConflictFailureException(e);
        }
    }

    // ------------------------------------------------------------------ writes

    @Override
    public <T> T save(T entity) {
        return saveAll(List.of(Objects.requireNonNull(entity, "entity"))).get(0);
    }

    @Override
    public <T> List<T> saveAll(Iterable<T> entities) {
        Objects.requireNonNull(entities, "entities");
        List<T> list = new ArrayList<>();
        entities.forEach(e -> list.add(Objects.requireNonNull(e, "entity")));
        List<Runnable> restores = new ArrayList<>();
        for (T e : list) {
            restores.add(restorer(entity(e.getClass()), e));
        }
        return execute(true, tx -> {
            // A retried attempt must start from the entities as given, not as a failed attempt left them.
            restores.forEach(Runnable::run);
            Writes writes = new Writes(tx);
            List<T> saved = new ArrayList<>(list.size());
            for (T e : list) {
                saved.add(save(writes, mappingContext.getRequiredPersistentEntity(e.getClass()), e));
            }
            writes.flush();
            return saved;
        });
    }

    /**
     * Puts back the id and version that saving sets on a mutable entity: {@link Database#write}
     * retries a conflicting attempt, which must not see the id and version the failed one assigned.
     */
    private static Runnable restorer(ProtoBasePersistentEntity<?> pe, Object entity) {
        List<ProtoBasePersistentProperty> mutable = new ArrayList<>();
        if (!pe.getRequiredIdProperty().isImmutable()) {
            mutable.add(pe.getRequiredIdProperty());
        }
        if (pe.hasVersionProperty() && !pe.getRequiredVersionProperty().isImmutable()) {
            mutable.add(pe.getRequiredVersionProperty());
        }
        if (mutable.isEmpty()) {
            return () -> { };
        }
        PersistentPropertyAccessor<?> accessor = pe.getPropertyAccessor(entity);
        List<Object> values = mutable.stream().map(accessor::getProperty).toList();
        return () -> {
            for (int i = 0; i < mutable.size(); i++) {
                accessor.setProperty(mutable.get(i), values.get(i));
            }
        };
    }

    /**
     * The roots one {@code saveAll} changes, each edited through one {@link Dictionary.Builder} (so
     * the nodes it creates, of the dictionary and of its indexes, are changed in place instead of
     * copied along a path per entity) and set on the transaction once at the end; likewise the id
     * counters, read once and written once. The builders keep the roots' tracking: their reads are
     * logged and their changes recorded for rebasing, as with one {@code setAt} per entity.
     */
    private final class Writes {
        final Transaction tx;
        final Map<String, Dictionary.Builder> roots = new LinkedHashMap<>();
        Dictionary sequences;
        final Map<String, Long> counters = new LinkedHashMap<>();

        Writes(Transaction tx) {
            this.tx = tx;
        }

        Dictionary.Builder root(ProtoBasePersistentEntity<?> pe) {
            return roots.computeIfAbsent(pe.getRootName(), name -> ProtoBaseTemplate.this.root(tx, pe).toBuilder());
        }

        /** The last id handed out for {@code root}'s entities (0 before the first). */
        long counter(String root) {
            return counters.computeIfAbsent(root, name -> {
                if (sequences == null) {
                    Dictionary stored = tx.getRootObject(SEQUENCES, Dictionary.class);
                    sequences = stored == null ? Dictionary.empty() : stored;
                }
                return sequences.getAt(name) instanceof Number n ? n.longValue() : 0L;
            });
        }

        void advance(String root, long last) {
            counters.put(root, last);
        }

        void flush() {
            roots.forEach((name, builder) -> tx.setRootObject(name, builder.build()));
            if (!counters.isEmpty()) {
                Dictionary.Builder b = sequences.toBuilder();
                counters.forEach(b::setAt);
                tx.setRootObject(SEQUENCES, b.build());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T save(Writes writes, ProtoBasePersistentEntity<?> pe, T entity) {
        PersistentPropertyAccessor<T> accessor = new InstantiationAwarePropertyAccessor<>(entity,
                b -> ((ProtoBasePersistentEntity<T>) pe).getPropertyAccessor(b), instantiators);
        ProtoBasePersistentProperty idProperty = pe.getRequiredIdProperty();
        Object id = accessor.getProperty(idProperty);
        if (id == null || (idProperty.getType().isPrimitive() && ((Number) id).longValue() == 0)) {
            id = generateId(writes, pe, idProperty);
            accessor.setProperty(idProperty, id);
        }
        Dictionary.Builder root = writes.root(pe);
        if (pe.hasVersionProperty()) {
            ProtoBasePersistentProperty versionProperty = pe.getRequiredVersionProperty();
            Number version = (Number) accessor.getProperty(versionProperty);
            DbObject stored = (DbObject) root.getAt(id);
            boolean primitive = versionProperty.getType().isPrimitive();
            if (version == null || (primitive && version.longValue() == 0)) {
                if (stored != null) {
                    throw new OptimisticLockingFailureException("Cannot insert " + pe.getType().getSimpleName()
                            + " with id " + id + ": one is already stored (version " + stored.getAt(versionProperty.getName())
                            + "); load it and save the loaded instance to update it");
                }
                accessor.setProperty(versionProperty, convertVersion(primitive ? 1 : 0, versionProperty));
            } else {
                Object storedVersion = stored == null ? null : stored.getAt(versionProperty.getName());
                if (!(storedVersion instanceof Number n) || n.longValue() != version.longValue()) {
                    throw new OptimisticLockingFailureException("Cannot save " + pe.getType().getSimpleName() + " with id "
                            + id + " at version " + version + ": " + (stored == null ? "it was deleted"
                            : "it was changed concurrently (stored version " + storedVersion + ")")
                            + "; reload it and apply the change again");
                }
                accessor.setProperty(versionProperty, convertVersion(version.longValue() + 1, versionProperty));
            }
        }
        T bean = accessor.getBean();
        root.setAt(id, converter.write(bean));
        return bean;
    }

    private static Object convertVersion(long v, ProtoBasePersistentProperty p) {
        Class<?> t = p.getType();
        if (t == Integer.class || t == int.class) {
            return (int) v;
        }
        if (t == Short.class || t == short.class) {
            return (short) v;
        }
        return v;
    }

    private Object generateId(Writes writes, ProtoBasePersistentEntity<?> pe, ProtoBasePersistentProperty idProperty) {
        Class<?> t = idProperty.getType();
        if (t == UUID.class) {
            return UUID.randomUUID();
        }
        if (t == String.class) {
            return UUID.randomUUID().toString();
        }
        if (t == Long.class || t == long.class || t == Integer.class || t == int.class) {
            Dictionary.Builder root = writes.root(pe);
            long next = writes.counter(pe.getRootName()) + 1;
            while (root.has(next)) {
                next++; // ids assigned by hand before the counter reached them
            }
            writes.advance(pe.getRootName(), next);
            return t == Integer.class || t == int.class ? (Object) (int) next : (Object) next;
        }
        throw new InvalidDataAccessApiUsageException("Cannot generate an id of type " + t.getName() + " for "
                + pe.getType().getName() + ": assign one before saving, or use a String, UUID, Long or Integer id");
    }

    @Override
    public boolean deleteById(Object id, Class<?> type) {
        Objects.requireNonNull(id, "id");
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(true, tx -> {
            Dictionary root = root(tx, pe);
            if (!root.has(id)) {
                return false;
            }
            tx.setRootObject(pe.getRootName(), root.removeAt(id));
            return true;
        });
    }

    @Override
    public void delete(Object entity) {
        Objects.requireNonNull(entity, "entity");
        ProtoBasePersistentEntity<?> pe = entity(entity.getClass());
        PersistentPropertyAccessor<?> accessor = pe.getPropertyAccessor(entity);
        Object id = accessor.getProperty(pe.getRequiredIdProperty());
        if (id == null) {
            return;
        }
        execute(true, tx -> {
            Dictionary root = root(tx, pe);
            DbObject stored = root.getAt(id, DbObject.class);
            if (stored == null) {
                return null;
            }
            if (pe.hasVersionProperty()) {
                ProtoBasePersistentProperty vp = pe.getRequiredVersionProperty();
                Object version = accessor.getProperty(vp);
                Object storedVersion = stored.getAt(vp.getName());
                if (version instanceof Number v && storedVersion instanceof Number s && v.longValue() != s.longValue()) {
                    throw new OptimisticLockingFailureException("Cannot delete " + pe.getType().getSimpleName()
                            + " with id " + id + " at version " + v + ": it was changed concurrently (stored version "
                            + s + "); reload it first");
                }
            }
            tx.setRootObject(pe.getRootName(), root.removeAt(id));
            return null;
        });
    }

    @Override
    public void deleteAll(Class<?> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        execute(true, tx -> {
            Dictionary root = tx.getRootObject(pe.getRootName(), Dictionary.class);
            if (root != null && root.count() > 0) {
                tx.setRootObject(pe.getRootName(), withIndexes(Dictionary.empty(), mappingContext.indexes(pe)));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ reads

    @Override
    public <T> Optional<T> findById(Object id, Class<T> type) {
        Objects.requireNonNull(id, "id");
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(false, tx -> {
            DbObject record = root(tx, pe).getAt(id, DbObject.class);
            return Optional.ofNullable(record == null ? null : read(tx, type, record));
        });
    }

    @Override
    public <T> List<T> find(ProtoBaseQuery query, Class<T> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(false, tx -> {
            List<T> result = new ArrayList<>();
            query.applyTo(root(tx, pe)).stream().forEach(r -> result.add(read(tx, type, (DbObject) r)));
            return result;
        });
    }

    @Override
    public long count(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(false, tx -> {
            Dictionary root = root(tx, pe);
            ProtoBaseQuery q = query.unpaged();
            return q.criteria().expression() == null && q.criteria().predicate() == null ? root.count()
                    : q.applyTo(root).count();
        });
    }

    @Override
    public boolean exists(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(false, tx -> query.unpaged().applyTo(root(tx, pe)).any());
    }

    /** Deletes the entities of {@code type} that {@code query} selects, in one transaction; returns them. */
    public <T> List<T> delete(ProtoBaseQuery query, Class<T> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(true, tx -> {
            List<T> found = find(query, type);
            Dictionary root = root(tx, pe);
            for (T e : found) {
                root = root.removeAt(pe.getIdentifierAccessor(e).getRequiredIdentifier());
            }
            if (!found.isEmpty()) {
                tx.setRootObject(pe.getRootName(), root);
            }
            return found;
        });
    }

    @Override
    public Explanation explain(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = entity(type);
        return execute(false, tx -> query.applyTo(root(tx, pe)).explain());
    }

    private <T> T read(Transaction tx, Class<T> type, DbObject record) {
        return converter.read(type, record, (target, id) -> {
            DbObject referenced = root(tx, target).getAt(id, DbObject.class);
            return referenced == null ? null : read(tx, target.getType(), referenced);
        });
    }
}
