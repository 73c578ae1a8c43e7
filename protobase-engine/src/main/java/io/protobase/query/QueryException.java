package io.protobase.query;

import io.protobase.ProtoBaseException;

/**
 * A query cannot be built or run as written: an unsupported source, an unknown index name, a sort
 * key whose values cannot be ordered, a negative limit. The message names the offending part and
 * how to change the query.
 */
public class QueryException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    /**
     * A query error.
     *
     * @param message what is wrong with the query, naming the offending part, and how to change it
     */
    public QueryException(String message) {
        super(message);
    }
}
