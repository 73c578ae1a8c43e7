package io.protobase.spring.data.core;

import io.protobase.BackupException;
import io.protobase.ConflictException;
import io.protobase.CorruptionException;
import io.protobase.DatabaseExistsException;
import io.protobase.DatabaseNotFoundException;
import io.protobase.HistoryExpiredException;
import io.protobase.ProtoBaseException;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import io.protobase.TransactionStateException;
import io.protobase.StaleReferenceException;
import io.protobase.UnsupportedValueException;
import io.protobase.index.IndexException;
import io.protobase.query.QueryException;
import io.protobase.spring.transaction.ProtoBaseConflictFailureException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataRetrievalFailureException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.InvalidDataAccessResourceUsageException;
import org.springframework.dao.NonTransientDataAccessResourceException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.dao.support.PersistenceExceptionTranslator;

/**
 * Maps the engine's exceptions ({@link ProtoBaseException} and its subtypes) to Spring's
 * {@link DataAccessException} hierarchy, so that code written against Spring's data access
 * exceptions, and retry tooling keyed on them, treats ProtoBase like any other store:
 *
 * <table>
 * <caption>ProtoBase exception → Spring exception</caption>
 * <tr><td>{@link ConflictException}</td><td>{@link ProtoBaseConflictFailureException} (an
 *     {@code OptimisticLockingFailureException}, so a {@code ConcurrencyFailureException}): retry</td></tr>
 * <tr><td>{@link StorageUnavailableException}</td>
 *     <td>{@link TransientDataAccessResourceException}: retry later</td></tr>
 * <tr><td>{@link CorruptionException}</td><td>{@link NonTransientDataAccessResourceException}: restore</td></tr>
 * <tr><td>other {@link StorageException}s (closed, locked, fenced), {@link BackupException}</td>
 *     <td>{@link DataAccessResourceFailureException}</td></tr>
 * <tr><td>{@link DatabaseNotFoundException}, {@link DatabaseExistsException}</td>
 *     <td>{@link InvalidDataAccessResourceUsageException}</td></tr>
 * <tr><td>{@link HistoryExpiredException}</td><td>{@link DataRetrievalFailureException}</td></tr>
 * <tr><td>{@link TransactionStateException}, {@link UnsupportedValueException}, {@link QueryException},
 *     {@link IndexException}, {@link StaleReferenceException}</td>
 *     <td>{@link InvalidDataAccessApiUsageException}</td></tr>
 * </table>
 *
 * <p>The translated exception keeps the engine's message (what happened, to what, what to do) and
 * the engine exception as its cause. Anything else, including a plain {@code ProtoBaseException},
 * is not translated ({@code null}), as the {@link PersistenceExceptionTranslator} contract asks.
 *
 * <p>The template translates the conflicts that escape its own transactions with it. As a bean
 * (the auto-configuration registers one) it is also what Spring's
 * {@code PersistenceExceptionTranslationPostProcessor} applies to {@code @Repository} beans.
 */
public class ProtoBaseExceptionTranslator implements PersistenceExceptionTranslator {

    @Override
    public DataAccessException translateExceptionIfPossible(RuntimeException ex) {
        if (!(ex instanceof ProtoBaseException)) {
            return null;
        }
        String message = ex.getMessage();
        if (ex instanceof ConflictException conflict) {
            return new ProtoBaseConflictFailureException(conflict);
        }
        if (ex instanceof StorageUnavailableException) {
            return new TransientDataAccessResourceException(message, ex);
        }
        if (ex instanceof CorruptionException) {
            return new NonTransientDataAccessResourceException(message, ex);
        }
        if (ex instanceof StorageException || ex instanceof BackupException) {
            return new DataAccessResourceFailureException(message, ex);
        }
        if (ex instanceof DatabaseNotFoundException || ex instanceof DatabaseExistsException) {
            return new InvalidDataAccessResourceUsageException(message, ex);
        }
        if (ex instanceof HistoryExpiredException) {
            return new DataRetrievalFailureException(message, ex);
        }
        if (ex instanceof TransactionStateException || ex instanceof UnsupportedValueException
                || ex instanceof QueryException || ex instanceof IndexException
                || ex instanceof StaleReferenceException) {
            return new InvalidDataAccessApiUsageException(message, ex);
        }
        return null;
    }
}
