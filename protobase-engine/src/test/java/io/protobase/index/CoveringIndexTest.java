package io.protobase.index;

import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.query.Explanation;
import io.protobase.query.Field;
import io.protobase.query.Query;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Covering indexes ({@link IndexDefinition#covering()}): entries that carry their records, kept
 * exact by every change of a record (its keys changed or not), by builders, by transactions replayed
 * onto concurrent commits, and stored and reloaded with the collection. The collection properties
 * ({@code DictionaryProperties} and the others) run covering indexes through random edits, commits
 * and reloads, and compare them with indexes built from scratch.
 */
class CoveringIndexTest {

    @TempDir
    Path dir;

    private static DbObject item(int id, String category, Object price) {
        return DbObject.of("id", id, "category", category, "price", price);
    }

    private static String category(int i) {
        return i % 3 == 0 ? "books" : i % 3 == 1 ? "electronics" : "toys";
    }

    private static Dictionary catalogue(IndexDefinition... indexes) {
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < 500; i++) {
            b.setAt(i, item(i, category(i), i % 50));
        }
        for (IndexDefinition d : indexes) {
            b.addIndex(d);
        }
        return b.build();
    }

    private static List<Object> prices(Stream<Object> records) {
        return records.map(r -> ((DbObject) r).getAt("price")).toList();
    }

    private static Object priceOf(SecondaryIndex index, String category, int id) {
        return index.lookup(category).map(r -> (DbObject) r).filter(r -> r.getAt("id").equals(id))
                .map(r -> r.getAt("price")).findFirst().orElse(null);
    }

    @Test
    void aCoveringIndexYieldsTheSameRecordsAsAPlainOneAndSharesTheRecordObjectsInMemory() {
        Dictionary d = catalogue(IndexDefinition.onField("category"),
                IndexDefinition.onField("covered", "category").covering(),
                IndexDefinition.onField("price").covering());
        SecondaryIndex plain = d.indexes().get("category");
        SecondaryIndex covering = d.indexes().get("covered");

        assertThat(plain.isCovering()).isFalse();
        assertThat(covering.isCovering()).isTrue();
        assertThat(covering.definition()).isNotEqualTo(IndexDefinition.onField("covered", "category"));
        assertThat(covering.definition().toString()).isEqualTo("covering index covered on category");
        for (String c : List.of("books", "electronics", "toys", "none")) {
            assertThat(covering.lookup(c).toList()).as(c).containsExactlyElementsOf(plain.lookup(c).toList());
            assertThat(covering.count(c)).as(c).isEqualTo(plain.count(c));
        }
        assertThat(covering.entryCount()).isEqualTo(500);
        assertThat(covering.distinctKeys()).isEqualTo(3);
        assertThat(covering.lookup("toys").filter(r -> ((DbObject) r).getAt("id").equals(2)).findFirst().orElseThrow())
                .isSameAs(d.getAt(2));

        SecondaryIndex price = d.indexes().get("price");
        assertThat(prices(price.range(10, true, 12, false))).hasSize(20).containsOnly(10, 11).isSorted();
        assertThat(price.countRange(10, true, 12, false)).isEqualTo(20);
        assertThat(price.countRange(Dictionary.UNBOUNDED, true, 1, true)).isEqualTo(20);
    }

    @Test
    void changingARecordButNotItsKeyReplacesTheCopyInTheCoveringIndex() {
        Dictionary d = catalogue(IndexDefinition.onField("category").covering());
        Dictionary changed = d.setAt(0, item(0, "books", 999));
        assertThat(priceOf(changed.indexes().get("category"), "books", 0)).isEqualTo(999);
        assertThat(priceOf(d.indexes().get("category"), "books", 0)).as("the earlier version").isEqualTo(0);

        Dictionary.Builder b = d.toBuilder();
        b.setAt(3, item(3, "books", 1003));
        Dictionary first = b.build();
        b.setAt(3, item(3, "books", 2003)).removeAt(6);
        Dictionary second = b.build();
        assertThat(priceOf(first.indexes().get("category"), "books", 3)).isEqualTo(1003);
        assertThat(priceOf(second.indexes().get("category"), "books", 3)).isEqualTo(2003);
        assertThat(priceOf(second.indexes().get("category"), "books", 6)).isNull();
        assertThat(second.indexes().get("category").count("books")).isEqualTo(166);

        HashDictionary h = HashDictionary.of("a", item(1, "x", 1), "b", item(2, "x", 2))
                .withIndex(IndexDefinition.onField("category").covering());
        HashDictionary h2 = h.setAt("a", item(1, "x", 10)).removeAt("b");
        assertThat(h2.indexes().get("category").lookup("x")).containsExactly(item(1, "x", 10));
        assertThat(h.indexes().get("category").lookup("x")).hasSize(2);
    }

    @Test
    void transactionsReplayedOntoAConcurrentCommitKeepTheCoveringCopiesOfBoth() {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("items", catalogue(IndexDefinition.onField("category").covering()));
                return null;
            });
            Transaction first = db.newTransaction();
            Transaction second = db.newTransaction();
            // blind writes: no read of the dictionary, so the second is replayed onto the first's commit
            first.setRootObject("items", first.getRootObject("items", Dictionary.class)
                    .setAt(0, item(0, "books", 100)));
            second.setRootObject("items", second.getRootObject("items", Dictionary.class)
                    .setAt(3, item(3, "books", 300)));
            first.commit();
            second.commit();

            Dictionary items = db.read(tx -> tx.getRootObject("items", Dictionary.class));
            SecondaryIndex category = items.indexes().get("category");
            assertThat(priceOf(category, "books", 0)).isEqualTo(100);
            assertThat(priceOf(category, "books", 3)).isEqualTo(300);
            assertThat(category.count("books")).isEqualTo(167);
        }
    }

    @Test
    void aCoveringIndexIsStoredWithItsFlagAndReloadedFromFileStorageAlongsideAPlainOne() {
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            space.getDatabase("db").write(tx -> {
                tx.setRootObject("items", catalogue(IndexDefinition.onField("category").covering(),
                        IndexDefinition.onField("price")));
                return null;
            });
        }
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Database db = space.getDatabase("db");
            db.read(tx -> {
                Dictionary items = tx.getRootObject("items", Dictionary.class);
                assertThat(items.indexes().get("category").isCovering()).isTrue();
                assertThat(items.indexes().get("category").definition())
                        .isEqualTo(IndexDefinition.onField("category").covering());
                assertThat(items.indexes().get("price").isCovering()).as("a plain index stays plain").isFalse();
                assertThat(items.indexes().get("category").lookup("toys").toList())
                        .containsExactlyInAnyOrderElementsOf(items.records()
                                .filter(r -> ((DbObject) r).getAt("category").equals("toys")).toList())
                        .hasSize(166);
                return null;
            });
            db.write(tx -> {
                tx.setRootObject("items", tx.getRootObject("items", Dictionary.class).setAt(2, item(2, "toys", 222)));
                return null;
            });
        }
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Dictionary items = space.getDatabase("db").read(tx -> tx.getRootObject("items", Dictionary.class));
            assertThat(priceOf(items.indexes().get("category"), "toys", 2)).isEqualTo(222);
            assertThat(items.indexes().get("category").count("toys")).isEqualTo(166);
        }
    }

    @Test
    void theKindByteOfAnIndexDeclarationCarriesTheCoveringAndOrderBitsAndUnknownBitsAreCorruption() {
        AtomStore store = AtomStore.create(new MemoryStorage(), 1 << 20);
        Dictionary one = Dictionary.of(1, DbObject.of("c", "x"));
        // atom header (version, kind), tag 46, one index, its name "c", then the kind byte
        int kindAt = 6;
        byte[] plain = store.encodeValue(one.withIndex(IndexDefinition.onField("c")));
        byte[] covering = store.encodeValue(one.withIndex(IndexDefinition.onField("c").covering()));
        byte[] extractor = store.encodeValue(one.withIndex(IndexDefinition.byExtractor("c", r -> 1).covering()));
        // bit 3: a dictionary's entries are ordered by value (tree kind 6)
        assertThat(plain[kindAt]).as("a plain path index on a dictionary: entries ordered by value")
                .isEqualTo((byte) 8);
        assertThat(covering[kindAt]).isEqualTo((byte) 10);
        assertThat(extractor[kindAt]).isEqualTo((byte) 11);

        Dictionary back = (Dictionary) store.decodeValue(covering);
        assertThat(back.indexes().get("c").isCovering()).isTrue();
        assertThat(back.indexes().get("c").lookup("x")).containsExactly(DbObject.of("c", "x"));
        assertThat(((Dictionary) store.decodeValue(plain)).indexes().get("c").isCovering()).isFalse();

        covering[kindAt] = 18;
        assertThatThrownBy(() -> store.decodeValue(covering)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("unknown index kind 18");
        covering[kindAt] = 14; // exact entries and entries ordered by value at once
        assertThatThrownBy(() -> store.decodeValue(covering)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("unknown index kind 14");
        covering[kindAt] = 6; // bit 2, exact entries, belongs to the index of a list
        assertThatThrownBy(() -> store.decodeValue(covering)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("index 'c' with exact entries on a Dictionary");
    }

    @Test
    void explainShowsACoveringIndexWhichCostsLessThanAPlainOne() {
        Dictionary plain = catalogue(IndexDefinition.onField("category"));
        Dictionary covering = catalogue(IndexDefinition.onField("category").covering());
        Explanation p = Query.from(plain).where(Field.of("category").eq("toys")).explain();
        Explanation c = Query.from(covering).where(Field.of("category").eq("toys")).explain();

        assertThat(c.usesIndex()).isTrue();
        assertThat(c.usesCoveringIndex()).isTrue();
        assertThat(c.details()).containsEntry("covering", "true");
        assertThat(c.toText()).contains("IndexLookup INDEX [index=category, covering=true, keys=['toys']");
        assertThat(p.usesIndex()).isTrue();
        assertThat(p.usesCoveringIndex()).isFalse();
        assertThat(p.details()).doesNotContainKey("covering");
        assertThat(c.estimatedCost()).isLessThan(p.estimatedCost());
        assertThat(Query.from(covering).where(Field.of("category").eq("toys")).toList())
                .containsExactlyElementsOf(Query.from(plain).where(Field.of("category").eq("toys")).toList());
    }

    @Test
    void listAndSetIndexesCoverByConstructionSoDeclaringOneCoveringIsAcceptedAndChangesNothingElse() {
        ProtoList l = ProtoList.of(item(1, "x", 1), item(2, "y", 2), item(1, "x", 1));
        ProtoList plain = l.withIndex(IndexDefinition.onField("category"));
        ProtoList covering = l.withIndex(IndexDefinition.onField("category").covering());
        assertThat(plain.indexes().get("category").isCovering()).isTrue();
        assertThat(covering.indexes().get("category").isCovering()).isTrue();
        assertThat(covering.indexes().get("category").lookup("x").toList())
                .containsExactlyElementsOf(plain.indexes().get("category").lookup("x").toList()).hasSize(2);
        ProtoList.Builder many = ProtoList.builder();
        for (int i = 0; i < 300; i++) {
            many.appendLast(item(i, category(i), i));
        }
        ProtoList big = many.build().withIndex(IndexDefinition.onField("category"));
        assertThat(Query.from(big).where(Field.of("category").eq("toys")).explain().usesCoveringIndex()).isTrue();

        ProtoSet s = ProtoSet.of(item(1, "x", 1), item(2, "y", 2))
                .withIndex(IndexDefinition.onField("category").covering());
        assertThat(s.indexes().get("category").isCovering()).isTrue();
        assertThat(s.removeAt(item(1, "x", 1)).indexes().get("category").count("x")).isZero();
    }
}
