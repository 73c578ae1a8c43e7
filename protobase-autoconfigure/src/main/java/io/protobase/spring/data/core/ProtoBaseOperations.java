package io.protobase.spring.data.core;

import io.protobase.Transaction;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.query.ProtoBaseQuery;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Entity-level operations on a ProtoBase database, each running in the calling thread's current
 * transaction when there is one ({@code @Transactional}), otherwise in a transaction of its own.
 * The repository factory, the repositories and their derived queries use only this interface, so
 * an application can give them an implementation of its own ({@code protoBaseTemplate} bean).
 */
public interface ProtoBaseOperations {

    /** Inserts or replaces {@code entity}, assigning its id and version; returns the stored instance. */
    <T> T save(T entity);

    /** Saves every entity in one transaction. */
    <T> List<T> saveAll(Iterable<T> entities);

    /** Reads the entity of {@code type} with {@code id}. */
    <T> Optional<T> findById(Object id, Class<T> type);

    /** Reads the entities of {@code type} that {@code query} selects, in its order and window. */
    <T> List<T> find(ProtoBaseQuery query, Class<T> type);

    /**
     * Reads what {@code query} selects from the entities of {@code domainType}, each returned as a
     * {@code resultType}: the entity itself, an interface projection (a closed one reads only the
     * properties it declares) or a DTO class whose properties are named after the entity's. A
     * {@link ProtoBaseQuery#distinctResults() distinct} query is distinct by the projected properties.
     */
    <R> List<R> find(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType);

    /**
     * Streams what {@code query} selects, as {@link #find(ProtoBaseQuery, Class, Class)} reads it, but
     * lazily: entities are read and converted as the stream is consumed. Outside a transaction the
     * stream reads one read-only snapshot, taken now, which stays open until the stream is closed:
     * close it (try-with-resources). Inside one, it reads that transaction, which must still be open.
     *
     * <p>The default reads every result at once with {@link #find(ProtoBaseQuery, Class, Class)}, from
     * one snapshot as well, and streams the list: the same results, without the laziness, for
     * implementations written before this method existed.
     */
    default <R> Stream<R> stream(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType) {
        return find(query, domainType, resultType).stream();
    }

    /** Counts the entities of {@code type} that {@code query} selects (order and window ignored). */
    long count(ProtoBaseQuery query, Class<?> type);

    /** Tells whether an entity of {@code type} matches {@code query}. */
    boolean exists(ProtoBaseQuery query, Class<?> type);

    /** Deletes the entity of {@code type} with {@code id}, if any; returns whether one was deleted. */
    boolean deleteById(Object id, Class<?> type);

    /** Deletes {@code entity}, checking its {@code @Version} when it has one. */
    void delete(Object entity);

    /** Deletes the entities of {@code type} that {@code query} selects, in one transaction; returns them. */
    <T> List<T> delete(ProtoBaseQuery query, Class<T> type);

    /** Deletes every entity of {@code type}, keeping the root's indexes. */
    void deleteAll(Class<?> type);

    /** Explains how {@code query} reads {@code type}'s root: index or scan, with estimates. */
    Explanation explain(ProtoBaseQuery query, Class<?> type);

    /** Runs {@code work} in the current transaction, or in a new one ({@code write} or read-only). */
    <R> R execute(boolean write, Function<Transaction, R> work);

    /**
     * Makes {@code type} ready for use: checks its mapping, registers its enum types and creates its
     * root with the {@code @Indexed} indexes, or adds the missing ones. The repository factory calls
     * it when it creates a repository, so mapping errors show at startup. Idempotent.
     */
    void prepare(Class<?> type);

    /** Returns the mapping metadata of the entities, which repositories and derived queries read. */
    ProtoBaseMappingContext getMappingContext();
}
