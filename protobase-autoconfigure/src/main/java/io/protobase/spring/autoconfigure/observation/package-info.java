/**
 * Auto-configuration of the observations of ProtoBase transactions. Optional: needs
 * micrometer-observation and an {@code ObservationRegistry} bean.
 */
package io.protobase.spring.autoconfigure.observation;
