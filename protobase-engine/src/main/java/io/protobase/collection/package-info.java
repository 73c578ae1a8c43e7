/**
 * Persistent, immutable collections on wide-node B+trees ({@link io.protobase.collection.Dictionary},
 * {@link io.protobase.collection.HashDictionary}, {@link io.protobase.collection.ProtoList},
 * {@link io.protobase.collection.ProtoSet}, {@link io.protobase.collection.CountedSet},
 * {@link io.protobase.collection.RepeatedKeysDictionary}) and the record type
 * {@link io.protobase.collection.DbObject}. Nodes are atoms saved and loaded through
 * {@link io.protobase.collection.AtomStore}; depends on the codec and the storage SPI.
 */
package io.protobase.collection;
