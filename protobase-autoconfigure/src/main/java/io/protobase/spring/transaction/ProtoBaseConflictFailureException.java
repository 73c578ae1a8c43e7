package io.protobase.spring.transaction;

import io.protobase.ConflictException;
import org.springframework.dao.OptimisticLockingFailureException;

/**
 * A {@code @Transactional} method's ProtoBase transaction could not commit because a concurrent
 * commit changed something it read. Nothing was committed. As an
 * {@link org.springframework.dao.ConcurrencyFailureException} it is what Spring's retry support
 * ({@code @Retryable}, {@code RetryTemplate}), spring-retry and Resilience4j retry on; retry the
 * whole transactional method, from outside it.
 */
public class ProtoBaseConflictFailureException extends OptimisticLockingFailureException {

    private static final long serialVersionUID = 1L;

    public ProtoBaseConflictFailureException(ConflictException cause) {
        super(cause.getMessage(), cause);
    }

    /** The engine's conflict: database, root and key. */
    public ConflictException getConflict() {
        return (ConflictException) getCause();
    }
}
