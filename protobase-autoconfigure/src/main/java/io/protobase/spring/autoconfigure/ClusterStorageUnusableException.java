package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * The {@code cluster} or {@code cloud-cluster} storage cannot be opened as configured: Apache Ratis
 * missing from the classpath, the Raft port taken, a directory of another node. Carries what to
 * change, for the startup failure report.
 */
public class ClusterStorageUnusableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final StorageType type;
    private final String action;

    /**
     * A failure of the {@code cluster} storage.
     *
     * @param message what cannot be opened and why
     * @param action what to change so that it opens
     * @param cause the underlying failure, or {@code null}
     */
    public ClusterStorageUnusableException(String message, String action, Throwable cause) {
        this(StorageType.CLUSTER, message, action, cause);
    }

    /**
     * @param type the storage type that cannot be opened ({@code cluster} or {@code cloud-cluster})
     * @param message what cannot be opened and why
     * @param action what to change so that it opens
     * @param cause the underlying failure, or {@code null}
     */
    public ClusterStorageUnusableException(StorageType type, String message, String action, Throwable cause) {
        super(message, cause);
        this.type = type;
        this.action = action;
    }

    /** The storage type that cannot be opened. */
    public StorageType type() {
        return type;
    }

    /** What to change so that the storage opens. */
    public String action() {
        return action;
    }
}
