package io.protobase.spring.autoconfigure;

import io.protobase.StorageLockedException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Startup reports for storages that cannot be opened as configured. */
final class StorageFailureAnalyzers {

    private StorageFailureAnalyzers() {
    }

    /** {@code protobase.storage.type} names a backend this application does not have. */
    static final class TypeNotAvailable extends AbstractFailureAnalyzer<StorageTypeNotAvailableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StorageTypeNotAvailableException cause) {
            String type = cause.type().value();
            return new FailureAnalysis("ProtoBase cannot open its storage: protobase.storage.type is '" + type
                    + "', but the " + type + " storage backend is not available. It needs its own module and "
                    + "configuration (protobase.storage." + (type.startsWith("cloud") ? "cloud" : "cluster")
                    + ".*), which this application does not have. ProtoBase never falls back to another backend.",
                    "Set protobase.storage.type to 'file' (a local directory, protobase.storage.file.path) or "
                            + "'memory' (nothing kept after the process ends), or add and configure the module "
                            + "that provides the " + type + " backend.", cause);
        }
    }

    /** The directory of {@code protobase.storage.file.path} cannot be created or written. */
    static final class DirectoryUnusable extends AbstractFailureAnalyzer<StorageDirectoryUnusableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StorageDirectoryUnusableException cause) {
            return new FailureAnalysis("ProtoBase cannot open its storage: " + cause.getMessage(),
                    "Set protobase.storage.file.path to a directory this process can create and write, or fix "
                            + "the permissions of " + cause.path() + ".", cause);
        }
    }

    /** Another process holds the storage directory. */
    static final class Locked extends AbstractFailureAnalyzer<StorageLockedException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StorageLockedException cause) {
            return new FailureAnalysis("ProtoBase cannot open its storage (protobase.storage.file.path): "
                    + cause.getMessage(),
                    "Stop the other process using that directory, or set protobase.storage.file.path to a "
                            + "directory no other process uses (one directory belongs to one process at a time).",
                    cause);
        }
    }

    /** The cloud storage cannot be opened: no S3 client, missing bucket, bad credentials, unreachable endpoint. */
    static final class CloudUnusable extends AbstractFailureAnalyzer<CloudStorageUnusableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, CloudStorageUnusableException cause) {
            return new FailureAnalysis("ProtoBase cannot open its cloud storage (protobase.storage.type=cloud): "
                    + cause.getMessage(), cause.action(), cause);
        }
    }
}
