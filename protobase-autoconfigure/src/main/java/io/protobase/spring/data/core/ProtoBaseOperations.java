package io.protobase.spring.data.core;

import io.protobase.Transaction;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.query.ProtoBaseQuery;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Entity-level operations on a ProtoBase database, each running in the calling thread's current
 * transaction when there is one ({@code @Transactional}), otherwise in a transaction of its own.
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

    /** Counts the entities of {@code type} that {@code query} selects (order and window ignored). */
    long count(ProtoBaseQuery query, Class<?> type);

    /** Tells whether an entity of {@code type} matches {@code query}. */
    boolean exists(ProtoBaseQuery query, Class<?> type);

    /** Deletes the entity of {@code type} with {@code id}, if any; returns whether one was deleted. */
    boolean deleteById(Object id, Class<?> type);

    /** Deletes {@code entity}, checking its {@code @Version} when it has one. */
    void delete(Object entity);

    /** Deletes every entity of {@code type}, keeping the root's indexes. */
    void deleteAll(Class<?> type);

    /** Explains how {@code query} reads {@code type}'s root: index or scan, with estimates. */
    Explanation explain(ProtoBaseQuery query, Class<?> type);

    /** Runs {@code work} in the current transaction, or in a new one ({@code write} or read-only). */
    <R> R execute(boolean write, Function<Transaction, R> work);
}
