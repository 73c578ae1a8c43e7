package io.protobase.index;

import io.protobase.ProtoBaseException;

/**
 * A secondary index cannot be declared, maintained or used as asked: a duplicate or unknown index
 * name, an extractor function that is not registered after a reload, or records that cannot serve
 * as index entries. The message names the index and the fix.
 */
public class IndexException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * An index error.
     *
     * @param message what went wrong, naming the index, and how to fix it
     */
    public IndexException(String message) {
        super(message);
    }

    /**
     * An index error caused by another failure.
     *
     * @param message what went wrong, naming the index, and how to fix it
     * @param cause   the failure that caused it
     */
    public IndexException(String message, Throwable cause) {
        super(message, cause);
    }
}
