/**
 * Secondary indexes of the persistent collections: how an index is declared ({@link
 * io.protobase.index.IndexDefinition}), how a record's index keys are found ({@link
 * io.protobase.index.FieldPath}), and what an index offers the query optimizer ({@link
 * io.protobase.index.SecondaryIndex}, {@link io.protobase.index.IndexedCollection}). Depends on the
 * codec only; the collections implement these interfaces.
 */
package io.protobase.index;
