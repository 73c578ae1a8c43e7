/**
 * The repository interface applications extend: {@link io.protobase.spring.data.repository.ProtoBaseRepository}.
 * Depends on Spring Data Commons' repository interfaces only.
 */
package io.protobase.spring.data.repository;
