package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * The {@code cloud} storage cannot be opened as configured: no S3 client, a missing bucket, denied
 * credentials, an unreachable endpoint. Carries what to change, for the startup failure report.
 */
public class CloudStorageUnusableException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final String action;

    public CloudStorageUnusableException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    /** What to change so that the storage opens. */
    public String action() {
        return action;
    }
}
