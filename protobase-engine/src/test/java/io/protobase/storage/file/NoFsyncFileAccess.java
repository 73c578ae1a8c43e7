package io.protobase.storage.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * The platform file system with every fsync skipped. For tests that damage files explicitly and
 * check what recovery makes of them: durability across power loss is {@link PowerLossTest}'s
 * subject, and skipping thousands of fsyncs keeps their sweeps fast.
 */
final class NoFsyncFileAccess implements FileAccess {

    static final FileAccess INSTANCE = new NoFsyncFileAccess();

    private NoFsyncFileAccess() {
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        return new ForwardingFileChannel(FileChannel.open(path, options)) {
            @Override
            public void force(boolean metaData) {
                // skipped
            }
        };
    }

    @Override
    public void syncDirectory(Path directory) {
        // skipped
    }
}
