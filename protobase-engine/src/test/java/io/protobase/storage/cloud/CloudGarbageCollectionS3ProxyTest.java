package io.protobase.storage.cloud;

import io.protobase.testing.S3ProxyBucket;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Garbage collection against a real S3-compatible server over HTTP (S3Proxy). */
class CloudGarbageCollectionS3ProxyTest extends CloudGarbageCollectionContract {

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @Override
    ObjectStore store() {
        return new S3ObjectStore(S3.client(), S3.bucket());
    }
}
