/**
 * Queries over collections: composable, lazy plans ({@link io.protobase.query.FromPlan}, {@link
 * io.protobase.query.WherePlan}, {@link io.protobase.query.SelectPlan}, joins, grouping, ordering,
 * paging, index plans), the field expression DSL ({@link io.protobase.query.Field}, {@link
 * io.protobase.query.Expression}) that the optimizer can push into secondary indexes, {@code
 * explain()}, and the fluent {@link io.protobase.query.Query}. Depends on the collections, the codec's
 * {@link io.protobase.codec.ValueOrder} and the index SPI ({@link io.protobase.index}) only.
 *
 * <p>The package is null-marked (JSpecify): a parameter, result or type argument may be {@code null}
 * only where it is annotated {@code @Nullable}. Records are {@code @Nullable Object}, since a
 * collection may hold {@code null}, and so are the constants of comparisons ({@code null} makes a
 * comparison {@code UNKNOWN}).
 */
@NullMarked
package io.protobase.query;

import org.jspecify.annotations.NullMarked;
