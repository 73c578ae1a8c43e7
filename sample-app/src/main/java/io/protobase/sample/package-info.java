/**
 * The sample catalogue: a Spring Boot application that stores items in ProtoBase through the
 * starter and serves them over REST. Requests are records validated with Bean Validation and kept
 * apart from the stored {@link io.protobase.sample.Item}; errors are RFC 9457 problems.
 */
package io.protobase.sample;
