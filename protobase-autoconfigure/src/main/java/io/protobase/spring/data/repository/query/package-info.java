/**
 * Derived queries: method names parsed by Spring Data's {@code PartTree} and compiled into engine
 * expressions (index-capable) plus residual predicates, then run through the template. Depends on
 * {@code core}, {@code core.query} and Spring Data Commons' query parser.
 */
package io.protobase.spring.data.repository.query;
