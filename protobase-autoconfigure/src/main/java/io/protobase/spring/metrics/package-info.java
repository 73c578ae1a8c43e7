/**
 * Micrometer meters ({@code protobase.*}) of an object space. Depends on the engine and
 * micrometer-core.
 */
package io.protobase.spring.metrics;
