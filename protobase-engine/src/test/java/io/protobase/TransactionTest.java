package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One database's transactions: snapshots, own writes, commit, abort, states, read-only use. */
class TransactionTest {

    private final MemoryStorage storage = new MemoryStorage();
    private final ObjectSpace space = new ObjectSpace(storage);
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    private void commitRoot(String name, Object value) {
        db.write(tx -> {
            tx.setRootObject(name, value);
            return null;
        });
    }

    private Object committedRoot(String name) {
        return db.read(tx -> tx.getRootObject(name));
    }

    // ------------------------------------------------------------------ reads and own writes

    @Test
    void rootThatWasNeverSetIsNull() {
        try (Transaction tx = db.newTransaction()) {
            assertThat(tx.getRootObject("missing")).isNull();
            assertThat(tx.hasRootObject("missing")).isFalse();
        }
    }

    @Test
    void transactionReadsItsOwnWrites() {
        try (Transaction tx = db.newTransaction()) {
            tx.setRootObject("name", "alice");
            tx.setRootObject("d", Dictionary.of("a", 1));
            assertThat(tx.getRootObject("name")).isEqualTo("alice");
            assertThat(tx.hasRootObject("name")).isTrue();

            Dictionary d = tx.getRootObject("d", Dictionary.class);
            tx.setRootObject("d", d.setAt("b", 2));
            assertThat(tx.getRootObject("d", Dictionary.class).asMap()).isEqualTo(Map.of("a", 1, "b", 2));

            tx.setRootObject("name", "bob");
            assertThat(tx.getRootObject("name")).isEqualTo("bob");
        }
        assertThat(committedRoot("name")).as("never committed").isNull();
    }

    @Test
    void transactionReadsItsOwnWritesOnTopOfCommittedCollections() {
        commitRoot("list", ProtoList.of(1, 2, 3));

        db.write(tx -> {
            ProtoList l = tx.getRootObject("list", ProtoList.class);
            tx.setRootObject("list", l.appendLast(4).removeAt(0));
            assertThat(tx.getRootObject("list", ProtoList.class).asList()).containsExactly(2, 3, 4);
            return null;
        });

        assertThat(((ProtoList) committedRoot("list")).asList()).containsExactly(2, 3, 4);
    }

    @Test
    void committedValuesKeepTheirTypes() {
        db.write(tx -> {
            tx.setRootObject("int", 7);
            tx.setRootObject("long", 7L);
            tx.setRootObject("double", 7.5);
            tx.setRootObject("string", "seven");
            tx.setRootObject("bool", true);
            return null;
        });

        db.read(tx -> {
            assertThat(tx.getRootObject("int")).isInstanceOf(Integer.class).isEqualTo(7);
            assertThat(tx.getRootObject("long")).isInstanceOf(Long.class).isEqualTo(7L);
            assertThat(tx.getRootObject("double")).isEqualTo(7.5);
            assertThat(tx.getRootObject("string")).isEqualTo("seven");
            assertThat(tx.getRootObject("bool")).isEqualTo(true);
            return null;
        });
    }

    @Test
    void snapshotDoesNotSeeLaterCommits() {
        commitRoot("x", 1);
        commitRoot("d", Dictionary.of("k", "old"));

        try (Transaction tx = db.newTransaction()) {
            assertThat(tx.getRootObject("x")).isEqualTo(1);
            commitRoot("x", 2);
            commitRoot("d", Dictionary.of("k", "new"));
            commitRoot("y", "appeared");

            assertThat(tx.getRootObject("x")).isEqualTo(1);
            assertThat(tx.getRootObject("d", Dictionary.class).getAt("k")).isEqualTo("old");
            assertThat(tx.getRootObject("y")).isNull();
        }
        assertThat(committedRoot("x")).isEqualTo(2);
    }

    @Test
    void getRootObjectWithTheWrongTypeSaysWhatTheRootIs() {
        commitRoot("x", "text");

        try (Transaction tx = db.newTransaction()) {
            assertThatThrownBy(() -> tx.getRootObject("x", Long.class))
                    .isInstanceOf(ClassCastException.class)
                    .hasMessageContaining("'x'")
                    .hasMessageContaining("java.lang.String");
        }
    }

