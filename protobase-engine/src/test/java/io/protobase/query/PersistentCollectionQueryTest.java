package io.protobase.query;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Queries over collections committed to and read back from a database, without indexes. */
class PersistentCollectionQueryTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("shop");

    @AfterEach
    void close() {
        space.close();
    }

    private void store() {
        ProtoList.Builder list = ProtoList.builder();
        Dictionary.Builder dict = Dictionary.builder();
        for (int i = 0; i < 500; i++) {
            DbObject r = DbObject.of("id", i, "category", "c" + (i % 5), "price", i % 2 == 0 ? i : (double) i);
            list.appendLast(r);
            dict.setAt("k" + i, r);
        }
        db.write(tx -> {
            tx.setRootObject("list", list.build());
            tx.setRootObject("dict", dict.build());
            return null;
        });
    }

    @Test
    void queriesOverAStoredListOfDbObjectsNeverComeBackEmpty() {
        store();
        List<Object> cheapest = db.read(tx -> Query.from(tx.getRootObject("list", ProtoList.class))
                .where(Field.of("category").eq("c1")).orderBy(SortKey.asc("price")).select("id").limit(3).toList());
        assertThat(cheapest).containsExactly(Map.of("id", 1), Map.of("id", 6), Map.of("id", 11));
    }

    @Test
    void queriesOverAStoredDictionaryReadItsValues() {
        store();
        long count = db.read(tx -> Query.from(tx.getRootObject("dict", Dictionary.class))
                .where(Field.of("price").between(100, 200, Bounds.CLOSED_OPEN)).count());
        assertThat(count).isEqualTo(100);
        List<Object> groups = db.read(tx -> Query.from(tx.getRootObject("dict", Dictionary.class))
                .groupBy(List.of("category"), Aggregate.count("n")).orderBy("category").toList());
        assertThat(groups).hasSize(5).allSatisfy(g -> assertThat(((Map<?, ?>) g).get("n")).isEqualTo(100L));
        String plan = db.read(tx -> Query.from(tx.getRootObject("dict", Dictionary.class)).explain().toText());
        assertThat(plan)
                .startsWith("From SCAN [source=Dictionary] rows≈500");
    }
}
