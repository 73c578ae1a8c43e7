package io.protobase.spring.autoconfigure;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.testing.S3ProxyServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.protobase.Database;
import io.protobase.StorageUnavailableException;
import io.protobase.spring.metrics.ProtoBaseMetrics;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.spring.autoconfigure.metrics.ProtoBaseMetricsAutoConfiguration;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.awspring.cloud.autoconfigure.core.AwsAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code protobase.storage.type=cloud}: wired on Spring Cloud AWS's {@code S3Client} against an
 * S3-compatible server started by the test, with health, meters and startup failure reports.
 */
@ExpectedWarnings(loggers = {"org.springframework.context", "io.protobase.storage.cloud.CloudFileStorage"},
        messages = {"^Exception encountered during context initialization", "retrying with back-off"})
class CloudStorageAutoConfigurationTests {

    /** Spring Cloud AWS's auto-configuration of the {@code S3Client}. */
    static final AutoConfigurations SPRING_CLOUD_AWS = AutoConfigurations.of(AwsAutoConfiguration.class,
            CredentialsProviderAutoConfiguration.class, RegionProviderAutoConfiguration.class,
            S3AutoConfiguration.class);

    @RegisterExtension
    static final S3ProxyBucket S3 = new S3ProxyBucket();

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(SPRING_CLOUD_AWS)
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseHealthContributorAutoConfiguration.class, ProtoBaseMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    private ApplicationContextRunner cloud(String... more) {
        return runner.withPropertyValues("protobase.storage.type=cloud",
                        "protobase.storage.cloud.prefix=app-" + System.nanoTime(),
                        "protobase.storage.cloud.cache-dir=" + dir.resolve("cache"),
                        "protobase.storage.cloud.upload-interval=100ms")
                .withPropertyValues(springCloudAws(S3)).withPropertyValues(more);
    }

    /** The {@code spring.cloud.aws.*} properties of an S3 client of {@code s3}'s server. */
    static String[] springCloudAws(S3ProxyBucket s3) {
        return new String[] { "spring.cloud.aws.region.static=us-east-1",
                "spring.cloud.aws.credentials.access-key=" + S3ProxyServer.ACCESS_KEY,
                "spring.cloud.aws.credentials.secret-key=" + S3ProxyServer.SECRET_KEY,
                "spring.cloud.aws.s3.endpoint=" + s3.server().endpoint(),
                "spring.cloud.aws.s3.path-style-access-enabled=true" };
    }

