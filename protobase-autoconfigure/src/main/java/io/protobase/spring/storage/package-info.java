/**
 * Storage wiring for Spring applications: the JVM-wide registry that lets several application
 * contexts share one open file storage. Depends on the engine only.
 */
package io.protobase.spring.storage;
