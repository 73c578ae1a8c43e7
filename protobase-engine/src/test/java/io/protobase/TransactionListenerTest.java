package io.protobase;

import io.protobase.TransactionEvent.Outcome;
import io.protobase.storage.memory.MemoryStorage;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every transaction that ends is reported once, with its outcome, database and commit time. */
@ExpectedWarnings(value = ObjectSpace.class, messages = "^Transaction listener .* failed")
class TransactionListenerTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");
    private final List<TransactionEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void reportsCommitAbortAndConflictOncePerTransaction() {
        space.addTransactionListener(events::add);
        db.write(tx -> {
            tx.setRootObject("n", 1);
            return null;
        });
        try (Transaction tx = db.newTransaction()) {
            tx.setRootObject("n", 2);
        }
        Transaction loser = db.newTransaction();
        loser.setRootObject("n", (Integer) loser.getRootObject("n") + 1);
        db.write(tx -> {
            tx.setRootObject("n", 10);
            return null;
        });
        assertThatThrownBy(loser::commit).isInstanceOf(ConflictException.class);
        loser.close();
        db.read(tx -> tx.getRootObject("n"));

        assertThat(events).extracting(TransactionEvent::outcome)
                .containsExactly(Outcome.COMMITTED, Outcome.ABORTED, Outcome.COMMITTED, Outcome.CONFLICT,
                        Outcome.ABORTED);
        assertThat(events).allSatisfy(e -> assertThat(e.database()).isEqualTo("db"));
        assertThat(events.get(0).commitDuration()).isPositive();
        assertThat(events.get(1).commitDuration()).isZero();
        assertThat(events.get(3).failure()).isInstanceOf(ConflictException.class);
        assertThat(events.get(4).readOnly()).isTrue();
        assertThat(space.activeTransactions()).isZero();
    }

    @Test
    void aFailingListenerDoesNotChangeTheOutcomeAndRemovedListenersHearNothing() {
        TransactionListener failing = e -> {
            throw new IllegalStateException("listener bug");
        };
        space.addTransactionListener(failing);
        space.addTransactionListener(events::add);
        db.write(tx -> {
            tx.setRootObject("n", 1);
            return null;
        });
        Object n = db.read(tx -> tx.getRootObject("n"));
        assertThat(n).isEqualTo(1);
        assertThat(events).extracting(TransactionEvent::outcome).containsExactly(Outcome.COMMITTED, Outcome.ABORTED);

        List<TransactionEvent> late = new CopyOnWriteArrayList<>();
        TransactionListener listener = late::add;
        space.addTransactionListener(listener);
        space.removeTransactionListener(listener);
        db.read(tx -> tx.getRootObject("n"));
        assertThat(late).isEmpty();
    }
}
