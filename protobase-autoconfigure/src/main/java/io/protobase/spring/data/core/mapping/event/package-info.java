/**
 * Lifecycle hooks of ProtoBase entities, as Spring Data MongoDB has them: entity callbacks
 * ({@code BeforeConvertCallback}, {@code BeforeSaveCallback}, {@code AfterSaveCallback},
 * {@code AfterConvertCallback}), invoked through Spring Data's {@code EntityCallbacks}, and the mapping
 * events the template publishes ({@code BeforeConvertEvent} … {@code AfterDeleteEvent}) with
 * {@code AbstractProtoBaseEventListener} to listen to them by entity type. Depends on Spring Data
 * Commons' callback API, Spring's application events and the engine's {@code DbObject}.
 */
package io.protobase.spring.data.core.mapping.event;
