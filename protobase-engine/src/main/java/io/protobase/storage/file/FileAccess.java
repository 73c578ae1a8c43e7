package io.protobase.storage.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the file storage opens files and makes directory entries durable. The default uses the
 * platform's {@link FileChannel}; an alternative implementation can inject faults (torn or dropped
 * writes, failing fsyncs) in the spirit of H2's {@code FilePathReorderWrites}, to prove crash safety.
 */
public interface FileAccess {

    /** The platform file system. */
    FileAccess DEFAULT = new FileAccess() {
    };

    /** Opens a file channel. */
    default FileChannel open(Path path, OpenOption... options) throws IOException {
        return FileChannel.open(path, options);
    }

    /** Makes the creation, deletion or renaming of entries in {@code directory} durable. */
    default void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or fsync a directory; entries are then as durable as the OS makes them.
            if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
                throw e;
            }
        }
    }
}
