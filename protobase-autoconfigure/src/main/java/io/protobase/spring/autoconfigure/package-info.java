/**
 * Spring Boot auto-configuration of ProtoBase: properties ({@code protobase.*}), the storage, the
 * object space, the default database, {@code @Transactional} support, the shutdown lifecycle and
 * startup failure reports. Depends on the engine and Spring Boot; health and metrics live in
 * sub-packages that switch on with their optional dependencies.
 */
package io.protobase.spring.autoconfigure;
