package io.protobase;

import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Transaction#rootNames()}: the roots of a snapshot, listed by read-only transactions only. */
class TransactionRootNamesTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void readOnlyTransactionListsTheRootsOfItsSnapshotInNameOrder() {
        db.write(tx -> {
            tx.setRootObject("orders", 1);
            tx.setRootObject("customers", 2);
            return null;
        });
        try (Transaction snapshot = db.newReadOnlyTransaction()) {
            db.write(tx -> {
                tx.setRootObject("later", 3);
                tx.removeRootObject("orders");
                return null;
            });
            assertThat(snapshot.rootNames()).containsExactly("customers", "orders");
        }
        assertThat(db.read(Transaction::rootNames)).containsExactly("customers", "later");
    }

    @Test
    void anEmptyDatabaseHasNoRoots() {
        assertThat(db.read(Transaction::rootNames)).isEmpty();
    }

    @Test
    void historicalViewListsTheRootsOfThatTime() {
        db.write(tx -> {
            tx.setRootObject("a", 1);
            return null;
        });
        Instant before = db.lastCommitTime();
        db.write(tx -> {
            tx.setRootObject("b", 2);
            return null;
        });
        assertThat(db.at(before).read(Transaction::rootNames)).containsExactly("a");
    }

    @Test
    void readWriteTransactionRefusesToListRootsAndSaysWhy() {
        try (Transaction tx = db.newTransaction()) {
            assertThatThrownBy(tx::rootNames).isInstanceOf(TransactionStateException.class)
                    .hasMessageContaining("database 'db'").hasMessageContaining("read-only transaction")
                    .hasMessageContaining("Database.read");
        }
    }
}
