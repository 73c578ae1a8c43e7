package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.SecondaryIndex;
import io.protobase.storage.file.FileBlockProvider;
import io.protobase.storage.file.StandaloneFileStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A list's secondary index returns the list's elements as they were stored: elements equal as keys
 * but of different types ({@code 0} and {@code 0L}, records differing only in a number's type) are
 * different entries, through edits, removals, commits and reloads from memory and file storages.
 * Dictionaries and the public {@link RepeatedKeysDictionary} keep their key semantics.
 */
class ListIndexExactTypeTest {

    @TempDir
    Path dir;

    /** An element with the type of every number in it: {@code 0:Integer}, {@code {n=1:Long, s=a:String}}. */
    private static String typed(Object v) {
        if (v instanceof DbObject o) {
            return o.names().stream().map(n -> n + "=" + typed(o.getAt(n))).collect(Collectors.joining(", ", "{", "}"));
        }
        if (v instanceof List<?> l) {
            return l.stream().map(ListIndexExactTypeTest::typed).collect(Collectors.joining(", ", "[", "]"));
        }
        return v == null ? "null" : v + ":" + v.getClass().getSimpleName();
    }

    private static List<String> typed(Stream<Object> found) {
        return found.map(ListIndexExactTypeTest::typed).toList();
    }

    private static SecondaryIndex index(ProtoList list, String name) {
        return list.indexes().get(name);
    }

    @Test
    void lookupInAListIndexedByItselfReturnsIntegerAndLongZeroAsStored() {
        ProtoList list = ProtoList.empty().withIndex(IndexChecks.SELF).appendLast(0).appendLast(0L);

        SecondaryIndex self = index(list, "self");
        assertThat(typed(self.lookup(0))).containsExactlyInAnyOrder("0:Integer", "0:Long");
        assertThat(typed(self.lookup(0L))).containsExactlyInAnyOrder("0:Integer", "0:Long");
        assertThat(self.count(0)).isEqualTo(2);
        assertThat(self.entryCount()).isEqualTo(2);
        assertThat(self.distinctKeys()).isEqualTo(1);
        assertThat(typed(self.range(-1, true, 1, true))).containsExactlyInAnyOrder("0:Integer", "0:Long");
        assertThat(self.countRange(-1, true, 1, true)).isEqualTo(2);
    }

    @Test
    void lookupInAListReturnsEveryFormOfAnEqualNumberOnceForEachTimeItWasStored() {
        ProtoList list = ProtoList.empty().withIndex(IndexChecks.SELF).appendLast(0.0)
                .appendLast(new BigDecimal("0.00")).appendLast(-0.0).appendLast(0L).appendLast(new BigDecimal("0.0"))
                .appendLast(0).appendLast(0L);

        assertThat(typed(index(list, "self").lookup(0))).containsExactlyInAnyOrder("0.0:Double", "-0.0:Double",
                "0.00:BigDecimal", "0.0:BigDecimal", "0:Integer", "0:Long", "0:Long");
        assertThat(index(list, "self").count(0)).isEqualTo(7);
        IndexChecks.verifyRebuilt(list, "mixed zeros");
    }

    @Test
    void lookupOnAFieldReturnsRecordsThatDifferOnlyInTheFieldsNumericType() {
        ProtoList list = ProtoList.empty().withIndex(IndexChecks.N).withIndex(IndexChecks.SELF)
                .appendLast(DbObject.of("n", 1, "s", "a")).appendLast(DbObject.of("n", 1L, "s", "a"))
                .appendLast(List.of(1, "x")).appendLast(List.of(1L, "x"));

        assertThat(typed(index(list, "n").lookup(1))).containsExactlyInAnyOrder("{n=1:Integer, s=a:String}",
                "{n=1:Long, s=a:String}");
        assertThat(typed(index(list, "self").lookup(DbObject.of("n", 1.0, "s", "a"))))
                .containsExactlyInAnyOrder("{n=1:Integer, s=a:String}", "{n=1:Long, s=a:String}");
        // a list element is indexed under each of its elements
        assertThat(typed(index(list, "self").lookup(1L)))
                .containsExactlyInAnyOrder("[1:Integer, x:String]", "[1:Long, x:String]");
    }

    @Test
    void removingOneOfTwoNumericallyEqualElementsLeavesTheOtherFound() {
        ProtoList both = ProtoList.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N)
                .appendLast(0).appendLast(0L).appendLast(DbObject.of("n", 1)).appendLast(DbObject.of("n", 1L));

        ProtoList withoutInt = both.removeAt(0);
        assertThat(typed(index(withoutInt, "self").lookup(0))).containsExactly("0:Long");
        ProtoList withoutLong = both.removeAt(1);
        assertThat(typed(index(withoutLong, "self").lookup(0))).containsExactly("0:Integer");
        ProtoList longsOnly = both.setAt(0, 0L);
        assertThat(typed(index(longsOnly, "self").lookup(0))).containsExactly("0:Long", "0:Long");
        ProtoList withoutIntRecord = both.removeAt(2);
        assertThat(typed(index(withoutIntRecord, "n").lookup(1))).containsExactly("{n=1:Long}");
        ProtoList withoutLongRecord = both.removeAt(-1);
        assertThat(typed(index(withoutLongRecord, "n").lookup(1))).containsExactly("{n=1:Integer}");
        for (ProtoList l : List.of(withoutInt, withoutLong, longsOnly, withoutIntRecord, withoutLongRecord)) {
            IndexChecks.verifyRebuilt(l, "after one edit");
        }
    }

    /** 600 elements: each of 0..99 as Integer, Long and Double, and as a record with an Integer and a Long. */
    private static ProtoList mixedList() {
        ProtoList.Builder b = ProtoList.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N).toBuilder();
        for (int i = 0; i < 100; i++) {
            b.appendLast(i).appendLast((long) i).appendLast((double) i);
            b.appendLast(DbObject.of("n", i)).appendLast(DbObject.of("n", (long) i));
        }
        for (int i = 99; i >= 0; i--) {
            b.appendFirst(i % 2 == 0 ? (Object) (long) i : i);
        }
        return b.build();
    }

    private static void assertMixedFound(ProtoList list, String where) {
        for (int i : new int[] {0, 1, 50, 99}) {
            String in = i + ":Integer";
            String lo = i + ":Long";
            assertThat(typed(index(list, "self").lookup(i))).as("%s: lookup(%d)", where, i)
                    .containsExactlyInAnyOrder(in, lo, (double) i + ":Double", i % 2 == 0 ? lo : in);
            assertThat(typed(index(list, "n").lookup((long) i))).as("%s: n = %d", where, i)
                    .containsExactlyInAnyOrder("{n=" + in + "}", "{n=" + lo + "}");
        }
    }

    @Test
    void aMaintainedListIndexEqualsOneRebuiltFromScratchAfterManyEditsOfMixedTypes() {
        ProtoList list = mixedList();
        assertMixedFound(list, "built");
        IndexChecks.verifyRebuilt(list, "built");
        Random random = new Random(7);
        ProtoList.Builder b = list.toBuilder();
        for (int k = 0; k < 300; k++) {
            long at = random.nextInt((int) b.count());
            switch (random.nextInt(3)) {
                case 0 -> b.removeAt(at);
                case 1 -> b.setAt(at, random.nextBoolean() ? (Object) (long) (k % 10) : (Object) (k % 10));
                default -> b.insertAt(at, DbObject.of("n", random.nextBoolean() ? (Object) (long) (k % 10) : k % 10));
            }
        }
        ProtoList edited = b.build();
        IndexChecks.verifyRebuilt(edited, "after 300 random edits");
        IndexChecks.verify(edited, edited.asList(), new Random(8), "after 300 random edits");
    }

    @Test
    void aListIndexReadBackFromMemoryStorageKeepsTypesApartAndRemovesTheRightOne() {
        try (PersistentRoot root = new PersistentRoot()) {
            root.commit(mixedList());
            ProtoList read = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, ProtoList.class);
            assertMixedFound(read, "read back");
            IndexChecks.verifyRebuilt(read, "read back");

            root.commit(read.removeAt(100)); // the Integer 0 of the middle section: one Integer 0 is left
            ProtoList after = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, ProtoList.class);
            assertThat(typed(index(after, "self").lookup(0)))
                    .containsExactlyInAnyOrder("0:Long", "0:Long", "0.0:Double");
            IndexChecks.verifyRebuilt(after, "read back after a removal");
        }
    }

    @Test
    void aListIndexReadBackFromAFileStorageKeepsTypesApart() {
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            IndexChecks.register(space);
            space.getDatabase("db").write(tx -> {
                tx.setRootObject("list", mixedList());
                return null;
            });
        }
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            IndexChecks.register(space);
            space.getDatabase("db").read(tx -> {
                ProtoList read = tx.getRootObject("list", ProtoList.class);
                assertMixedFound(read, "reopened file storage");
                IndexChecks.verifyRebuilt(read, "reopened file storage");
                return null;
            });
        }
    }

    @Test
    void compactionRewritesExactListIndexEntriesAndTheyStillFindEachElementAsStored() {
        MemoryStorage storage = new MemoryStorage(16 * 1024);
        ObjectSpace space = ObjectSpace.builder(storage).historyRetention(Duration.ZERO).cacheBytes(1)
                .compactionMinDeadBytes(0).compactionLiveFraction(1.0).build();
        IndexChecks.register(space);
        Database db = space.getDatabase("db");
        db.write(tx -> {
            tx.setRootObject("list", mixedList());
            return null;
        });
        for (int i = 0; i < 20; i++) {
            db.write(tx -> {
                tx.setRootObject("list", tx.getRootObject("list", ProtoList.class).appendLast(0L).removeAt(-1));
                return null;
            });
        }

        assertThat(space.compact().atomsRewritten()).as("atoms rewritten").isPositive();

        db.read(tx -> {
            assertMixedFound(tx.getRootObject("list", ProtoList.class), "after compaction");
            return null;
        });
        ObjectSpace reopened = ObjectSpace.builder(storage).cacheBytes(1).build();
        IndexChecks.register(reopened);
        reopened.getDatabase("db").read(tx -> {
            ProtoList read = tx.getRootObject("list", ProtoList.class);
            assertMixedFound(read, "compacted and reopened");
            IndexChecks.verifyRebuilt(read, "compacted and reopened");
            return null;
        });
        space.close();
    }

    /**
     * A list index written before lists kept types apart has plain entries (no exact bit in its
     * declaration): it reads back as it was and stays consistent under edits, and declaring it again
     * gives it exact entries.
     */
    @Test
    void aListIndexWithEntriesAsWrittenBeforeExactEntriesReadsBackAndStaysConsistent() {
        RepeatedKeysDictionary.Builder entries = RepeatedKeysDictionary.builder();
        ProtoList.Builder elements = ProtoList.builder();
        for (int i = 0; i < 200; i++) {
            entries.setAt(i % 50, i % 50);
            elements.appendLast(i % 50);
        }
        ProtoList legacy = elements.build().withIndexes(
                Indexes.of(new Indexes.Index[] {new Indexes.Index(IndexChecks.SELF, entries.build())}));
        try (PersistentRoot root = new PersistentRoot()) {
            root.commit(legacy);
            ProtoList read = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, ProtoList.class);
            assertThat(read.indexes.get("self").entries().tree.kind()).isEqualTo(TreeKind.PAIRED);
            assertThat(typed(index(read, "self").lookup(7))).containsExactly("7:Integer", "7:Integer", "7:Integer",
                    "7:Integer");

            root.commit(read.removeAt(7).appendLast(7).appendLast(51));
            ProtoList edited = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, ProtoList.class);
            assertThat(edited.indexes.get("self").entries().tree.kind()).isEqualTo(TreeKind.PAIRED);
            assertThat(index(edited, "self").count(7)).isEqualTo(4);
            assertThat(typed(index(edited, "self").lookup(51))).containsExactly("51:Integer");
            assertThat(index(edited, "self").entryCount()).isEqualTo(201);
            assertThat(index(edited, "self").distinctKeys()).isEqualTo(51);

            // declared again, as atom-format.md tells, the index has exact entries
            ProtoList redeclared = edited.withoutIndex("self").withIndex(IndexChecks.SELF).appendLast(7L);
            assertThat(redeclared.indexes.get("self").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_EXACT);
            assertThat(typed(index(redeclared, "self").lookup(7))).containsExactlyInAnyOrder("7:Integer",
                    "7:Integer", "7:Integer", "7:Integer", "7:Long");
            IndexChecks.verifyRebuilt(redeclared, "legacy index declared again");
        }
    }

    @Test
    void aListIndexDeclarationCarriesTheExactBitAndReadsBackWithExactEntries() {
        AtomStore store = AtomStore.create(new MemoryStorage(), 1 << 20);
        ProtoList list = ProtoList.of(DbObject.of("n", 1), DbObject.of("n", 1L)).withIndex(IndexChecks.N);
        // atom header (version, kind), tag 46, one index, its name "n", then the kind byte
        byte[] atom = store.encodeValue(list);
        assertThat(atom[6]).as("kind byte: a path index with exact entries").isEqualTo((byte) 4);

        ProtoList back = (ProtoList) store.decodeValue(atom);
        assertThat(back.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_EXACT);
        assertThat(typed(index(back, "n").lookup(1))).containsExactlyInAnyOrder("{n=1:Integer}", "{n=1:Long}");
    }

    @Test
    void exactIndexEntriesOnADictionaryAreReportedAsCorruptionWhenRead() {
        Dictionary plain = Dictionary.empty().setAt(1, DbObject.of("n", 1));
        Indexes.Index exact = Indexes.build(IndexChecks.N, TreeKind.POSITIONAL, plain.replayBuilder()::forEachRecord);
        Dictionary damaged = plain.withIndexes(Indexes.of(new Indexes.Index[] {exact}));
        try (PersistentRoot root = new PersistentRoot()) {
            root.commit(damaged);
            assertThatThrownBy(() -> root.reload(PersistentRoot.ReloadMode.NEW_SPACE, Dictionary.class))
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("index 'n' with exact entries on a Dictionary");
        }
    }

    @Test
    void repeatedKeysDictionaryStillCountsZeroAndLongZeroAsOneValueOfTheKey() {
        RepeatedKeysDictionary d = RepeatedKeysDictionary.empty().setAt("k", 0).setAt("k", 0L);

        assertThat(typed(d.valuesOf("k"))).containsExactly("0:Integer");
        assertThat(d.getAt("k").getCount(0L)).isEqualTo(2);
        assertThat(d.totalCount()).isEqualTo(2);
        assertThat(d.removeRecordAt("k", 0L).totalCount()).isEqualTo(1);
    }

    @Test
    void dictionaryIndexEntriesFollowTheKeyWhateverNumericTypeTheCallerNamesItWith() {
        Dictionary d = Dictionary.empty().withIndex(IndexChecks.N).setAt(5, DbObject.of("n", 1))
                .setAt(5L, DbObject.of("n", 2L));
        assertThat(d.indexes().get("n").lookup(1).toList()).isEmpty();
        assertThat(typed(d.indexes().get("n").lookup(2))).containsExactly("{n=2:Long}");
        assertThat(d.removeAt(5.0).indexes().get("n").entryCount()).isZero();

        HashDictionary h = HashDictionary.empty().withIndex(IndexChecks.N).setAt(5L, DbObject.of("n", 1))
                .setAt(5, DbObject.of("n", 1));
        assertThat(typed(h.indexes().get("n").lookup(1))).containsExactly("{n=1:Integer}");
        assertThat(h.removeAt(5).indexes().get("n").entryCount()).isZero();
    }
}
