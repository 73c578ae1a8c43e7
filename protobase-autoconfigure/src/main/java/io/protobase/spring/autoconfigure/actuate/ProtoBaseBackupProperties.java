package io.protobase.spring.autoconfigure.actuate;

import io.protobase.spring.autoconfigure.InvalidProtoBasePropertyException;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Where the {@code protobase} actuator endpoint writes backups, bound from {@code protobase.backup.*}.
 *
 * @param directory the directory each backup gets a new timestamped subdirectory of (created when
 *                  missing); unset, the endpoint refuses to back up. Bound as text and read as a
 *                  file-system path, like the storage directories.
 */
@ConfigurationProperties("protobase.backup")
public record ProtoBaseBackupProperties(@Nullable String directory) {

    public ProtoBaseBackupProperties {
        if (directory != null) {
            if (directory.isBlank()) {
                throw new InvalidProtoBasePropertyException("protobase.backup.directory", directory,
                        "a directory path must not be blank",
                        "Set it to a directory such as ./protobase-backups, or remove it to refuse backups");
            }
            try {
                Path.of(directory);
            } catch (InvalidPathException e) {
                throw new InvalidProtoBasePropertyException("protobase.backup.directory", directory,
                        "it is not a valid path (" + e.getReason() + ")",
                        "Set it to a directory path such as ./protobase-backups");
            }
        }
    }

    /**
     * The backup directory as a path.
     *
     * @return the directory, or {@code null} when none is configured
     */
    public @Nullable Path path() {
        return directory == null ? null : Path.of(directory).normalize();
    }
}
