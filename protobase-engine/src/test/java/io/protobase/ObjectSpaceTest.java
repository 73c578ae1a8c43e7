package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.storage.CommitLock;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The catalog of an object space: creating, listing, renaming and removing databases. */
class ObjectSpaceTest {

    private final MemoryStorage storage = new MemoryStorage();
    private final ObjectSpace space = new ObjectSpace(storage);

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void getDatabaseCreatesTheDatabaseDurably() {
        space.getDatabase("orders");

        ObjectSpace other = new ObjectSpace(storage);
        assertThat(other.hasDatabase("orders")).isTrue();
        assertThat(other.listDatabases()).containsExactly("orders");
        assertThat(other.getDatabase("orders").<Object>read(tx -> tx.getRootObject("anything"))).isNull();
    }

    @Test
    void getDatabaseOfAnExistingNameOpensItWithItsRoots() {
        space.getDatabase("db").write(tx -> {
            tx.setRootObject("greeting", "hello");
            return null;
        });
        long sequence = space.statistics().sequence();

        Database again = space.getDatabase("db");

        assertThat(again.<Object>read(tx -> tx.getRootObject("greeting"))).isEqualTo("hello");
        assertThat(space.statistics().sequence()).as("opening an existing database publishes nothing")
                .isEqualTo(sequence);
    }

    @Test
    void listDatabasesNamesEveryDatabaseInOrder() {
        assertThat(space.listDatabases()).isEmpty();
        for (String name : List.of("c", "a", "b", "a")) {
            space.getDatabase(name);
        }

        assertThat(space.listDatabases()).containsExactly("a", "b", "c");
        assertThat(space.hasDatabase("b")).isTrue();
        assertThat(space.hasDatabase("d")).isFalse();
    }

