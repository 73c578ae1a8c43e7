package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.SecondaryIndex;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The entries of a dictionary's secondary index are ordered by index key, then by dictionary key
 * (tree kind {@code PAIRED_BY_VALUE}); indexes written before keep the hash order of their tree
 * (kind {@code PAIRED}) and are read and maintained in it.
 */
class DictionaryIndexOrderTest {

    private static Dictionary customers(int n, Random random) {
        Dictionary.Builder b = Dictionary.builder();
        for (int id = 1; id <= n; id++) {
            b.setAt((long) id, DbObject.of("n", random.nextInt(10), "id", (long) id));
        }
        return b.build();
    }

    private static List<Object> idsOf(SecondaryIndex index, int n) {
        return index.lookup(n).map(r -> ((DbObject) r).getAt("id")).toList();
    }

    @Test
    void aNewDictionaryIndexListsTheRecordsOfOneKeyInDictionaryKeyOrder() {
        Dictionary d = customers(500, new Random(1)).withIndex(IndexChecks.N);
        assertThat(d.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_BY_VALUE);
        HashDictionary h = HashDictionary.empty().setAt("b", DbObject.of("n", 1)).withIndex(IndexChecks.N);
        assertThat(h.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_BY_VALUE);
        assertThat(ProtoSet.of(DbObject.of("n", 1)).withIndex(IndexChecks.N).indexes.get("n").entries().tree.kind())
                .isEqualTo(TreeKind.PAIRED);

        for (int n = 0; n < 10; n++) {
            List<Object> ids = idsOf(d.indexes().get("n"), n);
            assertThat(ids).isNotEmpty();
            assertThat(ids).isSortedAccordingTo((a, b) -> Long.compare((Long) a, (Long) b));
        }
    }

    @Test
    void entriesOrderedByValueSurviveEditsCommitsAndReloadsAsAModelPredicts() {
        Random random = new Random(7);
        Dictionary d = customers(300, random).withIndex(IndexChecks.N).withIndex(IndexChecks.N_COVERING);
        TreeMap<Long, Integer> model = new TreeMap<>();
        for (var e : d) {
            model.put((Long) e.getKey(), (Integer) ((DbObject) e.getValue()).getAt("n"));
        }
        try (PersistentRoot root = new PersistentRoot()) {
            for (int round = 0; round < 20; round++) {
                Dictionary.Builder b = d.toBuilder();
                for (int i = 0; i < 50; i++) {
                    long id = 1 + random.nextInt(400);
                    if (random.nextInt(4) == 0) {
                        b.removeAt(id);
                        model.remove(id);
                    } else {
                        int n = random.nextInt(10);
                        b.setAt(id, DbObject.of("n", n, "id", id));
                        model.put(id, n);
                    }
                }
                root.commit(b.build());
                d = root.reload(round % 2 == 0 ? PersistentRoot.ReloadMode.NEW_SPACE
                        : PersistentRoot.ReloadMode.SAME_SPACE, Dictionary.class);
                assertThat(d.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_BY_VALUE);
                for (int n = 0; n < 10; n++) {
                    List<Object> want = new ArrayList<>();
                    for (var e : model.entrySet()) {
                        if (e.getValue() == n) {
                            want.add(e.getKey());
                        }
                    }
                    assertThat(idsOf(d.indexes().get("n"), n)).as("round %d, n = %d", round, n)
                            .containsExactlyElementsOf(want);
                    assertThat(idsOf(d.indexes().get("n covering"), n)).as("covering, round %d, n = %d", round, n)
                            .containsExactlyElementsOf(want);
                }
                IndexChecks.verifyRebuilt(d, "round " + round);
            }
        }
    }

    /**
     * A dictionary index written before its entries were ordered by value has a kind-2 tree and no bit 3
     * in its declaration: it reads back as it was, stays consistent under edits, and declaring it again
     * orders it by value.
     */
    @Test
    void aDictionaryIndexWrittenInHashOrderReadsBackAndStaysConsistent() {
        Dictionary plain = customers(400, new Random(3));
        Indexes.Index legacy = Indexes.build(IndexChecks.N, TreeKind.HASHED_SET, plain.replayBuilder()::forEachRecord);
        assertThat(legacy.entries().tree.kind()).isEqualTo(TreeKind.PAIRED);
        try (PersistentRoot root = new PersistentRoot()) {
            root.commit(plain.withIndexes(Indexes.of(new Indexes.Index[] {legacy})));
            Dictionary read = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, Dictionary.class);
            assertThat(read.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED);
            long count = read.indexes().get("n").count(4);

            Dictionary.Builder b = read.toBuilder();
            for (long id = 401; id <= 600; id++) {
                b.setAt(id, DbObject.of("n", 4, "id", id));
            }
            b.removeAt(1L);
            root.commit(b.build());
            Dictionary edited = root.reload(PersistentRoot.ReloadMode.NEW_SPACE, Dictionary.class);
            assertThat(edited.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED);
            long removed = ((DbObject) read.getAt(1L)).getAt("n").equals(4) ? 1 : 0;
            assertThat(edited.indexes().get("n").count(4)).isEqualTo(count + 200 - removed);
            assertThat(edited.indexes().get("n").entryCount()).isEqualTo(599);
            assertThat(idsOf(edited.indexes().get("n"), 4)).contains(401L, 600L).doesNotContain(1L);

            Dictionary redeclared = edited.withoutIndex("n").withIndex(IndexChecks.N);
            assertThat(redeclared.indexes.get("n").entries().tree.kind()).isEqualTo(TreeKind.PAIRED_BY_VALUE);
            assertThat(idsOf(redeclared.indexes().get("n"), 4))
                    .containsExactlyInAnyOrderElementsOf(idsOf(edited.indexes().get("n"), 4));
            IndexChecks.verifyRebuilt(redeclared, "legacy index declared again");
        }
    }

    @Test
    void entriesOrderedByValueOnASetAreReportedAsCorruptionWhenRead() {
        ProtoSet plain = ProtoSet.of(DbObject.of("n", 1));
        Indexes.Index byValue = Indexes.build(IndexChecks.N, TreeKind.SORTED, plain.replayBuilder()::forEachRecord);
        ProtoSet damaged = plain.withIndexes(Indexes.of(new Indexes.Index[] {byValue}));
        try (PersistentRoot root = new PersistentRoot()) {
            root.commit(damaged);
            assertThatThrownBy(() -> root.reload(PersistentRoot.ReloadMode.NEW_SPACE, ProtoSet.class))
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("index 'n' with entries ordered by value on a ProtoSet");
        }
    }
}
