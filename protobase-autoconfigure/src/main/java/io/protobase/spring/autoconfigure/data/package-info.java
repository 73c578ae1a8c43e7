/**
 * Auto-configuration of ProtoBase repositories ({@code protobase.repositories.enabled}): the template,
 * the mapping context, and the repositories of the application's packages. Switches on when Spring
 * Data Commons is on the classpath.
 */
package io.protobase.spring.autoconfigure.data;
