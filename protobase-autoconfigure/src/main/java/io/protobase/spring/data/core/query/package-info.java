/**
 * Repository queries before they meet a collection: {@link io.protobase.spring.data.core.query.Criteria}
 * (an engine expression plus a residual predicate) and {@link io.protobase.spring.data.core.query.ProtoBaseQuery}
 * (criteria, order and window), which becomes an {@code io.protobase.query.Query}. Depends on the
 * engine's query package and Spring Data's {@code Sort}.
 */
package io.protobase.spring.data.core.query;
