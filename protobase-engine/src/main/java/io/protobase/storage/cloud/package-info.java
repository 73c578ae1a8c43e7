/**
 * Storage on an S3-compatible object store: {@link io.protobase.storage.cloud.CloudFileStorage}
 * writes a local write-ahead log and ships it as immutable objects, advancing a root object with
 * conditional writes; {@link io.protobase.storage.cloud.CloudBlockProvider} holds the bucket
 * layout and the local disk cache; {@link io.protobase.storage.cloud.ObjectStore} is the small
 * object-store SPI, implemented on the AWS SDK v2 and in memory for tests. Depends on
 * {@code io.protobase.storage} and {@code io.protobase.storage.file}; the AWS SDK is optional and
 * only {@link io.protobase.storage.cloud.S3ObjectStore} touches it. Layout and protocol:
 * {@code docs/cloud.md}.
 */
package io.protobase.storage.cloud;
