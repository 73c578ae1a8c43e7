/**
 * Spring transaction management for ProtoBase: {@code @Transactional} methods run in one ProtoBase
 * transaction bound to the thread. Depends on the engine and spring-tx.
 */
package io.protobase.spring.transaction;
