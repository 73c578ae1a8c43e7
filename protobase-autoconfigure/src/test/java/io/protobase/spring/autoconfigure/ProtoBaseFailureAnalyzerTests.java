package io.protobase.spring.autoconfigure;

import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.parallel.Isolated;
import io.protobase.StorageLockedException;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.file.CrashingWriterMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.util.unit.DataSize;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad configuration fails the startup with a report naming the property and the fix. */
@ExtendWith(OutputCaptureExtension.class)
@ExpectedWarnings(loggers = "org.springframework.context",
        messages = "^Exception encountered during context initialization")
// alone: an application another class starts meanwhile resets Logback, which drops every event until its
// configuration is loaded again (Spring Boot's LogbackLoggingSystem), and the captured report can be lost
@Isolated
class ProtoBaseFailureAnalyzerTests {

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class));

    private final List<FailureAnalyzer> analyzers = List.of(new ProtoBasePropertiesFailureAnalyzer(),
            new StorageFailureAnalyzers.DirectoryUnusable(),
            new StorageFailureAnalyzers.Locked());

    private FailureAnalysis analyze(Throwable failure) {
        return analyzers.stream().map(a -> a.analyze(failure)).filter(a -> a != null).findFirst()
                .orElseThrow(() -> new AssertionError("no ProtoBase analysis of " + failure, failure));
    }

    private FailureAnalysis startupFailure(String... properties) {
        FailureAnalysis[] analysis = new FailureAnalysis[1];
        runner.withPropertyValues("protobase.storage.file.path=" + dir.resolve("data")).withPropertyValues(properties)
                .run(context -> {
                    assertThat(context).hasFailed();
                    analysis[0] = analyze(context.getStartupFailure());
                });
        return analysis[0];
    }

    @Test
    void unknownStorageTypeListsTheValidTypesRatherThanTheJavaEnum() {
        FailureAnalysis analysis = startupFailure("protobase.storage.type=bogus");
        assertThat(analysis.getDescription()).contains("'protobase.storage.type' has value 'bogus'")
                .contains("which is not one of memory, file, cloud, cluster, cloud-cluster")
                .doesNotContain("No enum constant").doesNotContain("io.protobase");
        assertThat(analysis.getAction())
                .isEqualTo("Set protobase.storage.type to one of memory, file, cloud, cluster, cloud-cluster.");
    }

    @Test
    void unknownCloudDurabilityListsTheValidValues() {
        FailureAnalysis analysis = startupFailure("protobase.storage.cloud.durability=eventually");
        assertThat(analysis.getDescription()).contains("which is not one of async, sync")
                .doesNotContain("No enum constant");
        assertThat(analysis.getAction()).isEqualTo("Set protobase.storage.cloud.durability to one of async, sync.");
    }

    @Test
    void aFailureOutsideProtoBaseWhileBindingBlamesNoProtoBaseProperty() {
        runner.withPropertyValues("protobase.storage.type=memory").withUserConfiguration(UnitConversion.class)
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).contains("the unit service is unreachable")
                            .contains("No protobase.* value caused it")
                            .doesNotContain("ProtoBase configuration is invalid").doesNotContain("has value");
                    assertThat(analysis.getAction()).contains("the protobase.* properties need no change");
                });
    }

    /**
     * The application's own conversion service, whose data-size converter needs a bean that cannot
     * be created: the way Spring Cloud AWS's S3 resource resolver needs an S3 client, which needs
     * a region.
     */
    @Configuration(proxyBeanMethods = false)
    static class UnitConversion {

        @Bean
        @Lazy
        UnitService unitService() {
            throw new IllegalStateException("the unit service is unreachable");
        }

        @Bean
        static ApplicationConversionService conversionService(ObjectProvider<UnitService> units) {
            ApplicationConversionService service = new ApplicationConversionService();
            service.addConverter(String.class, DataSize.class, text -> units.getObject().parse(text));
            return service;
        }
    }

    interface UnitService {
        DataSize parse(String text);
    }

    @ParameterizedTest
    @CsvSource({ "protobase.cache.max-size=-1MB, protobase.cache.max-size",
            "protobase.cache.max-size=0, protobase.cache.max-size",
            "protobase.storage.file.segment-size=1KB, protobase.storage.file.segment-size",
            "protobase.storage.file.segment-size=-64MB, protobase.storage.file.segment-size",
            "protobase.storage.file.fsync-interval=0s, protobase.storage.file.fsync-interval",
            "protobase.shutdown.timeout=-1s, protobase.shutdown.timeout",
            "protobase.commit.group-delay=-1ms, protobase.commit.group-delay",
            "protobase.history.retention=-1s, protobase.history.retention",
            "protobase.storage.cloud.gc-grace=0s, protobase.storage.cloud.gc-grace" })
    void impossibleValuesNameThePropertyAndTheFix(String setting, String property) {
        FailureAnalysis analysis = startupFailure(setting);
        assertThat(analysis.getDescription()).contains("'" + property + "'");
        assertThat(analysis.getAction()).startsWith("Set it to").contains(property);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "protobase.storage.file.fsync=sometimes | one of commit, interval, none",
            "protobase.shutdown.timeout=soon | a duration",
            "protobase.commit.group-delay=soon | a duration such as 1ms",
            "protobase.history.retention=forever | a duration",
            "protobase.cache.max-size=big | a positive data size",
            "protobase.storage.cloud.gc-grace=later | a positive duration such as 1h.",
            "protobase.repositories.enabled=maybe | true or false.",
            "protobase.history.retention=forever | a duration such as 1m, 2h or 7d, or 0s to keep no history." })
    void malformedValuesNameThePropertyAndWhatItExpects(String setting, String expected) {
        FailureAnalysis analysis = startupFailure(setting);
        String property = setting.substring(0, setting.indexOf('='));
        assertThat(analysis.getDescription()).contains("'" + property + "'");
        assertThat(analysis.getAction()).startsWith("Set " + property + " to " + expected);
    }

    /**
     * Every key IDEs complete (the starter's configuration metadata) that a malformed value can fail
     * to bind: the report says what the key takes rather than pointing at the documentation.
     */
    @ParameterizedTest
    @MethodSource("keysOfTheMetadataThatCanBeMalformed")
    void aMalformedValueOfAnyKeyInTheMetadataGetsAReportSayingWhatTheKeyTakes(String key) {
        FailureAnalysis analysis = startupFailure(key + "=not-a-value");
        assertThat(analysis.getDescription()).contains("'" + key + "' has value 'not-a-value'");
        assertThat(analysis.getAction()).startsWith("Set " + key + " to ").doesNotContain("a valid value")
                .doesNotContain("docs/configuration.md");
    }

    /**
     * The typed keys: any text binds to a text key or a list of texts. {@code protobase.enabled} is read by the
     * auto-configuration's condition before anything binds, and a value other than {@code true}
     * switches ProtoBase off, as with Boot's own {@code enabled} switches.
     */
    static Stream<String> keysOfTheMetadataThatCanBeMalformed() {
        List<String> keys = starterMetadata("properties").stream()
                .filter(p -> !String.class.getName().equals(p.get("type"))
                        && !"java.util.List<java.lang.String>".equals(p.get("type")))
                .map(p -> (String) p.get("name"))
                .filter(name -> name.startsWith("protobase.") && !name.equals("protobase.enabled")).toList();
        assertThat(keys).contains("protobase.cache.max-size", "protobase.storage.cloud.gc-grace");
        return keys.stream();
    }

    @Test
    void theMetadataDescribesTheHealthSwitchBoundByBootInAFullSentence() {
        Map<String, Object> health = starterMetadata("properties").stream()
                .filter(p -> p.get("name").equals("management.health.protobase.enabled")).findFirst()
                .orElseThrow(() -> new AssertionError("management.health.protobase.enabled is not in the metadata"));
        assertThat(health).containsEntry("type", "java.lang.Boolean").containsEntry("defaultValue", true);
        assertThat((String) health.get("description")).matches("[A-Z].*\\.").contains("ProtoBase health");
    }

    /** The entries of the starter's merged configuration metadata, as the build writes it for IDEs. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> starterMetadata(String section) {
        List<Map<String, Object>> entries = new ArrayList<>();
        try {
            Enumeration<URL> all = ProtoBaseFailureAnalyzerTests.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json");
            while (all.hasMoreElements()) {
                try (InputStream in = all.nextElement().openStream()) {
                    Map<String, Object> metadata = JsonParserFactory.getJsonParser()
                            .parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    List<Map<String, Object>> list = (List<Map<String, Object>>) metadata.get(section);
                    if (list != null && list.stream().anyMatch(p -> String.valueOf(p.get("name"))
                            .startsWith("protobase."))) {
                        entries.addAll(list);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    @Test
    void aPathUnderAFileNamesTheFileInTheWay() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        FailureAnalysis analysis = startupFailure("protobase.storage.file.path=" + file.resolve("data"));
        assertThat(analysis.getDescription()).contains(file.resolve("data") + " (protobase.storage.file.path)")
                .contains("it cannot be created: " + file + " is a file, not a directory");
        assertThat(analysis.getAction()).contains("Set protobase.storage.file.path")
                .contains("move the file " + file + " away");
    }

    @Test
    void aPathNamingAFileSaysItIsNotADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        FailureAnalysis analysis = startupFailure("protobase.storage.file.path=" + file);
        assertThat(analysis.getDescription()).contains(file + " (protobase.storage.file.path)")
                .contains("it is a file, not a directory").doesNotContain("FileAlreadyExistsException");
        assertThat(analysis.getAction()).contains("Set protobase.storage.file.path to a directory")
                .contains("move the file " + file + " away").doesNotContain("permissions");
    }

    @Test
    void aCloudCacheDirNamingAFileSaysItIsNotADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        runner.withBean(ObjectStore.class, MockS3Client::new).withPropertyValues("protobase.storage.type=cloud",
                "protobase.storage.cloud.bucket=shop-data",
                "protobase.storage.cloud.cache-dir=" + file).run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).contains(file + " (protobase.storage.cloud.cache-dir)")
                            .contains("it is a file, not a directory");
                    assertThat(analysis.getAction()).contains("Set protobase.storage.cloud.cache-dir to a directory");
                });
    }

    @Test
    void aDirectoryLockedByAnotherProcessNamesItsPid() throws Exception {
        Path data = dir.resolve("data");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashingWriterMain.class.getName(), data.toString(), "7")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.equals("ready"));
            assertThat(line).as("child output").isEqualTo("ready");

            runner.withPropertyValues("protobase.storage.file.path=" + data).run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause().isInstanceOf(StorageLockedException.class);
                FailureAnalysis analysis = analyze(context.getStartupFailure());
                assertThat(analysis.getDescription()).contains("PID " + child.pid()).contains("another process");
                assertThat(analysis.getAction()).contains("protobase.storage.file.path");
            });
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
    }

    @Test
    void springApplicationPrintsTheReport(CapturedOutput output) {
        SpringApplication app = new SpringApplication(MinimalApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        assertThatThrownBy(() -> app.run("--protobase.storage.type=cloud-cluster",
                "--protobase.storage.cluster.node-id=1", "--protobase.storage.cluster.peers=1@127.0.0.1:9871",
                "--protobase.storage.file.path=" + dir.resolve("data"), "--spring.main.banner-mode=off"))
                .hasRootCauseInstanceOf(InvalidProtoBasePropertyException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("'protobase.storage.cloud.bucket'").contains("the cloud-cluster storage needs a bucket")
                .contains("Set it to the name of an existing S3 bucket");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ProtoBaseAutoConfiguration.class)
    static class MinimalApplication {
    }
}