    @Test
    void databaseNamesMustBeNonEmpty() {
        assertThatThrownBy(() -> space.getDatabase(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> space.getDatabase("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(space.listDatabases()).isEmpty();
    }

    @Test
    void renameDatabaseMovesItsRootsAndTheOldHandleFails() {
        Database old = space.getDatabase("old");
        old.write(tx -> {
            tx.setRootObject("answer", 42);
            return null;
        });

        space.renameDatabase("old", "new");

        assertThat(space.listDatabases()).containsExactly("new");
        assertThat(space.getDatabase("new").<Object>read(tx -> tx.getRootObject("answer"))).isEqualTo(42);
        assertThatThrownBy(old::newTransaction)
                .isInstanceOf(DatabaseNotFoundException.class)
                .hasMessageContaining("old");
        assertThatThrownBy(() -> old.read(tx -> tx.getRootObject("answer")))
                .isInstanceOf(DatabaseNotFoundException.class);
        assertThatThrownBy(() -> old.write(tx -> {
            tx.setRootObject("answer", 43);
            return null;
        })).isInstanceOf(DatabaseNotFoundException.class);
        assertThat(new ObjectSpace(storage).listDatabases()).as("durable").containsExactly("new");
    }

    @Test
    void renameOntoAnExistingNameFailsAndChangesNothing() {
        space.getDatabase("a").write(tx -> {
            tx.setRootObject("x", "from a");
            return null;
        });
        space.getDatabase("b").write(tx -> {
            tx.setRootObject("x", "from b");
            return null;
        });
        long sequence = space.statistics().sequence();

        assertThatThrownBy(() -> space.renameDatabase("a", "b"))
                .isInstanceOf(DatabaseExistsException.class)
                .hasMessageContaining("'a'")
                .hasMessageContaining("'b'");

        assertThat(space.listDatabases()).containsExactly("a", "b");
        assertThat(space.getDatabase("a").<Object>read(tx -> tx.getRootObject("x"))).isEqualTo("from a");
        assertThat(space.getDatabase("b").<Object>read(tx -> tx.getRootObject("x"))).isEqualTo("from b");
        assertThat(space.statistics().sequence()).isEqualTo(sequence);
    }

    @Test
    void renameOfAMissingDatabaseFails() {
        assertThatThrownBy(() -> space.renameDatabase("ghost", "other"))
                .isInstanceOf(DatabaseNotFoundException.class)
                .hasMessageContaining("ghost");
        assertThat(space.listDatabases()).isEmpty();
    }

    @Test
    void transactionStartedBeforeARenameCannotCommit() {
        Database db = space.getDatabase("db");
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 1);

        space.renameDatabase("db", "renamed");

        assertThatThrownBy(tx::commit).isInstanceOf(DatabaseNotFoundException.class);
        assertThat(tx.state()).isEqualTo(Transaction.State.FAILED);
        assertThat(space.getDatabase("renamed").<Object>read(t -> t.getRootObject("x"))).isNull();
    }

    @Test
    void removeDatabaseDropsItAndARecreatedOneStartsEmpty() {
        Database db = space.getDatabase("tmp");
        db.write(tx -> {
            tx.setRootObject("x", 1);
            return null;
        });
        space.getDatabase("keep");

        space.removeDatabase("tmp");

        assertThat(space.listDatabases()).containsExactly("keep");
        assertThat(space.hasDatabase("tmp")).isFalse();
        assertThatThrownBy(db::newTransaction).isInstanceOf(DatabaseNotFoundException.class);
        assertThat(space.getDatabase("tmp").<Object>read(tx -> tx.getRootObject("x"))).isNull();
    }

    @Test
    void removeOfAMissingDatabaseFails() {
        assertThatThrownBy(() -> space.removeDatabase("ghost")).isInstanceOf(DatabaseNotFoundException.class);
    }

    @Test
    void transactionStartedBeforeARemoveCannotCommit() {
        Database db = space.getDatabase("db");
        Transaction tx = db.newTransaction();
        tx.setRootObject("x", 1);

        space.removeDatabase("db");

        assertThatThrownBy(tx::commit)
                .isInstanceOf(DatabaseNotFoundException.class)
                .hasMessageContaining("db");
        assertThat(space.listDatabases()).isEmpty();
    }

    @Test
    void commitsOnOneDatabaseNeverAffectTheOthers() {
        List<String> names = List.of("db0", "db1", "db2", "db3", "db4");
        Map<String, Map<String, Object>> model = new HashMap<>();
        for (String n : names) {
            space.getDatabase(n);
            model.put(n, new TreeMap<>());
        }
        Random rnd = new Random(7);
        // interleaved open transactions on different databases, committed in shuffled order
        for (int round = 0; round < 40; round++) {
            List<Transaction> open = new ArrayList<>();
            List<Runnable> onCommit = new ArrayList<>();
            for (String n : names) {
                if (rnd.nextBoolean()) {
                    Transaction tx = space.getDatabase(n).newTransaction();
                    String root = "r" + rnd.nextInt(4);
                    Object value = round * 10 + rnd.nextInt(10);
                    tx.setRootObject(root, value);
                    Dictionary d = tx.getRootObject("dict", Dictionary.class);
                    tx.setRootObject("dict", (d == null ? Dictionary.empty() : d).setAt(round, n));
                    open.add(tx);
                    onCommit.add(() -> model.get(n).put(root, value));
                }
            }
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).commit();
                onCommit.get(i).run();
                assertAllDatabasesMatch(space, names, model, round);
            }
        }
        assertAllDatabasesMatch(new ObjectSpace(storage), names, model, 40);
    }

    private static void assertAllDatabasesMatch(ObjectSpace s, List<String> names,
            Map<String, Map<String, Object>> model, int round) {
        assertThat(s.listDatabases()).containsExactlyElementsOf(names);
        for (String n : names) {
            s.getDatabase(n).read(tx -> {
                for (int r = 0; r < 4; r++) {
                    assertThat(tx.getRootObject("r" + r)).as("%s r%d after round %d", n, r, round)
                            .isEqualTo(model.get(n).get("r" + r));
                }
                Dictionary d = tx.getRootObject("dict", Dictionary.class);
                if (d != null) {
                    d.values().forEach(v -> assertThat(v).as("dict of %s", n).isEqualTo(n));
                }
                return null;
            });
        }
    }