    @Test
    void unsupportedValuesAreRefusedWhenSet() {
        try (Transaction tx = db.newTransaction()) {
            assertThatThrownBy(() -> tx.setRootObject("x", new Object()))
                    .isInstanceOf(UnsupportedValueException.class);
            assertThatThrownBy(() -> tx.setRootObject("x", Map.of("a", 1)))
                    .isInstanceOf(UnsupportedValueException.class)
                    .hasMessageContaining("Dictionary");
            assertThat(tx.getRootObject("x")).isNull();
        }
    }

    // ------------------------------------------------------------------ conflicts on single roots

    @Test
    void getAfterSetOfTheSameRootNeverConflicts() {
        commitRoot("x", 1);
        commitRoot("d", Dictionary.of("k", 1));
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 10);
        tx.setRootObject("d", Dictionary.of("k", 10));
        assertThat(tx.getRootObject("x")).isEqualTo(10);
        assertThat(tx.getRootObject("d", Dictionary.class).getAt("k")).isEqualTo(10);

        commitRoot("x", 2);
        commitRoot("d", Dictionary.of("k", 2, "other", 2));
        tx.commit();

        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
        assertThat(committedRoot("x")).isEqualTo(10);
        assertThat(((Dictionary) committedRoot("d")).asMap()).isEqualTo(Map.of("k", 10));
    }

    @Test
    void readOfARootChangedConcurrentlyConflictsNamingTheRoot() {
        commitRoot("x", 1);
        Transaction tx = db.newTransaction();
        int x = tx.getRootObject("x", Integer.class);
        tx.setRootObject("x", x + 1);

        commitRoot("x", 5);

        assertThatThrownBy(tx::commit)
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.database()).isEqualTo("db");
                    assertThat(e.root()).isEqualTo("x");
                    assertThat(e.key()).isNull();
                    assertThat(e.isRetryable()).isTrue();
                    assertThat(e.getMessage()).contains("'db'").contains("'x'").contains("retry");
                });
        assertThat(tx.state()).isEqualTo(Transaction.State.FAILED);
        assertThat(committedRoot("x")).isEqualTo(5);
        assertThat(space.statistics().conflicts()).isEqualTo(1);
    }

    @Test
    void readOfAnAbsentRootThatAppearsConcurrentlyConflicts() {
        Transaction tx = db.newTransaction();
        assertThat(tx.getRootObject("x")).isNull();
        tx.setRootObject("x", "mine");

        commitRoot("x", "theirs");

        assertThatThrownBy(tx::commit).isInstanceOf(ConflictException.class);
        assertThat(committedRoot("x")).isEqualTo("theirs");
    }

    @Test
    void readOfAnUnrelatedRootDoesNotConflict() {
        commitRoot("x", 1);
        commitRoot("y", 1);
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", tx.getRootObject("x", Integer.class) + 1);

        commitRoot("y", 2);
        tx.commit();

        assertThat(committedRoot("x")).isEqualTo(2);
        assertThat(committedRoot("y")).isEqualTo(2);
    }

    @Test
    void transactionThatOnlyReadsCommitsEvenIfWhatItReadChanged() {
        commitRoot("x", 1);
        Transaction tx = db.newTransaction();
        tx.getRootObject("x");
        commitRoot("x", 2);

        tx.commit();

        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
    }

    // ------------------------------------------------------------------ conflicts inside collection roots

    @Test
    void readOfAnAbsentKeyThatAppearsConcurrentlyConflictsNamingTheKey() {
        commitRoot("d", Dictionary.of("a", 1));
        Transaction tx = db.newTransaction();
        Dictionary d = tx.getRootObject("d", Dictionary.class);
        assertThat(d.getAt("new")).isNull();
        tx.setRootObject("flag", "saw no 'new'");

        db.write(t -> {
            t.setRootObject("d", t.getRootObject("d", Dictionary.class).setAt("new", 2));
            return null;
        });

        assertThatThrownBy(tx::commit).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.root()).isEqualTo("d");
            assertThat(e.key()).isEqualTo("new");
        });
        assertThat(committedRoot("flag")).isNull();
    }

    @Test
    void wholeCollectionReadConflictsWithAnyConcurrentChangeOfIt() {
        commitRoot("d", Dictionary.of("a", 1, "b", 2));
        Transaction tx = db.newTransaction();
        Dictionary d = tx.getRootObject("d", Dictionary.class);
        long sum = d.values().mapToLong(v -> ((Integer) v).longValue()).sum();
        tx.setRootObject("sum", sum);

        db.write(t -> {
            t.setRootObject("d", t.getRootObject("d", Dictionary.class).setAt("c", 3));
            return null;
        });

        assertThatThrownBy(tx::commit).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.root()).isEqualTo("d");
            assertThat(e.key()).as("the whole root").isNull();
        });
        assertThat(committedRoot("sum")).isNull();
    }

    @Test
    void readOfARootThatWasRemovedConcurrentlyConflicts() {
        commitRoot("d", Dictionary.of("a", 1));
        Transaction tx = db.newTransaction();
        tx.setRootObject("copy", tx.getRootObject("d", Dictionary.class).getAt("a"));

        db.write(t -> {
            t.removeRootObject("d");
            return null;
        });

        assertThatThrownBy(tx::commit).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.root()).isEqualTo("d"));
    }

    @Test
    void blindChangesOfACollectionRootAreReplayedOnAConcurrentCommit() {
        commitRoot("d", Dictionary.of("a", 1, "b", 2));
        Transaction tx = db.newTransaction();
        Dictionary d = tx.getRootObject("d", Dictionary.class);
        tx.setRootObject("d", d.setAt("x", 10).removeAt("a"));

        db.write(t -> {
            t.setRootObject("d", t.getRootObject("d", Dictionary.class).setAt("y", 20));
            return null;
        });
        tx.commit();

        assertThat(((Dictionary) committedRoot("d")).asMap()).isEqualTo(Map.of("b", 2, "x", 10, "y", 20));
    }

    @Test
    void collectionDerivedFromOneRootAndStoredUnderAnotherIsNotMergedIntoTheOther() {
        // two roots holding equal (here: empty) dictionaries share their tree
        db.write(tx -> {
            tx.setRootObject("template", Dictionary.empty());
            tx.setRootObject("target", Dictionary.empty());
            return null;
        });
        Transaction tx = db.newTransaction();
        Dictionary template = tx.getRootObject("template", Dictionary.class);
        tx.setRootObject("target", template.setAt("x", 1)); // target := template + x, target never read

        commitRoot("target", Dictionary.of("z", 9)); // a concurrent blind overwrite of target
        tx.commit();

        // serial orders allow {x=1} (tx after the overwrite) or {z=9} (tx before it), never a mix
        assertThat(((Dictionary) committedRoot("target")).asMap()).isEqualTo(Map.of("x", 1));
    }

    // ------------------------------------------------------------------ remove

    @Test
    void setRootObjectNullRemovesTheRoot() {
        commitRoot("x", 1);

        db.write(tx -> {
            tx.setRootObject("x", null);
            assertThat(tx.getRootObject("x")).isNull();
            assertThat(tx.hasRootObject("x")).isFalse();
            return null;
        });

        assertThat(committedRoot("x")).isNull();
    }

    @Test
    void removeRootObjectRemovesTheRootAndKeepsTheOthers() {
        commitRoot("x", 1);
        commitRoot("y", 2);

        db.write(tx -> {
            tx.removeRootObject("x");
            assertThat(tx.getRootObject("x")).isNull();
            return null;
        });

        assertThat(committedRoot("x")).isNull();
        assertThat(committedRoot("y")).isEqualTo(2);
        boolean present = new ObjectSpace(storage).getDatabase("db").read(tx -> tx.hasRootObject("x"));
        assertThat(present).isFalse();
    }

    @Test
    void removingAnAbsentRootAndSettingItAgainWorks() {
        db.write(tx -> {
            tx.removeRootObject("never");
            tx.setRootObject("x", 1);
            tx.removeRootObject("x");
            tx.setRootObject("x", 2);
            return null;
        });

        assertThat(committedRoot("never")).isNull();
        assertThat(committedRoot("x")).isEqualTo(2);
    }

    // ------------------------------------------------------------------ abort, close, states

    @Test
    void abortDiscardsTheChanges() {
        commitRoot("x", 1);
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 2);
        tx.setRootObject("y", 3);

        tx.abort();

        assertThat(tx.state()).isEqualTo(Transaction.State.ABORTED);
        assertThat(committedRoot("x")).isEqualTo(1);
        assertThat(committedRoot("y")).isNull();
    }

    @Test
    void closeWithoutCommitDiscardsTheChanges() {
        long sequence = space.statistics().sequence();
        try (Transaction tx = db.newTransaction()) {
            tx.setRootObject("x", 2);
        }

        assertThat(committedRoot("x")).isNull();
        assertThat(space.statistics().sequence()).isEqualTo(sequence);
    }

    @Test
    void closeAfterCommitKeepsTheCommit() {
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 1);
        tx.commit();
        tx.close();

        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
        assertThat(committedRoot("x")).isEqualTo(1);
    }

    @Test
    void functionThrowingInsideWriteCommitsNothingAndIsNotRetried() {
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> db.write(tx -> {
            attempts.incrementAndGet();
            tx.setRootObject("x", 1);
            throw new IllegalStateException("application failure");
        })).isInstanceOf(IllegalStateException.class).hasMessage("application failure");

        assertThat(attempts).hasValue(1);
        assertThat(committedRoot("x")).isNull();
    }

    @Test
    void newTransactionIsActiveAndCommitMakesItCommitted() {
        Transaction tx = db.newTransaction();
        assertThat(tx.state()).isEqualTo(Transaction.State.ACTIVE);
        assertThat(tx.isReadOnly()).isFalse();
        assertThat(tx.database()).isSameAs(db);
        tx.setRootObject("x", 1);

        tx.commit();

        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
    }

    @Test
    void committedTransactionRefusesEveryFurtherUse() {
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 1);
        tx.commit();

        assertThatThrownBy(() -> tx.getRootObject("x"))
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("committed");
        assertThatThrownBy(() -> tx.setRootObject("x", 2)).isInstanceOf(TransactionStateException.class);
        assertThatThrownBy(() -> tx.removeRootObject("x")).isInstanceOf(TransactionStateException.class);
        assertThatThrownBy(tx::commit).isInstanceOf(TransactionStateException.class);
        tx.abort();
        assertThat(tx.state()).as("abort after commit changes nothing").isEqualTo(Transaction.State.COMMITTED);
        assertThat(committedRoot("x")).isEqualTo(1);
    }

    @Test
    void abortedTransactionRefusesEveryFurtherUse() {
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 1);
        tx.abort();
        tx.abort();

        assertThatThrownBy(() -> tx.getRootObject("x"))
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("aborted");
        assertThatThrownBy(() -> tx.setRootObject("x", 2)).isInstanceOf(TransactionStateException.class);
        assertThatThrownBy(tx::commit).isInstanceOf(TransactionStateException.class);
        assertThat(tx.state()).isEqualTo(Transaction.State.ABORTED);
        assertThat(committedRoot("x")).isNull();
    }

    @Test
    void failedTransactionRefusesARetryOfItsCommit() {
        commitRoot("x", 1);
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", tx.getRootObject("x", Integer.class) + 1);
        commitRoot("x", 10);
        assertThatThrownBy(tx::commit).isInstanceOf(ConflictException.class);

        assertThatThrownBy(tx::commit)
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("failed")
                .hasMessageContaining("new transaction");
        assertThat(committedRoot("x")).isEqualTo(10);
    }

    @Test
    void aCommitRebasedOntoAConcurrentCommitWritesItsChangeOnce() {
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < 20_000; i++) {
            b.setAt(String.format("k%05d", i), i);
        }
        commitRoot("d", b.build());
        Transaction mine = db.newTransaction();
        Dictionary d = mine.getRootObject("d", Dictionary.class);
        mine.setRootObject("d", d.setAt("k19999", -1));

        long before = storage.bytesStored();
        db.write(tx -> {
            tx.setRootObject("d", tx.getRootObject("d", Dictionary.class).setAt("k00000", -1));
            return null;
        });
        long theirs = storage.bytesStored() - before;
        before = storage.bytesStored();
        mine.commit();
        long rebased = storage.bytesStored() - before;

        assertThat(committedRoot("d")).isInstanceOfSatisfying(Dictionary.class, r -> {
            assertThat(r.getAt("k00000")).isEqualTo(-1);
            assertThat(r.getAt("k19999")).isEqualTo(-1);
            assertThat(r.count()).isEqualTo(20_000);
        });
        // the rebased commit writes one root-to-leaf path, like the other; encoding the version on its
        // stale snapshot as well would double that
        assertThat(rebased).isLessThan(theirs * 3 / 2);
    }

    @Test
    void commitWithoutChangesPublishesNothing() {
        commitRoot("x", 1);
        long sequence = space.statistics().sequence();
        long bytes = storage.bytesStored();

        Transaction tx = db.newTransaction();
        tx.getRootObject("x");
        tx.commit();

        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
        assertThat(space.statistics().sequence()).isEqualTo(sequence);
        assertThat(storage.bytesStored()).isEqualTo(bytes);
    }

    // ------------------------------------------------------------------ read-only

    @Test
    void readOnlyTransactionRefusesWrites() {
        commitRoot("x", 1);
        Transaction tx = db.newReadOnlyTransaction();

        assertThat(tx.isReadOnly()).isTrue();
        assertThat(tx.getRootObject("x")).isEqualTo(1);
        assertThatThrownBy(() -> tx.setRootObject("x", 2))
                .isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> tx.removeRootObject("x")).isInstanceOf(TransactionStateException.class);
        tx.commit();
        assertThat(tx.state()).isEqualTo(Transaction.State.COMMITTED);
        assertThat(committedRoot("x")).isEqualTo(1);
    }

    @Test
    void readRunsInAReadOnlyTransaction() {
        assertThatThrownBy(() -> db.read(tx -> {
            tx.setRootObject("x", 1);
            return null;
        })).isInstanceOf(TransactionStateException.class);
        assertThat(committedRoot("x")).isNull();
    }

    // ------------------------------------------------------------------ write()

    @Test
    void writeReturnsTheResultOfItsFunction() {
        String result = db.write(tx -> {
            tx.setRootObject("x", 1);
            return "done";
        });
        assertThat(result).isEqualTo("done");
    }

    @Test
    void writeRetriesAConflictingFunctionInANewTransaction() {
        commitRoot("counter", 0L);
        AtomicInteger attempts = new AtomicInteger();

        long seen = db.write(tx -> {
            long c = tx.getRootObject("counter", Long.class);
            if (attempts.incrementAndGet() == 1) {
                commitRoot("counter", c + 100); // a concurrent commit between read and commit
            }
            tx.setRootObject("counter", c + 1);
            return c;
        });

        assertThat(attempts).hasValue(2);
        assertThat(seen).as("the retry read the concurrent commit").isEqualTo(100L);
        assertThat(committedRoot("counter")).isEqualTo(101L);
    }

    @Test
    void writeGivesUpAfterItsAttemptsWithTheLastConflict() {
        commitRoot("counter", 0L);
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> db.write(tx -> {
            long c = tx.getRootObject("counter", Long.class);
            attempts.incrementAndGet();
            commitRoot("counter", c + 100);
            tx.setRootObject("counter", c + 1);
            return null;
        })).isInstanceOf(ConflictException.class);

        assertThat(attempts).hasValue(Database.WRITE_ATTEMPTS);
        assertThat(committedRoot("counter")).isEqualTo(100L * Database.WRITE_ATTEMPTS);
    }
}
