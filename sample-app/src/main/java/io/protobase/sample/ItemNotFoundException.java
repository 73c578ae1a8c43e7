package io.protobase.sample;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No item has the id of the request's path: answered as a 404 problem. */
class ItemNotFoundException extends ErrorResponseException {

    private static final long serialVersionUID = 1L;

    ItemNotFoundException(String id) {
        super(HttpStatus.NOT_FOUND, ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                "No item has id '" + id + "'. GET /items lists the items and their ids."), null);
    }
}
