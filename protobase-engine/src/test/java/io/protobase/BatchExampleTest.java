package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The "Batch Operations" example of the seed document (advanced_usage.rst), in Java. */
class BatchExampleTest {

    @Test
    void thousandItemsSetAsRootsInOneTransactionReadBackInANewOne() {
        MemoryStorage storage = new MemoryStorage();
        try (ObjectSpace space = new ObjectSpace(storage)) {
            Database db = space.getDatabase("my_database");
            long sequence = space.statistics().sequence();

            Transaction tr = db.newTransaction();
            for (int i = 0; i < 1000; i++) {
                Dictionary d = Dictionary.empty();
                d = d.setAt("id", i);
                d = d.setAt("name", "Item " + i);
                tr.setRootObject("item_" + i, d);
            }
            tr.commit();

            assertThat(tr.state()).isEqualTo(Transaction.State.COMMITTED);
            assertThat(space.statistics().sequence()).as("one commit, one new version").isEqualTo(sequence + 1);
            assertItems(db);
            assertItems(new ObjectSpace(storage).getDatabase("my_database"));
        }
    }

    private static void assertItems(Database db) {
        try (Transaction tx = db.newTransaction()) {
            for (int i = 0; i < 1000; i++) {
                Dictionary item = tx.getRootObject("item_" + i, Dictionary.class);
                assertThat(item).as("item_%d", i).isNotNull();
                assertThat(item.asMap()).isEqualTo(Map.of("id", i, "name", "Item " + i));
                assertThat(item.getAt("id")).isInstanceOf(Integer.class);
            }
            assertThat(tx.getRootObject("item_1000")).isNull();
        }
    }
}
