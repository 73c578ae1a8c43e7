/**
 * Configuration annotations of the Spring Data module beyond repositories: {@code @EnableProtoBaseAuditing}
 * and its registrar, which wire Spring Data's auditing handler to the template through an entity
 * callback. Depends on Spring Data Commons' auditing support, {@code core.mapping} and
 * {@code core.mapping.event}.
 */
package io.protobase.spring.data.config;
