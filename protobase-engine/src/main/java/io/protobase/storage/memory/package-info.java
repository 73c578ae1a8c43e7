/**
 * {@link io.protobase.storage.memory.MemoryStorage}: encoded atoms on the heap, for tests and
 * development. Implements only the storage SPI.
 */
package io.protobase.storage.memory;
