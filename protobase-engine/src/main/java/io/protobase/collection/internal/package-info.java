/**
 * Not API: the collection layer's engine side, public only because the engine's root package uses it.
 * Nothing here carries a compatibility promise; it changes without notice, and code outside the
 * engine must not use it (the build checks that). Here are the store binding collections to a
 * storage ({@link io.protobase.collection.internal.AtomStore}), the tracking that validates and
 * rebases transactions ({@link io.protobase.collection.internal.Tracking},
 * {@link io.protobase.collection.internal.AccessLog}), the walks over the atom graph
 * ({@link io.protobase.collection.internal.AtomGraph}) and its rewriting
 * ({@link io.protobase.collection.internal.AtomCopy}, {@link io.protobase.collection.internal.AtomRelocation}).
 * Part of the collection layer: it may use what {@code io.protobase.collection} may use, and that
 * package.
 */
package io.protobase.collection.internal;
