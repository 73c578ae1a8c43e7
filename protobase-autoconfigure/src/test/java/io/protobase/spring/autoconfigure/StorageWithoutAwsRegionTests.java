package io.protobase.spring.autoconfigure;

import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.parallel.Isolated;
import io.awspring.cloud.autoconfigure.core.AwsAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.s3.S3AutoConfiguration;
import io.protobase.Database;
import io.protobase.spring.storage.LeasedFileStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An application with Spring Cloud AWS's S3 starter on its classpath (docs/spring-boot.md suggests
 * it for the cloud storage) and no AWS region configured.
 *
 * <p>The starter builds its {@code S3Client} at startup and that needs a region, so such an
 * application cannot start whatever ProtoBase does, unless its beans are lazy: with
 * {@code spring.main.lazy-initialization=true} it starts exactly when nothing asks for the client,
 * which proves that the memory and file storages never do. Without lazy initialization the report
 * names the region property and does not blame any {@code protobase.*} property.
 *
 * <p>"No region" is made deterministic the way a user could: the region comes from a profile file
 * that has none ({@code spring.cloud.aws.region.profile.*}), so neither {@code AWS_REGION},
 * {@code aws.region}, {@code ~/.aws/config} nor an EC2 metadata service is consulted.
 */
@ExtendWith(OutputCaptureExtension.class)
@ExpectedWarnings(loggers = "org.springframework.context",
        messages = "^Exception encountered during context initialization")
// alone: an application another class starts meanwhile resets Logback, which drops every event until its
// configuration is loaded again (Spring Boot's LogbackLoggingSystem), and the captured report can be lost
@Isolated
class StorageWithoutAwsRegionTests {

    @TempDir
    Path dir;

    private final List<String> args = new ArrayList<>();

    @BeforeEach
    void profileWithoutRegion() throws IOException {
        Path config = Files.writeString(dir.resolve("aws-config"), "[default]\noutput = json\n");
        args.addAll(List.of("--spring.main.banner-mode=off", "--spring.cloud.aws.region.profile.name=default",
                "--spring.cloud.aws.region.profile.path=" + config));
    }

    private ConfigurableApplicationContext run(Class<?> application, String... more) {
        SpringApplication app = new SpringApplication(application);
        app.setWebApplicationType(WebApplicationType.NONE);
        args.addAll(List.of(more));
        return app.run(args.toArray(String[]::new));
    }

    @Test
    void memoryStorageNeverAsksForTheS3Client() {
        try (ConfigurableApplicationContext context = run(S3Application.class, "--spring.main.lazy-initialization=true",
                "--protobase.storage.type=memory")) {
            assertThat(context.getBean(SharedStorage.class)).isInstanceOf(MemoryStorage.class);
            Object written = context.getBean(Database.class).write(tx -> {
                tx.setRootObject("n", 1);
                return tx.getRootObject("n");
            });
            assertThat(written).isEqualTo(1);
        }
    }

    @Test
    void fileStorageWithAnExplicitPathNeverAsksForTheS3Client() throws IOException {
        Path data = dir.resolve("data");
        try (ConfigurableApplicationContext context = run(S3Application.class, "--spring.main.lazy-initialization=true",
                "--protobase.storage.type=file", "--protobase.storage.file.path=" + data)) {
            assertThat(((LeasedFileStorage) context.getBean(SharedStorage.class)).directory())
                    .isEqualTo(data.toRealPath());
        }
    }

    @Test
    void withEagerBeansTheReportNamesTheRegionAndBlamesNoProtoBaseProperty(CapturedOutput output) {
        assertThatThrownBy(() -> run(ApplicationUsingTheDatabase.class, "--protobase.storage.type=memory"))
                .isInstanceOf(RuntimeException.class);
        assertThat(output).contains("APPLICATION FAILED TO START").contains("No AWS region is configured")
                .contains("spring.cloud.aws.region.static").contains("memory storage does not use S3")
                .contains("spring.cloud.aws.s3.enabled=false")
                .doesNotContain("ProtoBase configuration is invalid");
    }

    @Test
    void cloudStorageWithoutARegionNamesTheRegionProperty(CapturedOutput output) {
        assertThatThrownBy(() -> run(ApplicationUsingTheDatabase.class, "--protobase.storage.type=cloud",
                "--protobase.storage.cloud.bucket=shop-data",
                "--protobase.storage.cloud.cache-dir=" + dir.resolve("cache")))
                .isInstanceOf(RuntimeException.class);
        assertThat(output).contains("APPLICATION FAILED TO START").contains("No AWS region is configured")
                .contains("Set spring.cloud.aws.region.static to the region of the bucket 'shop-data'")
                .doesNotContain("ProtoBase configuration is invalid");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ AwsAutoConfiguration.class, CredentialsProviderAutoConfiguration.class,
            RegionProviderAutoConfiguration.class, S3AutoConfiguration.class, ProtoBaseAutoConfiguration.class })
    static class S3Application {
    }

    /** An application whose own bean needs the database: ProtoBase's beans are created before the starter's. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ AwsAutoConfiguration.class, CredentialsProviderAutoConfiguration.class,
            RegionProviderAutoConfiguration.class, S3AutoConfiguration.class, ProtoBaseAutoConfiguration.class })
    static class ApplicationUsingTheDatabase {

        @Bean
        String greeting(Database database) {
            return "hello from " + database.name();
        }
    }
}
