/**
 * The engine's entry points: {@link io.protobase.ObjectSpace} (named databases on one storage),
 * {@link io.protobase.Database} and serializable {@link io.protobase.Transaction}s, and the
 * exception hierarchy under {@link io.protobase.ProtoBaseException}. Depends on the collection
 * layer and the storage SPI, and on the file storage only to write online backups (a backup is a
 * file storage directory); knows nothing of Spring.
 */
package io.protobase;
