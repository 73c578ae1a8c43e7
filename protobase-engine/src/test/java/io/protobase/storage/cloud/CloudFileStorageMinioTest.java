package io.protobase.storage.cloud;

import org.junit.jupiter.api.Tag;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The cloud storage on MinIO in a container; skipped where there is no Docker. */
@Testcontainers(disabledWithoutDocker = true)
@Tag("slow")
class CloudFileStorageMinioTest {

    @Container
    static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2025-02-28T09-55-16Z");

    @TempDir
    Path dir;

    @Test
    void commitsReachMinioAndAFreshNodeReadsThem() {
        try (S3Client client = S3Client.builder().endpointOverride(URI.create(MINIO.getS3URL())).forcePathStyle(true)
                .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(MINIO.getUserName(), MINIO.getPassword()))).build()) {
            client.createBucket(CreateBucketRequest.builder().bucket("protobase").build());
            ObjectStore store = new S3ObjectStore(client, "protobase");
            CloudFileStorage.Options sync = CloudFileStorage.Options.defaults()
                    .withDurability(CloudFileStorage.Durability.SYNC).withUploadInterval(Duration.ofMillis(50));
            AtomPointer p;
            try (CloudFileStorage s = new CloudFileStorage(new CloudBlockProvider(store, "m/", dir.resolve("a")),
                    sync)) {
                p = s.push("hello".getBytes());
                try (CommitLock lock = s.acquireCommitLock(Duration.ofSeconds(30))) {
                    assertThat(s.compareAndSetRoot(lock, null, p)).isTrue();
                }
            }
            try (CloudFileStorage s = new CloudFileStorage(new CloudBlockProvider(store, "m/", dir.resolve("b")),
                    sync)) {
                assertThat(s.readRoot()).isEqualTo(p);
                assertThat(s.read(p)).isEqualTo("hello".getBytes());
            }
        }
    }
}