    @Test
    void cloudStorageIsBuiltOnTheSpringCloudAwsClientAndKeepsData() {
        String prefix = "kept-" + System.nanoTime();
        cloud("protobase.storage.cloud.bucket=" + S3.bucket(), "protobase.storage.cloud.prefix=" + prefix,
                "protobase.storage.cloud.durability=sync").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(CloudFileStorage.class);
            CloudFileStorage storage = context.getBean(CloudFileStorage.class);
            assertThat(storage.durability()).isEqualTo(CloudFileStorage.Durability.SYNC);
            assertThat(storage.describe()).contains(S3.bucket()).contains(prefix);
            context.getBean(Database.class).write(tx -> {
                tx.setRootObject("greeting", "hello");
                return null;
            });
            Health health = context.getBean("protobaseHealthIndicator", HealthIndicator.class).health(true);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("type", "cloud").containsEntry("uploadBacklogBytes", 0L)
                    .containsEntry("bucketReachable", true).containsKey("oldestUnuploadedCommitAge");
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            context.getBean(ProtoBaseMetrics.class).bindTo(meters);
            assertThat(meters.get("protobase.cloud.upload.backlog").gauge().value()).isZero();
            assertThat(meters.get("protobase.cloud.upload.lag").timeGauge()).isNotNull();
            assertThat(meters.get("protobase.cloud.requests").tag("method", "put").functionCounter().count())
                    .isPositive();
        });
        // a second application with an empty cache reads it from the bucket
        cloud("protobase.storage.cloud.bucket=" + S3.bucket(), "protobase.storage.cloud.prefix=" + prefix,
                "protobase.storage.cloud.cache-dir=" + dir.resolve("other-cache")).run(context -> {
            assertThat(context).hasNotFailed();
            Object greeting = context.getBean(Database.class).read(tx -> tx.getRootObject("greeting"));
            assertThat(greeting).isEqualTo("hello");
        });
    }

    @Test
    void theApplicationsOwnObjectStoreIsUsed() {
        MockS3Client mock = new MockS3Client();
        cloud("protobase.storage.cloud.bucket=any").withBean(ObjectStore.class, () -> mock).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(SharedStorage.class).describe()).contains("mock S3");
        });
        assertThat(mock.keys()).anyMatch(k -> k.endsWith("root"));
    }

    @Test
    void syncHealthIsDownWhileTheBucketIsUnreachable() {
        MockS3Client mock = new MockS3Client();
        cloud("protobase.storage.cloud.bucket=any", "protobase.storage.cloud.durability=sync")
                .withBean(ObjectStore.class, () -> mock).run(context -> {
                    CloudFileStorage storage = context.getBean(CloudFileStorage.class);
                    HealthIndicator indicator = context.getBean("protobaseHealthIndicator", HealthIndicator.class);
                    mock.setDown(true);
                    // a sync commit needs the bucket: it fails, naming the bucket, instead of acknowledging
                    assertThatThrownBy(() -> context.getBean(Database.class).write(tx -> {
                        tx.setRootObject("x", 1);
                        return null;
                    })).isInstanceOf(StorageUnavailableException.class).hasMessageContaining(mock.describe());
                    Awaitility.await().until(() -> !storage.isBucketReachable());
                    Health health = indicator.health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.getDetails()).containsKey("lastUploadError");
                    mock.setDown(false);
                    Awaitility.await().atMost(Duration.ofSeconds(30))
                            .until(() -> indicator.health(true).getStatus().equals(Status.UP));
                });
    }

    @Test
    void pastMaxBacklogHealthIsDownAsCommitsWouldWaitAndUpOnceTheUploadsCatchUp() {
        MockS3Client mock = new MockS3Client();
        cloud("protobase.storage.cloud.bucket=any", "protobase.storage.cloud.max-backlog=1B")
                .withBean(ObjectStore.class, () -> mock).run(context -> {
                    HealthIndicator indicator = context.getBean("protobaseHealthIndicator", HealthIndicator.class);
                    // what the startup wrote is in the bucket, or the write below would wait for room first
                    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> indicator.health(true),
                            h -> Long.valueOf(0).equals(h.getDetails().get("uploadBacklogBytes")));
                    mock.setDown(true);
                    // async: the commit is locally durable; the next would wait for room in the backlog
                    context.getBean(Database.class).write(tx -> {
                        tx.setRootObject("x", 1);
                        return null;
                    });
                    Health down = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> indicator.health(true),
                            h -> Status.DOWN.equals(h.getStatus()));
                    assertThat((String) down.getDetails().get("reason")).contains("exceeds max-backlog (1 bytes)");
                    mock.setDown(false);
                    Awaitility.await().atMost(Duration.ofSeconds(30))
                            .until(() -> indicator.health(true).getStatus().equals(Status.UP));
                });
    }

    @Test
    void aMissingBucketFailsStartupWithAClearReport() {
        cloud("protobase.storage.cloud.bucket=no-such-bucket-" + System.nanoTime()).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new StorageFailureAnalyzers.CloudUnusable().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("does not exist");
            assertThat(analysis.getAction()).contains("protobase.storage.cloud.bucket");
        });
    }

    @Test
    void badCredentialsFailStartupWithAClearReport() {
        String[] properties = {"protobase.storage.cloud.bucket=" + S3.bucket(),
                "spring.cloud.aws.credentials.secret-key=wrong"};
        cloud(properties).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new StorageFailureAnalyzers.CloudUnusable().analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("denied");
            assertThat(analysis.getDescription()).doesNotContain("wrong");
            assertThat(analysis.getAction()).contains("credentials");
        });
    }

    @Test
    void aMissingBucketPropertyNamesIt() {
        cloud().run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new ProtoBasePropertiesFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("protobase.storage.cloud.bucket");
        });
    }

    @Test
    void withoutTheAwsSdkTheCloudTypeFailsClearlyAndOtherTypesStillStart() {
        ApplicationContextRunner noAws = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class))
                .withClassLoader(new FilteredClassLoader("software.amazon.awssdk", "io.awspring"));
        noAws.withPropertyValues("protobase.storage.type=memory").run(context -> assertThat(context).hasNotFailed());
        noAws.withPropertyValues("protobase.storage.type=cloud", "protobase.storage.cloud.bucket=b",
                "protobase.storage.cloud.cache-dir=" + dir.resolve("c")).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new StorageFailureAnalyzers.CloudUnusable().analyze(context.getStartupFailure());
            assertThat(analysis.getAction()).contains("spring-cloud-aws-starter-s3");
        });
    }

    @Test
    void theGcGraceIsBoundAndThePendingDeletionsAreReportedByHealthAndMeters() {
        cloud("protobase.storage.cloud.bucket=any", "protobase.storage.cloud.gc-grace=15m")
                .withBean(ObjectStore.class, MockS3Client::new).run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(CloudFileStorage.class).options().gcGrace())
                            .isEqualTo(Duration.ofMinutes(15));
                    Health health = context.getBean("protobaseHealthIndicator", HealthIndicator.class).health(true);
                    assertThat(health.getDetails()).containsEntry("pendingSegmentDeletions", 0)
                            .doesNotContainKey("lastGarbageCollectionError");
                    MeterRegistry meters = context.getBean(MeterRegistry.class);
                    context.getBean(ProtoBaseMetrics.class).bindTo(meters);
                    assertThat(meters.get("protobase.cloud.gc.pending").gauge().value()).isZero();
                });
    }

    @Test
    void theGcGraceDefaultsToOneHour() {
        cloud("protobase.storage.cloud.bucket=any").withBean(ObjectStore.class, MockS3Client::new).run(context ->
                assertThat(context.getBean(CloudFileStorage.class).options().gcGrace()).isEqualTo(Duration.ofHours(1)));
    }
}
