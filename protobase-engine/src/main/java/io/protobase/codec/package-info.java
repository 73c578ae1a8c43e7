/**
 * The atom format: a versioned, closed set of type tags with bounded decoding, the total order of
 * keys ({@link io.protobase.codec.ValueOrder}) and the stable hash
 * ({@link io.protobase.codec.StableHash}). Engine-internal; depends only on the exception types and
 * {@link io.protobase.storage.AtomPointer}. Specified in {@code docs/atom-format.md}.
 */
package io.protobase.codec;
