/** Auto-configuration of the {@code protobase} health contributor. Optional: needs Spring Boot's health module. */
package io.protobase.spring.autoconfigure.health;
