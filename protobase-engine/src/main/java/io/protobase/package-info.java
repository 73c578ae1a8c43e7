/**
 * The engine's entry points: {@link io.protobase.ObjectSpace} (named databases on one storage),
 * {@link io.protobase.Database} and serializable {@link io.protobase.Transaction}s, and the
 * exception hierarchy under {@link io.protobase.ProtoBaseException}. Depends on the collection
 * layer and the storage SPI; knows nothing of Spring.
 */
package io.protobase;
