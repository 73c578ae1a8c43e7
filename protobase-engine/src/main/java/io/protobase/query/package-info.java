/**
 * Queries over collections: composable, lazy plans ({@link io.protobase.query.FromPlan}, {@link
 * io.protobase.query.WherePlan}, {@link io.protobase.query.SelectPlan}, joins, grouping, ordering,
 * paging, index plans), the field expression DSL ({@link io.protobase.query.Field}, {@link
 * io.protobase.query.Expression}) that the optimizer can push into secondary indexes, {@code
 * explain()}, and the fluent {@link io.protobase.query.Query}. Depends on the collections, the codec's
 * {@link io.protobase.codec.ValueOrder} and the index SPI ({@link io.protobase.index}) only.
 */
package io.protobase.query;
