package io.protobase;

/**
 * A bucket prefix holds the database of another storage: another cluster (its root object names
 * another cluster id), or a single-node cloud storage where a cloud cluster was configured, or the
 * other way round. Nothing was written. Give each cluster and each storage its own prefix, or
 * configure the cluster id the prefix names.
 */
public class PrefixInUseException extends StorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the prefix, who holds it, and what to do
     */
    public PrefixInUseException(String message) {
        super(message);
    }
}
