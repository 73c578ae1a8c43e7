/**
 * Configuration of ProtoBase repositories: {@code @EnableProtoBaseRepositories}, its registrar and
 * Spring Data's configuration extension. Depends on {@code core} and {@code repository.support}, and
 * on Spring Data Commons' repository configuration.
 */
package io.protobase.spring.data.repository.config;
