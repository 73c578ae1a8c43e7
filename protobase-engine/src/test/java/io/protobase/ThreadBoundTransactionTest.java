package io.protobase;

import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Database.bind / unbind / currentTransaction: the per-thread scope integration layers use. */
class ThreadBoundTransactionTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void currentTransactionFailsClearlyWhenNoneIsBound() {
        assertThat(db.hasCurrentTransaction()).isFalse();
        assertThatThrownBy(db::currentTransaction)
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("No transaction on database 'db'")
                .hasMessageContaining("@Transactional")
                .hasMessageContaining("database.write");
    }

    @Test
    void boundTransactionIsReachableThroughAnyHandleOfTheSameDatabaseOnThisThreadOnly() throws Exception {
        try (Transaction tx = db.newTransaction()) {
            db.bind(tx);
            assertThat(space.getDatabase("db").currentTransaction()).isSameAs(tx);
            assertThat(space.getDatabase("other").hasCurrentTransaction()).isFalse();
            assertThat(CompletableFuture.supplyAsync(db::hasCurrentTransaction).get()).isFalse();
            assertThat(db.unbind()).isSameAs(tx);
        }
        assertThat(db.hasCurrentTransaction()).isFalse();
        assertThat(db.unbind()).isNull();
    }

    @Test
    void bindingASecondTransactionRequiresUnbindingTheFirst() {
        try (Transaction outer = db.newTransaction(); Transaction inner = db.newTransaction()) {
            db.bind(outer);
            assertThatThrownBy(() -> db.bind(inner))
                    .isInstanceOf(TransactionStateException.class)
                    .hasMessageContaining("already bound");
            Transaction suspended = db.unbind();
            db.bind(inner);
            assertThat(db.currentTransaction()).isSameAs(inner);
            db.unbind();
            db.bind(suspended);
            assertThat(db.currentTransaction()).isSameAs(outer);
            db.unbind();
        }
    }

    @Test
    void refusesEndedTransactionsOtherDatabasesAndHistoricalViews() {
        Transaction ended = db.newTransaction();
        ended.abort();
        assertThatThrownBy(() -> db.bind(ended)).isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("aborted");
        try (Transaction other = space.getDatabase("other").newTransaction()) {
            assertThatThrownBy(() -> db.bind(other)).isInstanceOf(TransactionStateException.class);
        }
        db.write(tx -> {
            tx.setRootObject("x", 1);
            return null;
        });
        Database past = db.at(db.lastCommitTime());
        try (Transaction tx = db.newTransaction()) {
            assertThatThrownBy(() -> past.bind(tx)).isInstanceOf(TransactionStateException.class);
            db.bind(tx);
            assertThatThrownBy(past::currentTransaction).isInstanceOf(TransactionStateException.class)
                    .hasMessageContaining("historical");
            db.unbind();
        }
    }
}
