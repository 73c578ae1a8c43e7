package io.protobase.spring.data.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a property whose values get a secondary index on the entity's root collection, a field-path
 * index named after the property's dotted path ({@code city}, {@code address.city}). Derived queries
 * on the property then read the index instead of scanning. The index is created with the root, or
 * built from the stored records when the repository starts and finds it missing.
 *
 * <p>With {@code covering = true} each index entry also holds the record, so an equality or range
 * query on the property reads the matching entities straight from the index instead of looking each
 * one up by id (two orders of magnitude faster for a query returning many entities), at the cost of
 * storing every record a second time. Changing the flag rebuilds the index at the next start.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.FIELD, ElementType.METHOD, ElementType.ANNOTATION_TYPE })
public @interface Indexed {

    /** Whether the index entries hold the entities themselves (a covering index). */
    boolean covering() default false;
}
