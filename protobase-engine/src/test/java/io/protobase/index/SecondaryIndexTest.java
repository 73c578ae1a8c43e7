package io.protobase.index;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecondaryIndexTest {

    @TempDir
    Path dir;

    private static DbObject item(int id, String category, Object price) {
        return DbObject.of("id", id, "category", category, "price", price);
    }

    private static Dictionary catalogue() {
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < 500; i++) {
            b.setAt(i, item(i, i % 3 == 0 ? "books" : i % 3 == 1 ? "electronics" : "toys", i % 50));
        }
        return b.build();
    }

    private static List<Object> ids(java.util.stream.Stream<Object> records) {
        return records.map(r -> ((DbObject) r).getAt("id")).sorted().toList();
    }

    @Test
    void aFieldIndexOnADictionaryAnswersLookupsRangesAndCountsFromTheRecordsValues() {
        Dictionary d = catalogue().withIndex(IndexDefinition.onField("category"))
                .withIndex(IndexDefinition.onField("price"));
        SecondaryIndex category = d.indexes().get("category");
        SecondaryIndex price = d.indexes().get("price");

        assertThat(category.count("books")).isEqualTo(167);
        assertThat(category.lookup("books"))
                .allSatisfy(r -> assertThat(((DbObject) r).getAt("category")).isEqualTo("books"));
        assertThat(category.distinctKeys()).isEqualTo(3);
        assertThat(category.entryCount()).isEqualTo(500);
        assertThat(price.countRange(10, true, 12, false)).isEqualTo(20);
        assertThat(price.range(10, true, 12, false).map(r -> ((DbObject) r).getAt("price")))
                .containsOnly(10, 11).hasSize(20).isSorted();
        assertThat(price.countRange(Dictionary.UNBOUNDED, true, 1, true)).isEqualTo(20);
        assertThat(price.countRange(48, false, Dictionary.UNBOUNDED, true)).isEqualTo(10);
        assertThat(price.lookup("not a price")).isEmpty();
    }

    @Test
    void everyMutatorKeepsTheIndexExactIncludingReplacingAndRemovingRecords() {
        Dictionary d = catalogue().withIndex(IndexDefinition.onField("category"));
        d = d.setAt(0, item(0, "toys", 1)).removeAt(3).setAt(1000, item(1000, "books", 2));
        SecondaryIndex category = d.indexes().get("category");
        assertThat(ids(category.lookup("books"))).contains(1000).doesNotContain(0, 3);
        assertThat(ids(category.lookup("toys"))).contains(0);
        assertThat(category.count("books")).isEqualTo(167 - 2 + 1);
        assertThat(category.entryCount()).isEqualTo(500);
    }

    @Test
    void numericallyEqualKeysOfDifferentTypesAreOneKey() {
        ProtoList l = ProtoList.of(DbObject.of("v", 1), DbObject.of("v", 1L), DbObject.of("v", 1.0),
                DbObject.of("v", new BigDecimal("1.00")), DbObject.of("v", 2)).withIndex(IndexDefinition.onField("v"));
        SecondaryIndex v = l.indexes().get("v");
        assertThat(v.count(1)).isEqualTo(4);
        assertThat(v.lookup(1.0)).hasSize(4);
        assertThat(v.distinctKeys()).isEqualTo(2);
    }

    @Test
    void rangesStayWithinTheGroupOfTheirBoundsSoNumbersNeverMatchStrings() {
        ProtoList l = ProtoList.of(DbObject.of("v", 5), DbObject.of("v", "five"), DbObject.of("v", 7),
                DbObject.of("v", true), DbObject.of("v", "seven")).withIndex(IndexDefinition.onField("v"));
        SecondaryIndex v = l.indexes().get("v");
        assertThat(v.range(4, true, Dictionary.UNBOUNDED, true).map(r -> ((DbObject) r).getAt("v")))
                .containsExactly(5, 7);
        assertThat(v.range(Dictionary.UNBOUNDED, true, "g", false).map(r -> ((DbObject) r).getAt("v")))
                .containsExactly("five");
        assertThat(v.countRange(Dictionary.UNBOUNDED, true, Dictionary.UNBOUNDED, true)).isEqualTo(5);
        assertThat(v.countRange(1, true, "z", true)).as("bounds of different groups").isZero();
        assertThat(v.countRange(7, true, 5, true)).as("inverted bounds").isZero();
    }

    @Test
    void aListIndexCountsEveryOccurrenceAndFollowsHeadTailSliceAndPositionalEdits() {
        DbObject a = DbObject.of("k", "a");
        DbObject b = DbObject.of("k", "b");
        ProtoList l = ProtoList.of(a, a, b, a, b).withIndex(IndexDefinition.onField("k"));
        assertThat(l.indexes().get("k").count("a")).isEqualTo(3);
        assertThat(l.indexes().get("k").lookup("a")).hasSize(3);
        assertThat(l.head(2).indexes().get("k").count("a")).isEqualTo(2);
        assertThat(l.tail(3).indexes().get("k").count("a")).isEqualTo(1);
        assertThat(l.slice(1, 3).indexes().get("k").count("b")).isEqualTo(1);
        ProtoList edited = l.setAt(0, b).removeAt(-1).insertAt(1, b).appendFirst(a);
        assertThat(edited.indexes().get("k").count("a")).isEqualTo(3);
        assertThat(edited.indexes().get("k").count("b")).isEqualTo(3);
    }

    @Test
    void aMultiValuedExtractorIndexesEachDistinctValueOnceAndSetsAndHashDictionariesAreIndexedToo() {
        IndexDefinition tags = IndexDefinition.byExtractor("tags", r -> ((DbObject) r).getAt("tags"));
        ProtoSet s = ProtoSet.of(DbObject.of("n", 1, "tags", List.of("x", "y", "x")),
                DbObject.of("n", 2, "tags", List.of("y")))
                .withIndex(tags);
        assertThat(s.indexes().get("tags").count("x")).isEqualTo(1);
        assertThat(s.indexes().get("tags").count("y")).isEqualTo(2);
        s = s.removeAt(DbObject.of("n", 2, "tags", List.of("y")));
        assertThat(s.indexes().get("tags").count("y")).isEqualTo(1);

        HashDictionary h = HashDictionary.of("a", DbObject.of("c", 1), "b", DbObject.of("c", 1))
                .withIndex(IndexDefinition.onField("c"));
        assertThat(h.indexes().get("c").count(1)).isEqualTo(2);
        assertThat(h.removeAt("a").indexes().get("c").lookup(1)).containsExactly(DbObject.of("c", 1));
    }

    @Test
    void declaringTwoIndexesOfOneNameOrDroppingAnUnknownOneFailsClearly() {
        Dictionary d = catalogue().withIndex(IndexDefinition.onField("category"));
        assertThatThrownBy(() -> d.withIndex(IndexDefinition.onField("category")))
                .isInstanceOf(IndexException.class).hasMessageContaining("already has an index named 'category'");
        assertThatThrownBy(() -> d.withoutIndex("price"))
                .isInstanceOf(IndexException.class).hasMessageContaining("no index named 'price'");
        assertThat(d.withoutIndex("category").indexes()).isEmpty();
        assertThatThrownBy(() -> ProtoList.of(ProtoList.of(1)).withIndex(IndexDefinition.byExtractor("x", r -> 1)))
                .isInstanceOf(IndexException.class).hasMessageContaining("orderable");
    }

    @Test
    void indexesArePersistedWithTheCollectionAndSurviveReopeningTheStoreExtractorsOnceRegisteredAgain() {
        IndexDefinition byParity = IndexDefinition.byExtractor("parity", r ->
                ((Integer) ((DbObject) r).getAt("id")) % 2);
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            space.getDatabase("db").write(tx -> {
                tx.setRootObject("items", catalogue().withIndex(IndexDefinition.onField("category"))
                        .withIndex(byParity));
                return null;
            });
        }
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Database db = space.getDatabase("db");
            long toys = db.read(tx -> tx.getRootObject("items", Dictionary.class).indexes().get("category")
                    .count("toys"));
            long even = db.read(tx -> tx.getRootObject("items", Dictionary.class).indexes().get("parity").count(0));
            assertThat(toys).isEqualTo(166);
            assertThat(even).isEqualTo(250);
            assertThatThrownBy(() -> db.write(tx -> {
                tx.setRootObject("items", tx.getRootObject("items", Dictionary.class)
                        .setAt(9999, item(9999, "toys", 1)));
                return null;
            })).isInstanceOf(IndexException.class).hasMessageContaining("registerIndexExtractor(\"parity\"");

            space.registerIndexExtractor("parity", r -> ((Integer) ((DbObject) r).getAt("id")) % 2);
            db.write(tx -> {
                tx.setRootObject("items", tx.getRootObject("items", Dictionary.class)
                        .setAt(9999, item(9999, "toys", 1)));
                return null;
            });
        }
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Dictionary items = space.getDatabase("db").read(tx -> tx.getRootObject("items", Dictionary.class));
            assertThat(items.indexes().get("category").count("toys")).isEqualTo(167);
            assertThat(items.indexes().get("parity").count(1)).isEqualTo(251);
        }
    }

    @Test
    void anIndexLookupInATransactionConflictsWithAConcurrentCommitOfAMatchingRecord() {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("items", catalogue().withIndex(IndexDefinition.onField("category")));
                return null;
            });
            Transaction reader = db.newTransaction();
            long books = reader.getRootObject("items", Dictionary.class).indexes().get("category").count("books");
            reader.setRootObject("bookCount", books);

            db.write(tx -> {
                tx.setRootObject("items", tx.getRootObject("items", Dictionary.class)
                        .setAt(777, item(777, "books", 3)));
                return null;
            });

            assertThatThrownBy(reader::commit).isInstanceOf(ConflictException.class);
        }
    }

    @Test
    void concurrentBlindWritesOfDifferentKeysBothCommitAndTheRebasedIndexHoldsBoth() {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("items", catalogue().withIndex(IndexDefinition.onField("category")));
                return null;
            });
            Transaction first = db.newTransaction();
            Transaction second = db.newTransaction();
            first.setRootObject("items", first.getRootObject("items", Dictionary.class)
                    .setAt(900, item(900, "games", 1)));
            second.setRootObject("items", second.getRootObject("items", Dictionary.class)
                    .setAt(901, item(901, "games", 2)));
            first.commit();
            second.commit();

            Dictionary items = db.read(tx -> tx.getRootObject("items", Dictionary.class));
            assertThat(ids(items.indexes().get("category").lookup("games"))).containsExactly(900, 901);
        }
    }
}
