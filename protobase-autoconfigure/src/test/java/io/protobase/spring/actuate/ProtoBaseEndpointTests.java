package io.protobase.spring.actuate;

import io.protobase.BackupException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.spring.actuate.ProtoBaseEndpoint.BackupDescriptor;
import io.protobase.spring.actuate.ProtoBaseEndpoint.DatabaseDescriptor;
import io.protobase.spring.actuate.ProtoBaseEndpoint.RootDescriptor;
import io.protobase.spring.actuate.ProtoBaseEndpoint.SpaceDescriptor;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.actuate.ProtoBaseEndpointAutoConfiguration;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** The {@code protobase} actuator endpoint, through the auto-configured bean. */
class ProtoBaseEndpointTests {

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseEndpointAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory", "management.endpoints.web.exposure.include=protobase");

    private static void catalogue(Database db) {
        db.write(tx -> {
            tx.setRootObject("products", Dictionary.of("p1", DbObject.of("category", "books"), "p2",
                    DbObject.of("category", "games"), "p3", DbObject.of("category", "books"))
                    .withIndex(IndexDefinition.onField("category")));
            tx.setRootObject("settings", DbObject.of("currency", "EUR", "vat", 20));
            tx.setRootObject("version", 7);
            return null;
        });
    }

    @Test
    void listsEachDatabaseWithItsRootsTheirTypesSizesAndIndexes() {
        runner.run(context -> {
            catalogue(context.getBean(Database.class));
            context.getBean(ObjectSpace.class).getDatabase("audit");
            SpaceDescriptor space = context.getBean(ProtoBaseEndpoint.class).space();
            assertThat(space.databases()).extracting(DatabaseDescriptor::name).containsExactly("audit", "default");
            DatabaseDescriptor db = space.databases().get(1);
            assertThat(db.lastCommit()).isEqualTo(context.getBean(Database.class).lastCommitTime());
            assertThat(db.roots()).extracting(RootDescriptor::name, RootDescriptor::type, RootDescriptor::size)
                    .containsExactly(tuple("products", "Dictionary", 3L),
                            tuple("settings", "DbObject", 2L),
                            tuple("version", "Integer", null));
            assertThat(db.roots().get(0).indexes()).singleElement().satisfies(index -> {
                assertThat(index.name()).isEqualTo("category");
                assertThat(index.path()).isEqualTo("category");
                assertThat(index.entries()).isEqualTo(3);
                assertThat(index.distinctKeys()).isEqualTo(2);
            });
            assertThat(db.roots().get(1).indexes()).isEmpty();
        });
    }

    @Test
    void describesStorageCacheCountersAndCompaction() {
        runner.withPropertyValues("protobase.compaction.interval=0s").run(context -> {
            catalogue(context.getBean(Database.class));
            SpaceDescriptor space = context.getBean(ProtoBaseEndpoint.class).space();
            ObjectSpace.Statistics statistics = context.getBean(ObjectSpace.class).statistics();
            assertThat(space.storage().description())
                    .isEqualTo(context.getBean(ObjectSpace.class).storage().describe());
            assertThat(space.space().commits()).isEqualTo(1);
            assertThat(space.space().sequence()).isEqualTo(statistics.sequence());
            assertThat(space.space().bytesWritten()).isPositive();
            assertThat(space.cache().maxBytes()).isEqualTo(statistics.cacheMaxBytes());
            assertThat(space.compaction().interval()).isZero();
            assertThat(space.compaction().lastError()).isNull();
        });
    }

    @Test
    void fileStorageReportsItsSegments() {
        runner.withPropertyValues("protobase.storage.type=file", "protobase.storage.file.path=" + dir.resolve("data"))
                .run(context -> {
                    catalogue(context.getBean(Database.class));
                    SpaceDescriptor space = context.getBean(ProtoBaseEndpoint.class).space();
                    assertThat(space.storage().segments()).isPositive();
                    assertThat(space.storage().segmentBytes()).isPositive();
                });
    }

    @Test
    void selectorReadsOneDatabaseAndNeverCreatesAMissingOne() {
        runner.run(context -> {
            catalogue(context.getBean(Database.class));
            ProtoBaseEndpoint endpoint = context.getBean(ProtoBaseEndpoint.class);
            assertThat(endpoint.database("default").roots()).extracting(RootDescriptor::name)
                    .containsExactly("products", "settings", "version");
            assertThat(endpoint.database("nope")).isNull();
            assertThat(context.getBean(ObjectSpace.class).hasDatabase("nope")).isFalse();
        });
    }

    @Test
    void compactOperationRunsACompactionAndCountsIt() {
        runner.withPropertyValues("protobase.storage.type=file", "protobase.storage.file.path=" + dir.resolve("data"),
                "protobase.compaction.interval=0s").run(context -> {
                    catalogue(context.getBean(Database.class));
                    ProtoBaseEndpoint endpoint = context.getBean(ProtoBaseEndpoint.class);
                    Object run = endpoint.run("compact", null);
                    assertThat(run).isInstanceOf(ProtoBaseEndpoint.CompactionDescriptor.Run.class);
                    assertThat(endpoint.space().compaction().runs()).isEqualTo(1);
                });
    }

