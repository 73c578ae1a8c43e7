package io.protobase.storage.file;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** The storage contract on the file backend, with small segments so rotation happens, and reopening. */
class StandaloneFileStorageTest extends SharedStorageContract {

    @TempDir
    Path root;

    private final AtomicInteger directories = new AtomicInteger();

    @Override
    protected SharedStorage createStorage() {
        return open(root.resolve("store-" + directories.incrementAndGet()));
    }

    @Override
    protected SharedStorage reopen(SharedStorage closed) {
        return open(((StandaloneFileStorage) closed).directory());
    }

    private static StandaloneFileStorage open(Path dir) {
        return new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withSegmentSize(256 * 1024));
    }
}
