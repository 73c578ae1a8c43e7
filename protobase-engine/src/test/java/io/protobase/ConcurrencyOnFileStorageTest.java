package io.protobase;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The concurrency workloads (bank transfers, counters, disjoint writers, write skew, appends) on the
 * file storage, with small segments so the log rotates under load. fsync is off: durability is the
 * subject of the file storage's crash tests, not of these.
 */
class ConcurrencyOnFileStorageTest extends ConcurrencyTest {

    @Override
    SharedStorage createStorage() {
        Path dir = Path.of("target", "test-storage", "concurrency-" + UUID.randomUUID());
        return new StandaloneFileStorage(new FileBlockProvider(dir),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE).withSegmentSize(256 * 1024));
    }
}
