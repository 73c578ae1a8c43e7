/**
 * Secondary indexes of the persistent collections: how an index is declared ({@link
 * io.protobase.index.IndexDefinition}), how a record's index keys are found ({@link
 * io.protobase.index.FieldPath}), and what an index offers the query optimizer ({@link
 * io.protobase.index.SecondaryIndex}, {@link io.protobase.index.IndexedCollection}). Depends on the
 * codec only; the collections implement these interfaces.
 *
 * <p>The package is null-marked (JSpecify): a parameter, result or type argument may be {@code null}
 * only where it is annotated {@code @Nullable}.
 */
@NullMarked
package io.protobase.index;

import org.jspecify.annotations.NullMarked;
