package io.protobase;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * What {@link ObjectSpace#backup} or {@link ObjectSpace#copyTo} wrote.
 *
 * @param directory the backup, a file storage directory: open it with a {@code StandaloneFileStorage} to
 *        restore; {@code null} after {@link ObjectSpace#copyTo}
 * @param sequence sequence number of the version the backup holds (its newest, with history)
 * @param committedAt commit time of that version
 * @param versions versions of the space in the backup: 1, or more with {@link BackupOptions#includeHistory()}
 * @param atoms atoms written
 * @param bytes atom bytes written
 * @param took how long the backup took
 */
public record BackupResult(Path directory, long sequence, Instant committedAt, int versions, long atoms, long bytes,
        Duration took) {
}
