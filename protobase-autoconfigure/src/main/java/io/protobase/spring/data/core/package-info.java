/**
 * The ProtoBase data access core for Spring: {@link io.protobase.spring.data.core.ProtoBaseOperations}
 * and its template, a coordinator that stores entities as {@code DbObject} records in one root
 * dictionary per entity type inside ProtoBase transactions; the pieces it delegates to (the entity
 * roots adapter, the id generator SPI and its default, the exception translator, the transaction
 * joiner, the version rules); and the entity-record converter. Depends on the engine, the mapping
 * and query sub-packages, Spring Data Commons' mapping model, Spring's DAO exceptions and its
 * transaction synchronization (the deadline of a Spring-managed transaction an operation joins).
 */
package io.protobase.spring.data.core;