    @Test
    void aNewObjectSpaceOnTheSameStorageSeesEverythingCommitted() {
        for (int i = 0; i < 5; i++) {
            int n = i;
            space.getDatabase("db" + i).write(tx -> {
                tx.setRootObject("n", n);
                tx.setRootObject("d", Dictionary.of("k", "v" + n));
                return null;
            });
        }
        space.removeDatabase("db3");
        space.renameDatabase("db4", "db9");

        ObjectSpace other = new ObjectSpace(storage);

        assertThat(other.listDatabases()).containsExactly("db0", "db1", "db2", "db9");
        for (String name : other.listDatabases()) {
            int n = name.equals("db9") ? 4 : name.charAt(2) - '0';
            other.getDatabase(name).read(tx -> {
                assertThat(tx.getRootObject("n")).isEqualTo(n);
                assertThat(tx.getRootObject("d", Dictionary.class).getAt("k")).isEqualTo("v" + n);
                return null;
            });
        }
    }

    @Test
    void twoObjectSpacesOnOneStorageSeeEachOthersCommitsAndConflicts() {
        ObjectSpace other = new ObjectSpace(storage);
        Database mine = space.getDatabase("db");
        Database theirs = other.getDatabase("db");
        mine.write(tx -> {
            tx.setRootObject("counter", 0L);
            return null;
        });
        assertThat(theirs.<Object>read(tx -> tx.getRootObject("counter"))).isEqualTo(0L);

        Transaction a = mine.newTransaction();
        Transaction b = theirs.newTransaction();
        a.setRootObject("counter", a.getRootObject("counter", Long.class) + 1);
        b.setRootObject("counter", b.getRootObject("counter", Long.class) + 1);
        b.commit();

        assertThatThrownBy(a::commit).isInstanceOf(ConflictException.class);
        assertThat(mine.<Object>read(tx -> tx.getRootObject("counter"))).isEqualTo(1L);
    }

    @Test
    void commitFailsWithAStorageExceptionWhenTheCommitLockStaysTaken() throws Exception {
        MemoryStorage shared = new MemoryStorage();
        try (ObjectSpace s = ObjectSpace.builder(shared).commitLockTimeout(Duration.ofMillis(50)).build()) {
            Database db = s.getDatabase("db");
            AtomicInteger attempts = new AtomicInteger();
            ExecutorService committer = Executors.newSingleThreadExecutor();
            try (CommitLock taken = shared.acquireCommitLock(Duration.ofSeconds(30))) {
                Throwable failure = committer.submit(() -> catchThrowable(() -> db.write(tx -> {
                    attempts.incrementAndGet();
                    tx.setRootObject("x", 1);
                    return null;
                }))).get(1, TimeUnit.MINUTES);

                assertThat(failure)
                        .as("commit while another holder (term %d) keeps the lock", taken.term())
                        .isInstanceOf(StorageException.class)
                        .hasMessageContaining("commit lock");
                assertThat(((StorageException) failure).isRetryable()).isFalse();
                assertThat(attempts).as("write() does not retry storage failures").hasValue(1);
            } finally {
                committer.shutdownNow();
            }
            assertThat(db.<Object>read(tx -> tx.getRootObject("x"))).isNull();
            db.write(tx -> {
                tx.setRootObject("x", 2);
                return null;
            });
            assertThat(db.<Object>read(tx -> tx.getRootObject("x"))).isEqualTo(2);
        }
    }

    @Test
    void closingTheSpaceClosesTheStorageAndLaterCallsFail() {
        Database db = space.getDatabase("db");
        Transaction open = db.newTransaction();

        space.close();
        space.close();

        assertThat(space.isClosed()).isTrue();
        assertThatThrownBy(storage::readRoot).isInstanceOf(StorageClosedException.class);
        assertThatThrownBy(() -> space.getDatabase("db")).isInstanceOf(StorageClosedException.class);
        assertThatThrownBy(space::listDatabases).isInstanceOf(StorageClosedException.class);
        assertThatThrownBy(db::newTransaction).isInstanceOf(StorageClosedException.class);
        assertThatThrownBy(() -> open.getRootObject("x"))
                .isInstanceOf(StorageClosedException.class)
                .hasMessageContaining("closed");
    }
}