    @Test
    void backupGoesToANewTimestampedSubdirectoryWithMetadataAndRestores() {
        Path backups = dir.resolve("backups");
        runner.withPropertyValues("protobase.backup.directory=" + backups).run(context -> {
            catalogue(context.getBean(Database.class));
            ProtoBaseEndpoint endpoint = context.getBean(ProtoBaseEndpoint.class);
            BackupDescriptor first = (BackupDescriptor) endpoint.run("backup", null);
            BackupDescriptor second = (BackupDescriptor) endpoint.run("backup", true);

            assertThat(first.location()).isNotEqualTo(second.location());
            try (Stream<Path> children = Files.list(backups)) {
                assertThat(children.map(p -> p.getFileName().toString()))
                        .hasSize(2).allMatch(name -> name.matches("protobase-backup-\\d{8}T\\d{6}\\.\\d{3}Z(-\\d+)?"));
            }
            Path location = Path.of(first.location());
            assertThat(location.getParent()).isEqualTo(backups);
            Properties metadata = metadata(location);
            assertThat(metadata).containsEntry("data", "data").containsEntry("databases", "default")
                    .containsEntry("includeHistory", "false")
                    .containsEntry("sequence", Long.toString(first.sequence()));
            assertThat(load(second.location())).containsEntry("includeHistory", "true");

            try (ObjectSpace restored = new ObjectSpace(new StandaloneFileStorage(
                    new FileBlockProvider(Path.of(first.data()))))) {
                Object version = restored.getDatabase("default").read(tx -> tx.getRootObject("version"));
                assertThat(version).isEqualTo(7);
            }
        });
    }

    @Test
    void backupWithoutAConfiguredDirectoryIsRefusedAndSaysWhichPropertyToSet() {
        runner.run(context -> assertThatThrownBy(() -> context.getBean(ProtoBaseEndpoint.class).run("backup", null))
                .isInstanceOf(InvalidEndpointRequestException.class)
                .hasMessageContaining("No backup directory is configured")
                .hasMessageContaining("protobase.backup.directory"));
    }

    @Test
    void backupDirectoryThatCannotBeCreatedFailsWithABackupExceptionNamingTheProperty() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        runner.withPropertyValues("protobase.backup.directory=" + file.resolve("backups")).run(context -> {
            assertThatThrownBy(() -> context.getBean(ProtoBaseEndpoint.class).run("backup", null))
                    .isInstanceOf(BackupException.class).hasMessageContaining(file.resolve("backups").toString())
                    .hasMessageContaining("protobase.backup.directory");
            assertThat(file).hasContent("x");
        });
    }

    @Test
    void backupThatFailsLeavesNothingBehind() throws IOException {
        Path backups = dir.resolve("backups");
        runner.withPropertyValues("protobase.backup.directory=" + backups).run(context -> {
            context.getBean(ObjectSpace.class).close();
            assertThatThrownBy(() -> context.getBean(ProtoBaseEndpoint.class).run("backup", null))
                    .isInstanceOf(ProtoBaseException.class);
            try (Stream<Path> left = Files.list(backups)) {
                assertThat(left).isEmpty();
            }
        });
    }

    @Test
    void unknownOperationIsRefusedAndNamesTheValidOnes() {
        runner.run(context -> assertThatThrownBy(() -> context.getBean(ProtoBaseEndpoint.class).run("drop", null))
                .isInstanceOfSatisfying(InvalidEndpointRequestException.class, e -> assertThat(e.getReason())
                        .contains("'drop'").contains("/actuator/protobase/compact")
                        .contains("/actuator/protobase/backup")));
    }

    @Test
    void blankBackupDirectoryFailsTheStartupNamingTheProperty() {
        runner.withPropertyValues("protobase.backup.directory= ").run(context -> assertThat(context)
                .hasFailed().getFailure().rootCause().hasMessageContaining("protobase.backup.directory"));
    }

    @Test
    void noEndpointBeanWhenNoTechnologyExposesIt() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                        ProtoBaseEndpointAutoConfiguration.class))
                .withPropertyValues("protobase.storage.type=memory")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ProtoBaseEndpoint.class));
    }

    @Test
    void endpointCanBeSwitchedOff() {
        runner.withPropertyValues("management.endpoint.protobase.access=NONE")
                .run(context -> assertThat(context).doesNotHaveBean(ProtoBaseEndpoint.class));
    }

    @Test
    void noEndpointWithoutTheActuator() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ProtoBaseEndpoint.class));
    }

    @Test
    void backsOffForTheApplicationsOwnEndpoint() {
        runner.withUserConfiguration(OwnEndpoint.class).run(context -> assertThat(context)
                .getBeans(ProtoBaseEndpoint.class).containsOnlyKeys("myEndpoint"));
    }

    private static Properties metadata(Path location) throws IOException {
        assertThat(location.resolve(ProtoBaseEndpoint.METADATA)).isRegularFile();
        return load(location.toString());
    }

    private static Properties load(String location) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(location, ProtoBaseEndpoint.METADATA))) {
            p.load(in);
        }
        return p;
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEndpoint {

        @Bean
        ProtoBaseEndpoint myEndpoint(ObjectSpace space) {
            return new ProtoBaseEndpoint(space, null, Clock.systemUTC());
        }
    }
}
