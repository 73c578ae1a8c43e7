/**
 * The cluster storage: every node keeps a byte-identical copy of every node's segments and the root,
 * replicated by Raft (Apache Ratis, an optional dependency). Only this package may use Ratis; it
 * depends on the storage SPI and the engine's exceptions, nothing above them.
 */
package io.protobase.storage.cluster;
