package io.protobase;

/**
 * Another writer took over the storage (it claimed a newer writer epoch on the same bucket and
 * prefix), so this one must stop: its root updates are refused and it writes nothing more. Close
 * this storage; the newer writer holds the history. Seen by a "zombie" process that kept running
 * after a replacement started, or by two deployments configured with the same location.
 */
public class FencedException extends StorageException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the storage and the newer writer epoch that fenced this one
     */
    public FencedException(String message) {
        super(message);
    }
}
