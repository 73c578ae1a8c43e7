/**
 * Ahead-of-time processing support: the runtime hints (reflection, resources) of what the starter
 * reflects on, for Spring AOT and GraalVM native images. Depends on spring-core's AOT API and the
 * starter's own packages.
 */
package io.protobase.spring.aot;
