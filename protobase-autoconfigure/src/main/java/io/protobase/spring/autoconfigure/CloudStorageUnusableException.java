package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * The {@code cloud} or {@code cloud-cluster} storage cannot be opened as configured: no S3 client, a
 * missing bucket, denied credentials, an unreachable endpoint, a prefix another database holds.
 * Carries what to change, for the startup failure report.
 */
public class CloudStorageUnusableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final StorageType type;
    private final String action;

    /**
     * A failure of the {@code cloud} storage.
     *
     * @param message what cannot be opened and why
     * @param action what to change so that it opens
     * @param cause the underlying failure, or {@code null}
     */
    public CloudStorageUnusableException(String message, String action, Throwable cause) {
        this(StorageType.CLOUD, message, action, cause);
    }

    /**
     * @param type the storage type that cannot be opened ({@code cloud} or {@code cloud-cluster})
     * @param message what cannot be opened and why
     * @param action what to change so that it opens
     * @param cause the underlying failure, or {@code null}
     */
    public CloudStorageUnusableException(StorageType type, String message, String action, Throwable cause) {
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
