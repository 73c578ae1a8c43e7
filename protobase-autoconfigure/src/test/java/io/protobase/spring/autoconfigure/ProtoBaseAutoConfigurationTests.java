package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.storage.LeasedFileStorage;
import io.protobase.spring.transaction.ProtoBaseTransactionManager;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FsyncPolicy;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Beans, defaults, properties and back-off of {@link ProtoBaseAutoConfiguration}. */
class ProtoBaseAutoConfigurationTests {

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
    void fileOptionsAndDatabaseNameAreApplied() {
        onFile().withPropertyValues("protobase.database=shop", "protobase.storage.file.fsync=interval",
                "protobase.storage.file.fsync-interval=250ms", "protobase.storage.file.segment-size=1MB",
                "protobase.cache.max-size=4MB", "protobase.shutdown.timeout=5s", "protobase.commit.group-delay=2ms")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(Database.class).name()).isEqualTo("shop");
                    assertThat(context.getBean(SharedStorage.class).describe()).contains("fsync=interval");
                    ProtoBaseProperties p = context.getBean(ProtoBaseProperties.class);
                    assertThat(p.storage().file().fsyncInterval()).isEqualTo(Duration.ofMillis(250));
                    assertThat(p.storage().file().segmentSize().toBytes()).isEqualTo(1024 * 1024);
                    assertThat(p.cache().maxSize().toBytes()).isEqualTo(4 * 1024 * 1024);
                    assertThat(p.commit().groupDelay()).isEqualTo(Duration.ofMillis(2));
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
    void customizersAdjustTheObjectSpace() {
        onFile().withBean(ObjectSpaceCustomizer.class, () -> b -> b.cacheBytes(1234))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ObjectSpace.class));
    }

    @Test
    void withoutSpringTxThereIsNoTransactionManagerButEverythingElseWorks() {
        onFile().withClassLoader(new FilteredClassLoader(PlatformTransactionManager.class)).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Database.class);
            assertThat(context).doesNotHaveBean("transactionManager");
        });
    }

    @Test
    void withoutTheEngineNothingIsConfigured() {
        onFile().withClassLoader(new FilteredClassLoader(ObjectSpace.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SharedStorage.class));
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
