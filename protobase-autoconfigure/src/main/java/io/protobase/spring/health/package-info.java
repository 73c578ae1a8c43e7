/**
 * The {@code protobase} actuator health indicator. Depends on the engine and Spring Boot's health
 * module.
 */
package io.protobase.spring.health;
