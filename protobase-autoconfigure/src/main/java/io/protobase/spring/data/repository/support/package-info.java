/**
 * Repository infrastructure: the factory and factory bean Spring Data uses to create ProtoBase
 * repositories, and the base implementation of {@code ProtoBaseRepository}'s methods. Depends on
 * {@code core}, {@code repository.query} and Spring Data Commons' repository support.
 */
package io.protobase.spring.data.repository.support;
