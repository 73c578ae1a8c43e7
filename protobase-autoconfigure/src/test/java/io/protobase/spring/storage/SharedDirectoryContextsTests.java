package io.protobase.spring.storage;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two application contexts of one JVM on one directory (cached test contexts, a DevTools restart)
 * share the open storage instead of failing with "already open"; the last one to close closes it.
 */
@ExpectedWarnings(value = FileStorageRegistry.class, messages = "is already open in this JVM")
class SharedDirectoryContextsTests {

    @TempDir
    Path dir;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class))
                .withPropertyValues("protobase.storage.file.path=" + dir);
    }

    private static Object n(Database db) {
        return db.read(tx -> tx.getRootObject("n"));
    }

    @Test
    void twoContextsOnOneDirectoryShareItAndTheLastToCloseClosesIt() {
        runner().run(first -> {
            Database one = first.getBean(Database.class);
            one.write(tx -> {
                tx.setRootObject("n", 1);
                return null;
            });
            runner().run(second -> {
                assertThat(second).hasNotFailed();
                assertThat(FileStorageRegistry.leases(dir)).isEqualTo(2);
                Database two = second.getBean(Database.class);
                assertThat(n(two)).isEqualTo(1);
                two.write(tx -> {
                    tx.setRootObject("n", (Integer) tx.getRootObject("n") + 1);
                    return null;
                });
            });
            assertThat(FileStorageRegistry.leases(dir)).isEqualTo(1);
            assertThat(first.getBean(ObjectSpace.class).isClosed()).isFalse();
            assertThat(n(one)).isEqualTo(2);
            one.write(tx -> {
                tx.setRootObject("n", (Integer) tx.getRootObject("n") + 1);
                return null;
            });
        });
        assertThat(FileStorageRegistry.leases(dir)).isZero();
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            assertThat(n(reopened.getDatabase("default"))).isEqualTo(3);
        }
    }

    @Test
    void aLaterContextAskingForOtherFileOptionsSeesTheOnesInForce() {
        runner().withPropertyValues("protobase.storage.file.segment-size=1MB").run(first -> runner()
                .withPropertyValues("protobase.storage.file.segment-size=2MB", "protobase.storage.file.fsync=interval")
                .run(second -> {
                    StandaloneFileStorage.Options inForce = StandaloneFileStorage.Options.defaults()
                            .withSegmentSize(1024 * 1024);
                    assertThat(((LeasedFileStorage) first.getBean(SharedStorage.class)).options()).isEqualTo(inForce);
                    assertThat(((LeasedFileStorage) second.getBean(SharedStorage.class)).options()).isEqualTo(inForce);
                }));
    }

    @Test
    void aRestartedContextOpensTheDirectoryAgain() {
        for (int round = 1; round <= 3; round++) {
            int expected = round;
            runner().run(context -> {
                Database db = context.getBean(Database.class);
                db.write(tx -> {
                    Integer n = (Integer) tx.getRootObject("n");
                    tx.setRootObject("n", n == null ? 1 : n + 1);
                    return null;
                });
                assertThat(n(db)).isEqualTo(expected);
            });
            assertThat(FileStorageRegistry.leases(dir)).isZero();
        }
    }
}
