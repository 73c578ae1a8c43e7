package io.protobase.spring.autoconfigure;

/** The storage backends {@code protobase.storage.type} selects. */
public enum StorageType {

    /** Heap only: nothing survives the process. For tests and development. */
    MEMORY("memory"),
    /** A crash-safe write-ahead log in a local directory ({@code protobase.storage.file.*}). */
    FILE("file"),
    /**
     * S3 with a local write-ahead log and disk cache ({@code protobase.storage.cloud.*}); needs Spring Cloud AWS's S3
     * starter.
     */
    CLOUD("cloud"),
    /**
     * Replicated by Raft over a cluster of application nodes ({@code protobase.storage.cluster.*}); needs Apache
     * Ratis.
     */
    CLUSTER("cluster"),
    /**
     * A Raft cluster of application nodes whose leader uploads the data to S3 ({@code protobase.storage.cluster.*}
     * and {@code protobase.storage.cloud.*}); needs Apache Ratis and Spring Cloud AWS's S3 starter.
     */
    CLOUD_CLUSTER("cloud-cluster");

    private final String value;

    StorageType(String value) {
        this.value = value;
    }

    /** The value as written in configuration. */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }
}
