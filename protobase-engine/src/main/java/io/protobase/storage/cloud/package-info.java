/**
 * Storage on an S3-compatible object store: {@link io.protobase.storage.cloud.CloudFileStorage}
 * writes a local write-ahead log and ships it as immutable objects, advancing a root object with
 * conditional writes; {@link io.protobase.storage.cloud.CloudBlockProvider} holds the bucket
 * layout and the local disk cache; {@link io.protobase.storage.cloud.ObjectStore} is the small
 * object-store SPI, implemented on the AWS SDK v2 and in memory for tests. Depends on
 * {@code io.protobase.storage} and {@code io.protobase.storage.file}; the AWS SDK is optional and
 * only {@link io.protobase.storage.cloud.S3ObjectStore} touches it. Layout and protocol:
 * {@code docs/cloud.md}.
 *
 * <h2>Pieces</h2>
 * The public façade {@code CloudFileStorage} implements the SPI on its local log and delegates to
 * package-private classes with one job each:
 * <ul>
 * <li>{@code CacheDirectory}: the cache directory's lock and the id of the log it holds;</li>
 * <li>{@code RootObjectWriter}: the root object's ETag chain, the epoch claim at open and the root
 * update of each round; the only class that replaces an object ({@code putIfMatch});</li>
 * <li>{@code Uploader}: the background thread that ships the log as chunks and has the root
 * written; {@code UploadProgress}: the watermark, the round counts and failures, and the waits of
 * committers ({@code sync}, backlog, garbage collection) on its monitor;</li>
 * <li>{@code ChunkCollector}: the live and released lists of the root object, the
 * {@link io.protobase.storage.SegmentReclaimer} lent to compaction, and the deletion of released
 * and orphan chunks after the grace; the only class that deletes objects;</li>
 * <li>{@code WriterHealth}: closed, or fenced by a newer writer.</li>
 * </ul>
 * All of them log under the {@code CloudFileStorage} logger, the one category users configure for
 * the cloud storage. The build checks the two "only" rules ({@code SeparationOfJobsTest}).
 *
 * <h2>Locks</h2>
 * The upload monitor ({@code UploadProgress}) guards the watermark and the round state; the
 * collector's lock guards its lists and is never held while the upload monitor is taken, nor the
 * other way round. The uploader thread alone writes the root object's ETag, the orphan ages and the
 * fencing epoch it found.
 */
package io.protobase.storage.cloud;
