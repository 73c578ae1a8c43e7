/** Auto-configuration of the {@code protobase.*} Micrometer meters. Optional: needs micrometer-core. */
package io.protobase.spring.autoconfigure.metrics;
