package io.protobase.spring.autoconfigure;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.StorageClosedException;
import io.protobase.Transaction;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Closing the context drains running transactions (bounded), then flushes and closes the storage. */
@ExpectedWarnings(value = ProtoBaseLifecycle.class, messages = "still running after")
class ProtoBaseLifecycleTests {

    @TempDir
    Path dir;

    private ApplicationContextRunner runner(String timeout) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class))
                .withPropertyValues("protobase.storage.file.path=" + dir, "protobase.shutdown.timeout=" + timeout);
    }

    @Test
    void shutdownWaitsForARunningTransactionAndRefusesNewOnes() {
        runner("1m").run(context -> {
            ObjectSpace space = context.getBean(ObjectSpace.class);
            Database db = context.getBean(Database.class);
            Transaction inFlight = db.newTransaction();
            inFlight.setRootObject("n", 42);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(
                    context.getSourceApplicationContext()::close);
            await().until(space::isClosing);
            assertThatThrownBy(db::newTransaction).isInstanceOf(StorageClosedException.class)
                    .hasMessageContaining("shutting down");
            assertThat(closing).isNotDone();
            assertThat(space.isClosed()).isFalse();

            inFlight.commit();
            closing.join();
            assertThat(space.isClosed()).isTrue();
        });
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Object n = reopened.getDatabase("default").read(tx -> tx.getRootObject("n"));
            assertThat(n).as("the drained transaction's commit is durable").isEqualTo(42);
        }
    }

    @Test
    void shutdownIsBoundedByTheTimeout() {
        runner("100ms").run(context -> {
            ObjectSpace space = context.getBean(ObjectSpace.class);
            Transaction stuck = context.getBean(Database.class).newTransaction();
            stuck.setRootObject("n", 1);
            context.getSourceApplicationContext().close();
            assertThat(space.isClosed()).isTrue();
            assertThatThrownBy(stuck::commit).isInstanceOf(StorageClosedException.class);
        });
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Object n = reopened.getDatabase("default").read(tx -> tx.getRootObject("n"));
            assertThat(n).isNull();
        }
    }
}
