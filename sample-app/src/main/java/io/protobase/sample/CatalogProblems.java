package io.protobase.sample;

import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Answers every 4xx of the API with an RFC 9457 problem ({@code application/problem+json}).
 * {@link ResponseEntityExceptionHandler} does so for Spring MVC's own errors (unknown path, wrong
 * method or media type, a query parameter of the wrong type) and for {@link ItemNotFoundException};
 * this class adds what a client needs to correct an invalid item: an {@code errors} member listing
 * each offending {@code field} with a {@code message}, and a {@code detail} that names them.
 *
 * <p>Defining this bean makes Spring Boot's own handler ({@code spring.mvc.problemdetails.enabled})
 * back off, so that property is not needed.
 */
@RestControllerAdvice
class CatalogProblems extends ResponseEntityExceptionHandler {

    /** One invalid field of a request, as listed in a problem's {@code errors}. */
    record FieldProblem(String field, String message) {
    }

    /** A body that broke {@link ItemRequest}'s constraints ({@code POST}, {@code PUT}). */
    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<FieldProblem> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(error -> new FieldProblem(error.getField(), error.getDefaultMessage()))
                .toList();
        ProblemDetail problem = invalidItem(ex.getBody(), "The item is invalid", errors);
        return handleExceptionInternal(ex, problem, headers, status, request);
    }

    /** A {@code PATCH} whose result would break {@link ItemRequest}'s constraints. */
    @ExceptionHandler
    ResponseEntity<Object> handleConstraintViolation(ConstraintViolationException ex, WebRequest request) {
        List<FieldProblem> errors = ex.getConstraintViolations().stream()
                .map(violation -> new FieldProblem(field(violation.getPropertyPath()), violation.getMessage()))
                .toList();
        ProblemDetail problem = invalidItem(ProblemDetail.forStatus(HttpStatus.BAD_REQUEST), ex.getMessage(), errors);
        return handleExceptionInternal(ex, problem, new HttpHeaders(), HttpStatus.BAD_REQUEST, request);
    }

    /** A body that is not JSON, or not the JSON of an item: unknown field, wrong type. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail problem = ProblemDetail.forStatus(status);
        if (ex.getCause() instanceof UnrecognizedPropertyException unknown) {
            String field = field(unknown);
            problem.setDetail("Unknown field '" + field + "'; an item has the fields "
                    + known(unknown.getKnownPropertyIds()) + ".");
            problem.setProperty("errors", List.of(new FieldProblem(field, "unknown field")));
        }
        else if (ex.getCause() instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            invalidItem(problem, "The body has a field of the wrong type",
                    List.of(new FieldProblem(field(mismatch), "must be " + describe(mismatch.getTargetType()))));
        }
        else if (ex.getCause() instanceof StreamReadException notJson) {
            problem.setDetail("The body is not valid JSON: " + notJson.getOriginalMessage());
        }
        else if (ex.getCause() instanceof JacksonException unreadable) {
            problem.setDetail("The body cannot be read as an item: " + unreadable.getOriginalMessage());
        }
        else {
            problem.setDetail("The request needs a JSON body");
        }
        return handleExceptionInternal(ex, problem, headers, status, request);
    }

    private static ProblemDetail invalidItem(ProblemDetail problem, String what, List<FieldProblem> errors) {
        List<FieldProblem> sorted = errors.stream()
                .sorted(Comparator.comparing(FieldProblem::field).thenComparing(FieldProblem::message))
                .toList();
        problem.setDetail(what + ": " + sorted.stream()
                .map(error -> error.field() + " " + error.message())
                .collect(Collectors.joining("; ")) + ".");
        problem.setProperty("errors", sorted);
        return problem;
    }

    /** The JSON path of a validated property, in the form Spring's {@link FieldError} uses: {@code tags[0]}. */
    private static String field(Path path) {
        StringBuilder field = new StringBuilder();
        for (Path.Node node : path) {
            if (node.getIndex() != null) {
                field.append('[').append(node.getIndex()).append(']');
            }
            if (node.getKind() == ElementKind.PROPERTY) {
                field.append(field.isEmpty() ? "" : ".").append(node.getName());
            }
        }
        return field.toString();
    }

    /** The JSON path where Jackson failed, in the same form. */
    private static String field(JacksonException ex) {
        StringBuilder field = new StringBuilder();
        for (JacksonException.Reference reference : ex.getPath()) {
            if (reference.getIndex() >= 0) {
                field.append('[').append(reference.getIndex()).append(']');
            }
            else if (reference.getPropertyName() != null) {
                field.append(field.isEmpty() ? "" : ".").append(reference.getPropertyName());
            }
        }
        return field.toString();
    }

    private static String known(Collection<Object> fields) {
        return fields.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }
}
