/**
 * The storage SPI every backend implements ({@link io.protobase.storage.SharedStorage}: push and read
 * atoms, compare-and-set the root under a fenced {@link io.protobase.storage.CommitLock}), atom
 * pointers, and the byte-bounded {@link io.protobase.storage.AtomCache}. Knows bytes and pointers,
 * never collections.
 */
package io.protobase.storage;
