package io.protobase.spring.data.core;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import io.protobase.spring.data.core.mapping.event.BeforeSaveCallback;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import io.protobase.spring.transaction.ProtoBaseConflictFailureException;
import io.protobase.spring.transaction.TransactionObserver;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.data.mapping.callback.EntityCallback;
import org.springframework.data.mapping.callback.EntityCallbacks;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mapping.model.EntityInstantiators;
import org.springframework.data.mapping.model.InstantiationAwarePropertyAccessor;
import org.springframework.data.projection.SpelAwareProxyProjectionFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@link ProtoBaseOperations} on one {@link Database}: a coordinator, shaped like
 * spring-data-keyvalue's {@code KeyValueTemplate}. Each operation finds its transaction
 * ({@link TransactionJoiner}), reads and writes the entity roots through {@link EntityRoots} (one
 * root {@link Dictionary} per entity type, keyed by id, with its {@code @Indexed} indexes), asks
 * the {@link ProtoBaseIdentifierGenerator} for the ids of new entities, applies the {@code @Version}
 * rules ({@link OptimisticLocking}) and lets the {@link ProtoBaseExceptionTranslator} turn every
 * engine exception that escapes into Spring's {@code DataAccessException}s, as spring-data-keyvalue's
 * {@code KeyValueTemplate} does: an engine {@link ConflictException} becomes a
 * {@link ProtoBaseConflictFailureException}, a closed or failing storage a
 * {@code DataAccessResourceFailureException}, a misuse an {@code InvalidDataAccessApiUsageException}.
 * The repositories work through the template, so they throw the same.
 *
 * <p><b>Transactions.</b> Every operation runs in the thread's current transaction when one is bound
 * ({@code @Transactional}, so a rollback undoes all of them), else in its own, which retries
 * conflicting commits. A save writes one key of the root, and the engine validates and rebases
 * commits key by key, so concurrent saves of different entities do not conflict; saves of the same
 * entity do, and a {@code @Version} check then fails the loser with an
 * {@link OptimisticLockingFailureException}. Reading through an index inside a read-write
 * transaction counts as reading the whole root (the engine is conservative), so a transaction that
 * queries an indexed property conflicts with any concurrent write of that entity type.
 *
 * <p><b>Lifecycle.</b> As a bean (or given {@link #setApplicationEventPublisher} and
 * {@link #setEntityCallbacks}) the template publishes the mapping events of
 * {@code io.protobase.spring.data.core.mapping.event} and invokes its entity callbacks, in Spring Data
 * MongoDB's order. Callbacks and {@code Before…} events run inside the writing transaction, once per
 * attempt (a conflicting write outside a transaction is retried); {@code AfterSaveEvent} and
 * {@code AfterDeleteEvent} are published once the transaction has committed, and not at all when it
 * rolls back.
 */
public class ProtoBaseTemplate implements ProtoBaseOperations, ApplicationContextAware {

    /**
     * The root holding the counters of generated numeric ids ({@link SequenceIdentifierGenerator}),
     * keyed by entity root name.
     */
    public static final String SEQUENCES = EntityRoots.SEQUENCES;

    private final Database database;
    private final ProtoBaseMappingContext mappingContext;
    private final DbObjectConverter converter;
    private final EntityRoots roots;
    private final ProtoBaseIdentifierGenerator identifierGenerator;
    private final TransactionJoiner transactions;
    private final EntityInstantiators instantiators = new EntityInstantiators();
    private final SpelAwareProxyProjectionFactory projections = new SpelAwareProxyProjectionFactory();
    private final EntityEvents events;
    private volatile boolean callbacksSet;

    /** A template with the default id generator ({@link SequenceIdentifierGenerator}) and exception translator. */
    public ProtoBaseTemplate(Database database, ProtoBaseMappingContext mappingContext) {
        this(database, mappingContext, new SequenceIdentifierGenerator(), new ProtoBaseExceptionTranslator());
    }

    /**
     * A template that makes up ids with {@code identifierGenerator} and translates engine exceptions
     * with {@code exceptionTranslator}.
     */
    public ProtoBaseTemplate(Database database, ProtoBaseMappingContext mappingContext,
            ProtoBaseIdentifierGenerator identifierGenerator, ProtoBaseExceptionTranslator exceptionTranslator) {
        this.database = Objects.requireNonNull(database, "database");
        this.mappingContext = Objects.requireNonNull(mappingContext, "mappingContext");
        this.identifierGenerator = Objects.requireNonNull(identifierGenerator, "identifierGenerator");
        this.converter = new DbObjectConverter(mappingContext);
        this.roots = new EntityRoots(database, mappingContext, converter);
        this.transactions = new TransactionJoiner(database, Objects.requireNonNull(exceptionTranslator,
                "exceptionTranslator"));
        this.events = new EntityEvents(transactions);
    }

    /**
     * Publishes the mapping events to the context and invokes the context's {@code EntityCallback}
     * beans (unless {@link #setEntityCallbacks} chose others); open projections' expressions may refer
     * to its beans.
     */
    @Override
    public void setApplicationContext(ApplicationContext context) {
        events.setPublisher(context);
        if (!callbacksSet) {
            // Without any EntityCallback bean there is nothing to invoke: looking the callbacks up again for
            // each entity saved or read would cost a discovery per entity and step for no effect.
            boolean any = BeanFactoryUtils.beanNamesForTypeIncludingAncestors(context, EntityCallback.class, true,
                    false).length > 0;
            events.setCallbacks(any ? EntityCallbacks.create(context) : null,
                    context.getBeanNamesForType(BeforeSaveCallback.class, true, false).length > 0);
        }
        projections.setBeanFactory(context);
        if (context.getClassLoader() != null) {
            projections.setBeanClassLoader(context.getClassLoader());
        }
    }

    /** Publishes the mapping events to {@code publisher} ({@code null}: none). */
    public void setApplicationEventPublisher(ApplicationEventPublisher publisher) {
        events.setPublisher(publisher);
    }

    /**
     * Whether the mapping events are published (the default), as Spring Data MongoDB's
     * {@code MongoTemplate.setEntityLifecycleEventsEnabled}: an application that listens to none can
     * switch them off and save the cost of publishing several events per entity saved or read.
     * Entity callbacks run either way.
     */
    public void setEntityLifecycleEventsEnabled(boolean enabled) {
        events.setPublishing(enabled);
    }

    /** Invokes {@code callbacks} on saves and reads, instead of the application context's. */
    public void setEntityCallbacks(EntityCallbacks callbacks) {
        events.setCallbacks(Objects.requireNonNull(callbacks, "callbacks"), true);
        callbacksSet = true;
    }

    /**
     * Sets what watches the transactions this template starts itself, when no transaction is current
     * (the starter sets a Micrometer observation when the application has an {@code ObservationRegistry}).
     * Operations that join a current transaction are observed with it.
     */
    public void setTransactionObserver(TransactionObserver observer) {
        transactions.setObserver(observer);
    }

    /** The database this template reads and writes. */
    public Database getDatabase() {
        return database;
    }

    @Override
    public ProtoBaseMappingContext getMappingContext() {
        return mappingContext;
    }

    /** The entity-to-record converter. */
    public DbObjectConverter getConverter() {
        return converter;
    }

    @Override
    public void prepare(Class<?> type) {
        try {
            roots.prepare(type);
        } catch (RuntimeException e) {
            throw transactions.translate(e);
        }
    }

    @Override
    public <R> R execute(boolean write, Function<Transaction, R> work) {
        return transactions.execute(write, work);
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
        // The mapping of each entity, looked up once per class of the batch rather than per entity and attempt.
        List<ProtoBasePersistentEntity<?>> mappings = new ArrayList<>(list.size());
        List<Runnable> restores = new ArrayList<>(list.size());
        Class<?> lastType = null;
        ProtoBasePersistentEntity<?> lastMapping = null;
        for (T e : list) {
            if (e.getClass() != lastType) {
                lastType = e.getClass();
                lastMapping = roots.entity(lastType);
            }
            mappings.add(lastMapping);
            restores.add(restorer(lastMapping, e));
        }
        return execute(true, tx -> {
            // A retried attempt must start from the entities as given, not as a failed attempt left them.
            restores.forEach(Runnable::run);
            EntityRoots.Batch batch = roots.batch(tx);
            List<T> saved = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                saved.add(save(batch, mappings.get(i), list.get(i)));
            }
            batch.flush();
            return saved;
        });
    }

    /**
     * Puts back the id and version that saving sets on a mutable entity: a conflicting attempt is
     * retried, and the retry must not see the id and version the failed one assigned.
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
        Object[] values = new Object[mutable.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = accessor.getProperty(mutable.get(i));
        }
        return () -> {
            for (int i = 0; i < values.length; i++) {
                accessor.setProperty(mutable.get(i), values[i]);
            }
        };
    }

    private <T> T save(EntityRoots.Batch batch, ProtoBasePersistentEntity<?> pe, T given) {
        String root = pe.getRootName();
        T entity = events.beforeConvert(given, root);
        PersistentPropertyAccessor<T> accessor = accessor(pe, entity);
        ProtoBasePersistentProperty idProperty = pe.getRequiredIdProperty();
        Object id = accessor.getProperty(idProperty);
        boolean generated = id == null || (idProperty.getType().isPrimitive() && ((Number) id).longValue() == 0);
        if (generated) {
            id = identifierGenerator.generateIdentifier(pe, batch.sequence(pe));
            accessor.setProperty(idProperty, id);
        }
        // Only the @Version check needs the stored record. A given id is read even without a version, so that a
        // concurrent save of the same entity conflicts (and is retried) as before; a generated id has nothing stored
        // to compare with, and its generator has read the key already when it had to make sure it was free.
        if (pe.hasVersionProperty() || !generated) {
            OptimisticLocking.stampForSave(pe, accessor, id, batch.get(pe, id));
        }
        T bean = accessor.getBean();
        DbObject record = bean.getClass() == pe.getType() ? converter.write(pe, accessor) : converter.write(bean);
        T toStore = events.beforeSave(bean, record, root);
        if (events.convertAfterBeforeSave(bean, toStore)) {
            record = converter.write(toStore);
        }
        batch.put(pe, id, record);
        return events.afterSave(toStore, record, root);
    }

    /**
     * The accessor that sets the id and version of {@code entity}. Only an immutable id or version needs an
     * instantiation-aware one (which makes a new instance when it sets them); that one also looks up a new plain
     * accessor for every property it reads or sets, so the entities whose id and version are mutable get a
     * plain accessor, made once.
     */
    @SuppressWarnings("unchecked")
    private <T> PersistentPropertyAccessor<T> accessor(ProtoBasePersistentEntity<?> pe, T entity) {
        ProtoBasePersistentEntity<T> typed = (ProtoBasePersistentEntity<T>) pe;
        boolean immutable = pe.getRequiredIdProperty().isImmutable()
                || (pe.hasVersionProperty() && pe.getRequiredVersionProperty().isImmutable());
        return immutable ? new InstantiationAwarePropertyAccessor<>(entity, typed::getPropertyAccessor, instantiators)
                : typed.getPropertyAccessor(entity);
    }

    @Override
    public boolean deleteById(Object id, Class<?> type) {
        Objects.requireNonNull(id, "id");
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        return execute(true, tx -> remove(tx, pe, id));
    }

    /** Removes the entity with {@code id}, with its delete events, when there is one. */
    private boolean remove(Transaction tx, ProtoBasePersistentEntity<?> pe, Object id) {
        if (roots.get(tx, pe, id) == null) {
            return false;
        }
        events.beforeDelete(id, pe.getType(), pe.getRootName());
        roots.remove(tx, pe, id);
        events.afterDelete(id, pe.getType(), pe.getRootName());
        return true;
    }

    @Override
    public void delete(Object entity) {
        Objects.requireNonNull(entity, "entity");
        ProtoBasePersistentEntity<?> pe = roots.entity(entity.getClass());
        PersistentPropertyAccessor<?> accessor = pe.getPropertyAccessor(entity);
        Object id = accessor.getProperty(pe.getRequiredIdProperty());
        if (id == null) {
            return;
        }
        execute(true, tx -> {
            DbObject stored = roots.get(tx, pe, id);
            if (stored != null) {
                OptimisticLocking.checkForDelete(pe, accessor, id, stored);
                remove(tx, pe, id);
            }
            return null;
        });
    }

    @Override
    public void deleteAll(Class<?> type) {
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        execute(true, tx -> {
            events.beforeDelete(pe.getType(), pe.getType(), pe.getRootName());
            roots.clear(tx, pe);
            events.afterDelete(pe.getType(), pe.getType(), pe.getRootName());
            return null;
        });
    }

    @Override
    public <T> List<T> delete(ProtoBaseQuery query, Class<T> type) {
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        ResultProjection<T> entities = projection(pe, type);
        return execute(true, tx -> {
            List<T> found;
            try (Stream<T> results = roots.stream(tx, pe, query, entities)) {
                found = results.collect(Collectors.toCollection(ArrayList::new));
            }
            List<Object> ids = new ArrayList<>(found.size());
            found.forEach(e -> ids.add(pe.getIdentifierAccessor(e).getRequiredIdentifier()));
            ids.forEach(id -> events.beforeDelete(id, pe.getType(), pe.getRootName()));
            roots.removeAll(tx, pe, ids);
            ids.forEach(id -> events.afterDelete(id, pe.getType(), pe.getRootName()));
            return found;
        });
    }

    // ------------------------------------------------------------------ reads

    @Override
    public <T> Optional<T> findById(Object id, Class<T> type) {
        Objects.requireNonNull(id, "id");
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        return execute(false, tx -> {
            DbObject record = roots.get(tx, pe, id);
            return Optional.ofNullable(record == null ? null
                    : events.afterConvert(roots.read(tx, type, record), record, pe.getRootName()));
        });
    }

    @Override
    public <T> List<T> find(ProtoBaseQuery query, Class<T> type) {
        return find(query, type, type);
    }

    @Override
    public <R> List<R> find(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType) {
        ProtoBasePersistentEntity<?> pe = roots.entity(domainType);
        ResultProjection<R> projection = projection(pe, resultType);
        return execute(false, tx -> {
            try (Stream<R> results = roots.stream(tx, pe, query, projection)) {
                return results.collect(Collectors.toCollection(ArrayList::new));
            }
        });
    }

    @Override
    public <R> Stream<R> stream(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType) {
        ProtoBasePersistentEntity<?> pe = roots.entity(domainType);
        ResultProjection<R> projection = projection(pe, resultType);
        return transactions.stream(tx -> roots.stream(tx, pe, query, projection));
    }

    private <R> ResultProjection<R> projection(ProtoBasePersistentEntity<?> entity, Class<R> resultType) {
        try {
            Class<?> type = entity.getType();
            String root = entity.getRootName();
            return ResultProjection.of(entity, Objects.requireNonNull(resultType, "resultType"),
                    (tx, r) -> events.afterConvert(roots.read(tx, type, r), r, root), roots, mappingContext,
                    projections, instantiators);
        } catch (RuntimeException e) {
            throw transactions.translate(e);
        }
    }

    @Override
    public long count(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        return execute(false, tx -> roots.count(tx, pe, query));
    }

    @Override
    public boolean exists(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        return execute(false, tx -> roots.exists(tx, pe, query));
    }

    @Override
    public Explanation explain(ProtoBaseQuery query, Class<?> type) {
        ProtoBasePersistentEntity<?> pe = roots.entity(type);
        return execute(false, tx -> roots.explain(tx, pe, query));
    }
}
