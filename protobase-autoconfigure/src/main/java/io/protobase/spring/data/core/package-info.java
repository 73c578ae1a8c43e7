/**
 * The ProtoBase data access core for Spring: {@link io.protobase.spring.data.core.ProtoBaseOperations}
 * and its template, which store entities as {@code DbObject} records in one root dictionary per
 * entity type inside ProtoBase transactions, and the entity-record converter. Depends on the engine,
 * the mapping and query sub-packages, and Spring Data Commons' mapping model.
 */
package io.protobase.spring.data.core;
