package io.protobase.spring.autoconfigure;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.Database;
import io.protobase.HistoryExpiredException;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.spring.storage.LeasedFileStorage;
import io.protobase.spring.transaction.ProtoBaseTransactionManager;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizers;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Beans, defaults, properties and back-off of {@link ProtoBaseAutoConfiguration}. */
@ExpectedWarnings(loggers = "org.springframework.context",
        messages = "^Exception encountered during context initialization")
class ProtoBaseAutoConfigurationTests {

    private static final int MEGABYTE = 1024 * 1024;

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class));

    private ApplicationContextRunner onFile() {
        return runner.withPropertyValues("protobase.storage.file.path=" + dir.resolve("data"));
    }

    @Test
    void defaultsToAFileStorageAndTheDefaultDatabase() {
        onFile().run(context -> {
            assertThat(context).hasSingleBean(SharedStorage.class).hasSingleBean(ObjectSpace.class)
                    .hasSingleBean(Database.class).hasSingleBean(ProtoBaseTransactionManager.class)
                    .hasSingleBean(ProtoBaseLifecycle.class);
            assertThat(context.getBean(SharedStorage.class)).isInstanceOf(LeasedFileStorage.class);
            assertThat(((LeasedFileStorage) context.getBean(SharedStorage.class)).directory())
                    .isEqualTo(dir.resolve("data").toRealPath());
            assertThat(context.getBean(SharedStorage.class).describe()).contains("fsync=commit");
            assertThat(context.getBean(Database.class).name()).isEqualTo("default");
            assertThat(context.getBean(ObjectSpace.class).listDatabases()).containsExactly("default");
            assertThat(context.getBean(ProtoBaseLifecycle.class).isRunning()).isTrue();
        });
    }

    @Test
    void propertyDefaultsMatchTheDocumentation() {
        onFile().run(context -> {
            ProtoBaseProperties p = context.getBean(ProtoBaseProperties.class);
            assertThat(p.enabled()).isTrue();
            assertThat(p.storage().type()).isEqualTo(StorageType.FILE);
            assertThat(p.storage().file().fsync()).isEqualTo(FsyncPolicy.COMMIT);
            assertThat(p.storage().file().fsyncInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(p.storage().file().segmentSize().toMegabytes()).isEqualTo(64);
            assertThat(p.cache().maxSize().toMegabytes()).isEqualTo(128);
            assertThat(p.shutdown().timeout()).isEqualTo(Duration.ofSeconds(30));
        });
        runner.withPropertyValues("protobase.storage.type=memory")
                .run(context -> assertThat(context.getBean(ProtoBaseProperties.class).storage().file().path())
                        .isEqualTo(Path.of("protobase-data")));
    }

    @Test
    void databaseNameSelectsTheInjectedDatabase() {
        onFile().withPropertyValues("protobase.database=shop").run(context -> {
            assertThat(context.getBean(Database.class).name()).isEqualTo("shop");
            assertThat(context.getBean(ObjectSpace.class).listDatabases()).containsExactly("shop");
        });
    }

    @Test
    void fsyncPolicyIntervalAndSegmentSizeReachTheFileStorage() {
        onFile().withPropertyValues("protobase.storage.file.fsync=interval",
                "protobase.storage.file.fsync-interval=250ms",
                "protobase.storage.file.segment-size=1MB").run(context -> {
                    LeasedFileStorage storage = (LeasedFileStorage) context.getBean(SharedStorage.class);
                    assertThat(storage.options()).isEqualTo(new StandaloneFileStorage.Options(FsyncPolicy.INTERVAL,
                            Duration.ofMillis(250), MEGABYTE));
                    assertThat(storage.describe()).contains("fsync=interval");
                });
    }

    @Test
    void segmentSizeSetsWhereTheLogStartsANewSegmentFile() {
        onFile().withPropertyValues("protobase.storage.file.segment-size=1MB").run(context -> {
            Database db = context.getBean(Database.class);
            Random random = new Random(42);
            for (int i = 0; i < 12; i++) {
                // 256 KiB in small entries, so that no atom (tree node) comes near the segment size
                Dictionary.Builder blobs = Dictionary.builder();
                for (int n = 0; n < 64; n++) {
                    byte[] blob = new byte[4096];
                    random.nextBytes(blob);
                    blobs.setAt(n, blob);
                }
                Dictionary value = blobs.build();
                String name = "blobs" + i;
                db.write(tx -> {
                    tx.setRootObject(name, value);
                    return null;
                });
            }
            List<Path> segments = segmentFiles(dir.resolve("data"));
            // 3 MiB of atoms: with the default 64 MiB segments they would all share one file
            assertThat(segments).hasSizeGreaterThanOrEqualTo(3);
            for (Path segment : segments) {
                // a segment closes once it reaches the size, so the commit record crossing it ends past it
                assertThat(Files.size(segment)).as("size of %s", segment).isLessThan(MEGABYTE + 4096);
            }
        });
    }

    private static List<Path> segmentFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().matches("wal-[0-9a-f]{16}\\.pbl")).sorted().toList();
        }
    }

    @Test
    void cacheMaxSizeBoundsTheNodeCache() {
        onFile().withPropertyValues("protobase.cache.max-size=4MB").run(context -> assertThat(
                context.getBean(ObjectSpace.class).statistics().cacheMaxBytes()).isEqualTo(4L * MEGABYTE));
    }

    @Test
    void commitGroupDelayReachesTheObjectSpace() {
        onFile().withPropertyValues("protobase.commit.group-delay=2ms").run(context -> assertThat(
                context.getBean(ObjectSpace.class).groupCommitDelay()).isEqualTo(Duration.ofMillis(2)));
    }

    @Test
    void historyRetentionBoundsHowFarBackDatabaseAtReaches() {
        onFile().withPropertyValues("protobase.history.retention=2h").run(context -> {
            assertThat(context.getBean(ObjectSpace.class).historyRetention()).isEqualTo(Duration.ofHours(2));
            Database db = context.getBean(Database.class);
            assertThatThrownBy(() -> db.at(Instant.now().minus(Duration.ofHours(3))))
                    .isInstanceOf(HistoryExpiredException.class)
                    .hasMessageContaining("protobase.history.retention");
        });
    }

    @Test
    void historyMaxSpaceRatioBoundsTheSpaceHistoryTakesAndDefaultsToHalfTheLiveData() {
        onFile().run(context -> assertThat(context.getBean(ObjectSpace.class).historyMaxSpaceRatio()).isEqualTo(0.5));
        onFile().withPropertyValues("protobase.history.max-space-ratio=2.5").run(context ->
                assertThat(context.getBean(ObjectSpace.class).historyMaxSpaceRatio()).isEqualTo(2.5));
        onFile().withPropertyValues("protobase.history.max-space-ratio=Infinity").run(context ->
                assertThat(context.getBean(ObjectSpace.class).historyMaxSpaceRatio()).isInfinite());
        onFile().withPropertyValues("protobase.history.max-space-ratio=0").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("protobase.history.max-space-ratio")
                        .hasMessageContaining("must be positive"));
    }

    @Test
    void compactionPropertiesReachTheObjectSpaceWhoseCompactionReclaimsMemory() {
        runner.withPropertyValues("protobase.storage.type=memory", "protobase.history.retention=0s",
                "protobase.compaction.interval=1h", "protobase.compaction.live-fraction=0.75",
                "protobase.compaction.idle-live-fraction=0.8", "protobase.compaction.min-dead-bytes=0B",
                "protobase.compaction.bytes-per-second=64MB")
                .withBean(SharedStorage.class, () -> new MemoryStorage(16 * 1024))
                .run(context -> {
                    ObjectSpace space = context.getBean(ObjectSpace.class);
                    assertThat(space.compactionSettings()).isEqualTo(new ObjectSpace.CompactionSettings(0.75, 0.8, 0,
                            Duration.ofHours(1), 64L * 1024 * 1024));
                    Database db = context.getBean(Database.class);
                    for (int i = 0; i < 50; i++) {
                        String value = ("value " + i + " ").repeat(1000);
                        db.write(tx -> {
                            tx.setRootObject("big", value);
                            return null;
                        });
                    }
                    assertThat(space.compact().segmentsReleased()).isPositive();
                });
    }

    @Test
    void theDefaultCompactionRunsEveryThirtySecondsOnSegmentsLessThanHalfLiveAndNinetyPercentWhenIdle() {
        runner.withPropertyValues("protobase.storage.type=memory").run(context ->
                assertThat(context.getBean(ObjectSpace.class).compactionSettings()).isEqualTo(
                        new ObjectSpace.CompactionSettings(0.5, 0.9, 1024 * 1024, Duration.ofSeconds(30),
                                8L * 1024 * 1024)));
    }

    @Test
    void aCompactionLiveFractionAboveOneFailsTheStartupNamingTheProperty() {
        runner.withPropertyValues("protobase.storage.type=memory", "protobase.compaction.live-fraction=1.5")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("protobase.compaction.live-fraction")
                        .hasMessageContaining("between 0 and 1"));
    }

    @Test
    void aNegativeIdleLiveFractionFailsTheStartupNamingTheProperty() {
        runner.withPropertyValues("protobase.storage.type=memory", "protobase.compaction.idle-live-fraction=-0.1")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("protobase.compaction.idle-live-fraction")
                        .hasMessageContaining("between 0 and 1"));
    }

    @Test
    void theObjectSpaceBeanWritesOnlineBackups(@TempDir Path backups) {
        onFile().run(context -> {
            context.getBean(Database.class).write(tx -> {
                tx.setRootObject("greeting", "hello");
                return null;
            });
            Path backup = context.getBean(ObjectSpace.class).backup(backups.resolve("nightly")).directory();
            try (ObjectSpace restored = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(backup)))) {
                assertThat(restored.getDatabase("default").<Object>read(tx -> tx.getRootObject("greeting")))
                        .isEqualTo("hello");
            }
        });
    }

    @Test
    void objectSpaceDefaultsMatchTheDocumentation() {
        onFile().run(context -> {
            ObjectSpace space = context.getBean(ObjectSpace.class);
            assertThat(space.statistics().cacheMaxBytes()).isEqualTo(128L * MEGABYTE);
            assertThat(space.groupCommitDelay()).isZero();
            assertThat(space.historyRetention()).isEqualTo(Duration.ofMinutes(1));
            assertThat(((LeasedFileStorage) space.storage()).options())
                    .isEqualTo(StandaloneFileStorage.Options.defaults());
        });
    }

    @Test
    void memoryStorageKeepsNothingOnDisk() {
        runner.withPropertyValues("protobase.storage.type=memory").run(context -> {
            assertThat(context.getBean(SharedStorage.class)).isInstanceOf(MemoryStorage.class);
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("greeting", "hello");
                return null;
            });
            Object greeting = db.read(tx -> tx.getRootObject("greeting"));
            assertThat(greeting).isEqualTo("hello");
        });
    }

    @ParameterizedTest
    @CsvSource(nullValues = "missing", value = { "memory, MemoryStorageConfiguration",
            "MEMORY, MemoryStorageConfiguration", "file, FileStorageConfiguration",
            "missing, FileStorageConfiguration" })
    void theConditionsReportShowsTheOneStorageConfigurationThatTheTypeSelected(String type, String selected) {
        ApplicationContextRunner typed = type == null ? onFile() : onFile()
                .withPropertyValues("protobase.storage.type=" + type);
        typed.run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(SharedStorage.class);
            Map<String, Boolean> matched = new TreeMap<>();
            ConditionEvaluationReport.get(context.getBeanFactory()).getConditionAndOutcomesBySource()
                    .forEach((source, outcomes) -> {
                        if (source.matches("io\\.protobase\\.spring\\.autoconfigure\\.\\w+StorageConfiguration")) {
                            matched.put(source.substring(source.lastIndexOf('.') + 1), outcomes.isFullMatch());
                        }
                    });
            assertThat(matched).containsEntry(selected, true).containsOnlyKeys("MemoryStorageConfiguration",
                    "FileStorageConfiguration", "CloudStorageConfiguration", "ClusterStorageConfiguration",
                    "CloudClusterStorageConfiguration", selected);
            assertThat(matched.values()).containsOnlyOnce(true);
        });
    }

    @Test
    void aTypeSpelledSoThatItBindsButMatchesNoStorageConfigurationFailsNamingTheSpellingToUse() {
        onFile().withPropertyValues("protobase.storage.type=me-mo-ry").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(InvalidProtoBasePropertyException.class)
                    .hasMessageContaining("'me-mo-ry'").hasMessageContaining("protobase.storage.type")
                    .hasMessageContaining("Set it to 'memory'");
        });
    }

    @Test
    void anEmptyTypeFailsSayingItIsEmptyRatherThanFallingBackSilently() {
        onFile().withPropertyValues("protobase.storage.type=").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(InvalidProtoBasePropertyException.class)
                    .hasMessageContaining("protobase.storage.type").hasMessageContaining("it is empty")
                    .hasMessageContaining("remove it to use the default, file");
        });
    }

    @Test
    void disabledLeavesNoProtoBaseBeans() {
        onFile().withPropertyValues("protobase.enabled=false").run(context -> assertThat(context)
                .doesNotHaveBean(SharedStorage.class).doesNotHaveBean(ObjectSpace.class)
                .doesNotHaveBean(Database.class).doesNotHaveBean(ProtoBaseTransactionManager.class));
    }

    @Test
    void backsOffForTheApplicationsStorage() {
        onFile().withUserConfiguration(UserStorage.class).run(context -> {
            assertThat(context).hasSingleBean(SharedStorage.class);
            assertThat(context.getBean(ObjectSpace.class).storage()).isSameAs(context.getBean("userStorage"));
        });
    }

    @Test
    void backsOffForTheApplicationsObjectSpaceAndDatabase() {
        onFile().withUserConfiguration(UserSpaceAndDatabase.class).run(context -> {
            assertThat(context).hasSingleBean(ObjectSpace.class).hasSingleBean(Database.class);
            assertThat(context.getBean(ObjectSpace.class)).isSameAs(context.getBean("userSpace"));
            assertThat(context.getBean(Database.class).name()).isEqualTo("mine");
            assertThat(context.getBean(ProtoBaseTransactionManager.class).getDatabase())
                    .isSameAs(context.getBean(Database.class));
        });
    }

    @Test
    void backsOffForAnyTransactionManagerOfTheApplication() {
        onFile().withUserConfiguration(UserTransactionManager.class).run(context -> {
            assertThat(context).hasSingleBean(TransactionManager.class);
            assertThat(context).doesNotHaveBean(ProtoBaseTransactionManager.class);
        });
    }

    @Test
    void customizersRunInTheirOrderAfterThePropertiesSoTheirSettingsWin() {
        Instant fixed = Instant.parse("2030-01-02T03:04:05Z");
        onFile().withPropertyValues("protobase.cache.max-size=4MB")
                .withBean("runsSecond", ObjectSpaceCustomizer.class,
                        () -> new OrderedCustomizer(2, b -> b.cacheBytes(2L * MEGABYTE)))
                .withBean("runsFirst", ObjectSpaceCustomizer.class, () -> new OrderedCustomizer(1,
                        b -> b.cacheBytes(MEGABYTE).clock(Clock.fixed(fixed, ZoneOffset.UTC))))
                .run(context -> {
                    ObjectSpace space = context.getBean(ObjectSpace.class);
                    assertThat(space.statistics().cacheMaxBytes()).isEqualTo(2L * MEGABYTE);
                    Database db = context.getBean(Database.class);
                    db.write(tx -> {
                        tx.setRootObject("greeting", "hello");
                        return null;
                    });
                    assertThat(db.lastCommitTime()).isEqualTo(fixed);
                });
    }

    @Test
    void withoutSpringTxThereIsNoTransactionManagerButEverythingElseWorks() {
        onFile().withClassLoader(new FilteredClassLoader(PlatformTransactionManager.class)).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Database.class);
            assertThat(context).doesNotHaveBean("transactionManager");
        });
    }

    @Test
    void withoutBootsTransactionModuleThereIsNoTransactionManagerToCustomizeButEverythingElseWorks() {
        onFile().withClassLoader(new FilteredClassLoader(TransactionManagerCustomizers.class)).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Database.class);
            assertThat(context).doesNotHaveBean(ProtoBaseTransactionManager.class);
        });
    }

    @Test
    void withoutTheEngineNothingIsConfigured() {
        onFile().withClassLoader(new FilteredClassLoader(ObjectSpace.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SharedStorage.class));
    }

    /** A customizer with an explicit order, to check that customizers run sorted, not as registered. */
    record OrderedCustomizer(int order, ObjectSpaceCustomizer delegate) implements ObjectSpaceCustomizer, Ordered {
        @Override
        public void customize(ObjectSpace.Builder builder) {
            delegate.customize(builder);
        }

        @Override
        public int getOrder() {
            return order;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserStorage {
        @Bean
        SharedStorage userStorage() {
            return new MemoryStorage();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserSpaceAndDatabase {
        @Bean
        ObjectSpace userSpace() {
            return new ObjectSpace(new MemoryStorage());
        }

        @Bean
        Database userDatabase(ObjectSpace userSpace) {
            return userSpace.getDatabase("mine");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserTransactionManager {
        @Bean
        PlatformTransactionManager userTransactionManager() {
            return new AbstractPlatformTransactionManager() {
                @Override
                protected Object doGetTransaction() {
                    return new Object();
                }

                @Override
                protected void doBegin(Object transaction, org.springframework.transaction.TransactionDefinition d) {
                }

                @Override
                protected void doCommit(DefaultTransactionStatus status) {
                }

                @Override
                protected void doRollback(DefaultTransactionStatus status) {
                }
            };
        }
    }
}
