/**
 * Annotations of ProtoBase entities: {@link io.protobase.spring.data.annotation.Root} names an
 * entity's root collection, {@link io.protobase.spring.data.annotation.Indexed} asks for a secondary
 * index. Identity and versions use Spring Data's own {@code @Id} and {@code @Version}. No dependencies.
 */
package io.protobase.spring.data.annotation;
