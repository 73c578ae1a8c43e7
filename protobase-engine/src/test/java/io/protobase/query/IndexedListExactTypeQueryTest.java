package io.protobase.query;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.DbObject;
import io.protobase.collection.ProtoList;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Queries answered from the index of a list return the records the list holds, with the exact type
 * of every number: records that differ only in a number's type ({@code 1} and {@code 1L}) are two
 * results, each as stored, whether the index is used for a lookup, a range or a count.
 */
class IndexedListExactTypeQueryTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("shop");

    @AfterEach
    void close() {
        space.close();
    }

    /**
     * 200 records {@code {n: i % 4}} differing only in the type of {@code n}: an Integer for the first four
     * of every eight, else a Long. Committed and read back.
     */
    private ProtoList storedList() {
        ProtoList.Builder b = ProtoList.empty().withIndex(IndexDefinition.onField("n")).toBuilder();
        for (int i = 0; i < 200; i++) {
            b.appendLast(DbObject.of("n", i % 8 < 4 ? (Object) (i % 4) : (Object) (long) (i % 4)));
        }
        db.write(tx -> {
            tx.setRootObject("list", b.build());
            return null;
        });
        return db.read(tx -> tx.getRootObject("list", ProtoList.class));
    }


    @Test
    void anIndexLookupReturnsRecordsWithIntegerAndLongValuesAsStored() {
        ProtoList list = storedList();
        Query q = Query.from(list).where(Field.of("n").eq(1));

        assertThat(q.explain().operator()).isEqualTo("IndexLookup");
        List<Object> found = q.toList();
        assertThat(found).hasSize(50);
        assertThat(found).allSatisfy(r -> assertThat(((Number) ((DbObject) r).getAt("n")).intValue()).isEqualTo(1));
        assertThat(found).filteredOn(r -> ((DbObject) r).getAt("n") instanceof Long).hasSize(25);
        assertThat(found).filteredOn(r -> ((DbObject) r).getAt("n") instanceof Integer).hasSize(25);
        assertThat(q.count()).isEqualTo(50);
    }

    @Test
    void anIndexRangeReturnsEachRecordWithItsOwnType() {
        ProtoList list = storedList();
        Query q = Query.from(list).where(Field.of("n").between(1, 2));

        assertThat(q.explain().operator()).isEqualTo("IndexRange");
        List<Object> found = q.toList();
        assertThat(found).hasSize(100);
        assertThat(found).filteredOn(r -> ((DbObject) r).getAt("n") instanceof Long).hasSize(50);
        assertThat(found).filteredOn(r -> ((DbObject) r).getAt("n") instanceof Integer).hasSize(50);
        assertThat(q.count()).isEqualTo(100);
    }
}
