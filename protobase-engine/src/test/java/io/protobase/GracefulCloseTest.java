package io.protobase;

import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** ObjectSpace.close(Duration): refuse new transactions, wait (bounded) for running ones, close. */
class GracefulCloseTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void waitsForARunningTransactionToCommitWhileRefusingNewOnes() {
        Transaction running = db.newTransaction();
        running.setRootObject("n", 1);
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> space.close(Duration.ofMinutes(1)));

        await().until(space::isClosing);
        assertThatThrownBy(db::newTransaction).isInstanceOf(StorageClosedException.class)
                .hasMessageContaining("shutting down");
        assertThat(closing).isNotDone();
        assertThat(space.isClosed()).isFalse();

        running.commit();
        assertThat(closing.join()).isTrue();
        assertThat(space.isClosed()).isTrue();
        assertThat(space.activeTransactions()).isZero();
    }

    @Test
    void givesUpAfterTheTimeoutAndTheStragglerFailsOnItsNextAccess() {
        Transaction straggler = db.newTransaction();
        assertThat(space.close(Duration.ofMillis(50))).isFalse();
        assertThat(space.isClosed()).isTrue();
        assertThatThrownBy(() -> straggler.getRootObject("n")).isInstanceOf(StorageClosedException.class);
    }

    @Test
    void closesAtOnceWhenNothingRunsAndIsIdempotent() {
        db.read(tx -> tx.getRootObject("n"));
        assertThat(space.close(Duration.ofMinutes(1))).isTrue();
        assertThat(space.close(Duration.ofMinutes(1))).isTrue();
        assertThat(space.isClosed()).isTrue();
    }
}
