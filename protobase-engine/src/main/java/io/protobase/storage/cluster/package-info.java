/**
 * The cluster storage: every node keeps a byte-identical copy of every node's segments and the root,
 * replicated by Raft (Apache Ratis, an optional dependency), and the cloud cluster storage, whose Raft
 * leader also ships the replicated segments to an S3 bucket in the cloud storage's object layout. Only
 * this package may use Ratis; it depends on the storage SPI, the file and cloud storages' pieces
 * ({@code io.protobase.storage.file}, {@code io.protobase.storage.cloud}: the object store, the root
 * object and its writer) and the engine's exceptions, nothing above them; the cloud package never
 * depends on this one ({@code LayeringTest}).
 */
package io.protobase.storage.cluster;
