package io.protobase;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Histories that only a careful read set keeps serializable. */
class SerializabilityEdgeCasesTest {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    private void set(String name, Object value) {
        db.write(tx -> {
            tx.setRootObject(name, value);
            return null;
        });
    }

    @Test
    void copyingARootUnderAnotherNameDependsOnTheWholeRoot() {
        set("a", Dictionary.of("x", 1));
        set("b", Dictionary.empty());
        Transaction copier = db.newTransaction();
        copier.setRootObject("b", copier.getRootObject("a"));
        Transaction counter = db.newTransaction();
        Dictionary a = counter.getRootObject("a", Dictionary.class);
        counter.setRootObject("a", a.setAt("n", counter.getRootObject("b", Dictionary.class).count()));
        counter.commit();

        assertThatThrownBy(copier::commit).isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).root()).isEqualTo("a"));
    }

    @Test
    void nestingARootInsideAValueDependsOnTheWholeRoot() {
        set("a", Dictionary.of("x", 1));
        Transaction snapshotter = db.newTransaction();
        snapshotter.setRootObject("snap", DbObject.of("of", snapshotter.getRootObject("a")));
        set("a", Dictionary.of("x", 2));

        assertThatThrownBy(snapshotter::commit).isInstanceOf(ConflictException.class);
    }

    @Test
    void theExistenceOfACollectionRootIsARead() {
        set("x", Dictionary.of("k", 1));
        Transaction t1 = db.newTransaction();
        if (t1.hasRootObject("x")) {
            t1.setRootObject("y", 1);
        }
        Transaction t2 = db.newTransaction();
        if (t2.getRootObject("y") == null) {
            t2.removeRootObject("x");
        }
        t2.commit();

        assertThatThrownBy(t1::commit).isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).root()).isEqualTo("x"));
    }

    @Test
    void byteArraysHandedOutCannotAlterStoredData() {
        set("d", Dictionary.of("k", new byte[] {1, 2, 3}).setAt("o", DbObject.of("b", new byte[] {4})));
        db.read(tx -> {
            Dictionary d = tx.getRootObject("d", Dictionary.class);
            ((byte[]) d.getAt("k"))[0] = 99;
            ((byte[]) ((DbObject) d.getAt("o")).getAt("b"))[0] = 99;
            d.stream().forEach(e -> {
                if (e.getValue() instanceof byte[] b) {
                    b[1] = 99;
                }
            });
            return null;
        });
        Dictionary d = db.read(tx -> tx.getRootObject("d", Dictionary.class));
        assertThat((byte[]) d.getAt("k")).containsExactly(1, 2, 3);
        assertThat((byte[]) ((DbObject) d.getAt("o")).getAt("b")).containsExactly(4);
    }
}
