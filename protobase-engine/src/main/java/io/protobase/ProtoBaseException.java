package io.protobase;

/**
 * Base of every exception ProtoBase throws on purpose. Messages say what happened, to what (a
 * database, a root, a key, a pointer, a path) and what the caller can do about it.
 *
 * <p>{@link #isRetryable()} tells whether repeating the same unit of work in a new transaction can
 * succeed; {@link ConflictException} is the usual retryable case.
 */
public class ProtoBaseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, to what, and what the caller can do
     */
    public ProtoBaseException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what happened, to what, and what the caller can do
     * @param cause   the underlying failure
     */
    public ProtoBaseException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether running the same work again in a fresh transaction may succeed.
     *
     * @return {@code true} for transient failures such as conflicts and unreachable services
     */
    public boolean isRetryable() {
        return false;
    }
}
