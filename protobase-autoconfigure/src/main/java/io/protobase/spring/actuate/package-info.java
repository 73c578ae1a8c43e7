/**
 * The {@code protobase} actuator endpoint: what the object space holds and how its storage, cache
 * and compaction stand, and the compaction and backup operations. Depends on the engine's public API
 * and Spring Boot's actuator module.
 */
package io.protobase.spring.actuate;
