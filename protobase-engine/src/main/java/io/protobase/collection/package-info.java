/**
 * Persistent, immutable collections on wide-node B+trees ({@link io.protobase.collection.Dictionary},
 * {@link io.protobase.collection.HashDictionary}, {@link io.protobase.collection.ProtoList},
 * {@link io.protobase.collection.ProtoSet}, {@link io.protobase.collection.CountedSet},
 * {@link io.protobase.collection.RepeatedKeysDictionary}) and the record type
 * {@link io.protobase.collection.DbObject}: the public types here are the ones applications use.
 * Nodes are atoms saved and loaded through the package-private {@code TreeStore}; depends on the
 * codec, the index definitions and the storage SPI, and on {@link io.protobase.collection.internal}.
 */
package io.protobase.collection;
