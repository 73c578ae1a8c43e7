package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * The {@code cluster} storage cannot be opened as configured: Apache Ratis missing from the
 * classpath, the Raft port taken, a directory of another node. Carries what to change, for the
 * startup failure report.
 */
public class ClusterStorageUnusableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final String action;

    /**
     * @param message what cannot be opened and why
     * @param action what to change so that it opens
     * @param cause the underlying failure, or {@code null}
     */
    public ClusterStorageUnusableException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    /** What to change so that the storage opens. */
    public String action() {
        return action;
    }
}
