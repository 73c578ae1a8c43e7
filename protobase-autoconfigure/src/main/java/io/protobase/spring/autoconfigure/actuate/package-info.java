/**
 * Auto-configuration of the {@code protobase} actuator endpoint and its {@code protobase.backup.*}
 * properties. Optional: needs Spring Boot's actuator auto-configuration.
 */
package io.protobase.spring.autoconfigure.actuate;
