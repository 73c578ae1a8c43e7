package io.protobase.collection.internal;

import io.protobase.CorruptionException;
import io.protobase.codec.Tags;
import io.protobase.collection.CountedSet;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.collection.RepeatedKeysDictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link AtomGraph}: the references between atoms, what roots reach, and copies between storages. */
class AtomGraphTest {

    /** Remembers every atom pushed, with its size: the oracle of what a value's graph holds. */
    private static final class RecordingStorage extends ForwardingStorage {
        final Map<AtomPointer, Integer> pushed = new LinkedHashMap<>();
        int reads;

        RecordingStorage() {
            super(new MemoryStorage());
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            reads++;
            return super.read(pointer);
        }

        @Override
        public AtomPointer push(byte[] atom) {
            AtomPointer p = super.push(atom);
            pushed.put(p, atom.length);
            return p;
        }
    }

    private final RecordingStorage storage = new RecordingStorage();
    private final AtomStore store = AtomStore.create(storage, 1 << 20);
    private final AtomGraph graph = new AtomGraph(storage);

    /** A value using every kind of reference: tree nodes, collections of each kind, indexes, pointers. */
    private AtomPointer richRecord() {
        Dictionary big = Dictionary.empty();
        for (int i = 0; i < 3000; i++) {
            big = big.setAt(i, DbObject.of("n", i, "tag", "t" + (i % 7)));
        }
        big = big.withIndex(IndexDefinition.onField("tag"));
        ProtoList list = ProtoList.empty();
        for (int i = 0; i < 500; i++) {
            list = list.appendLast(i % 2 == 0 ? "s" + i : Dictionary.empty().setAt("inner", i));
        }
        HashDictionary hash = HashDictionary.empty();
        ProtoSet set = ProtoSet.empty();
        CountedSet counted = CountedSet.empty();
        RepeatedKeysDictionary repeated = RepeatedKeysDictionary.empty();
        for (int i = 0; i < 400; i++) {
            hash = hash.setAt(List.of(i, "k"), Instant.ofEpochSecond(i));
            set = set.add(i * 3L);
            counted = counted.add("c" + (i % 50));
            repeated = repeated.setAt("r" + (i % 30), i);
        }
        AtomPointer elsewhere = store.writeRecord(DbObject.of("pointed", "at"));
        return store.writeRecord(DbObject.of("big", big, "list", list, "hash", hash, "set", set, "counted", counted,
                "repeated", repeated, "pointer", elsewhere, "nested",
                List.of(List.of(Dictionary.empty().setAt(1, 2)))));
    }

    private Map<AtomPointer, Integer> reachable(AtomPointer root, Set<AtomPointer> boundary) {
        Map<AtomPointer, Integer> seen = new HashMap<>();
        graph.forEachReachable(List.of(root), boundary, (p, size) -> assertThat(seen.put(p, size)).isNull());
        return seen;
    }

    @Test
    void aWalkRemembersWhatAtomsReferenceSoTheNextReadsOnlyWhatIsNewToIt() {
        AtomPointer root = richRecord();
        Map<AtomPointer, Integer> first = reachable(root, Set.of());
        int readByFirst = storage.reads;
        AtomPointer more = store.writeRecord(DbObject.of("again", root, "list", ProtoList.of("a", "b")));

        assertThat(reachable(root, Set.of())).isEqualTo(first);
        assertThat(storage.reads).as("reads of a second walk of the same atoms").isEqualTo(readByFirst);
        Map<AtomPointer, Integer> second = reachable(more, Set.of());
        assertThat(second).containsAllEntriesOf(first).hasSize(first.size() + 2);
        assertThat(storage.reads - readByFirst).as("reads of a walk reaching two atoms more (the record, the list)")
                .isEqualTo(2);

        graph.forgetSegments(List.of(root.segmentId()));
        assertThat(reachable(root, Set.of())).as("walked again from the atoms once forgotten").isEqualTo(first);
        assertThat(storage.reads - readByFirst - 2).as("reads once forgotten").isGreaterThan(100);
    }

    @Test
    void aRecordReachesExactlyTheAtomsWrittenForItWithTheirSizes() {
        AtomPointer root = richRecord();

        assertThat(storage.pushed).hasSizeGreaterThan(100);
        assertThat(reachable(root, Set.of())).isEqualTo(storage.pushed);
    }

    @Test
    void liveBytesPerSegmentSumTheReachableAtoms() {
        AtomPointer root = richRecord();

        Map<Long, Long> expected = new HashMap<>();
        storage.pushed.forEach((p, size) -> expected.merge(p.segmentId(), (long) size, Long::sum));
        assertThat(graph.liveBytesBySegment(List.of(root), Set.of())).isEqualTo(expected);
    }

    @Test
    void aWalkDoesNotEnterTheBoundary() {
        AtomPointer older = store.writeRecord(DbObject.of("v", Dictionary.empty().setAt("old", 1)));
        AtomPointer newer = store.writeRecord(DbObject.of("previous", older, "v", Dictionary.empty().setAt("new", 2)));

        Map<AtomPointer, Integer> live = reachable(newer, Set.of(older));

        assertThat(live).hasSize(2).containsKey(newer).doesNotContainKey(older);
    }

    @Test
    void aVersionThatWasOnlyHistoryWhenAReachStartedCountsLiveOnceItIsARootAgain() {
        // a release pass starts while "older" is only behind the history link of "newer", and completes
        // once "older" is retained again (the current version while "newer" is still on its way to disk)
        AtomPointer older = store.writeRecord(DbObject.of("v", Dictionary.empty().setAt("old", 1)));
        AtomPointer newer = store.writeRecord(DbObject.of("previous", older, "v", Dictionary.empty().setAt("new", 2)));
        AtomGraph.Reach reach = graph.reach(List.of(newer), Set.of(older));

        reach.add(List.of(older));

        assertThat(reach.atoms()).containsAll(storage.pushed.keySet());
        Map<Long, Long> expected = new HashMap<>();
        storage.pushed.forEach((p, size) -> expected.merge(p.segmentId(), (long) size, Long::sum));
        assertThat(reach.liveBytesBySegment()).isEqualTo(expected);
    }

    @Test
    void aCopyIntoAnotherStorageReadsBackEqual() {
        AtomPointer root = richRecord();
        Object original = store.readRecord(root);
        MemoryStorage target = new MemoryStorage();

        AtomCopy copy = graph.copyTo(target);
        AtomPointer copied = copy.copy(root);

        assertThat(copy.atoms()).isEqualTo(storage.pushed.size());
        // pointers are varints: the copy's size differs from the original's by how its pointers encode
        assertThat(copy.bytes()).isCloseTo(storage.pushed.values().stream().mapToLong(Integer::intValue).sum(),
                org.assertj.core.data.Percentage.withPercentage(5));
        DbObject back = (DbObject) AtomStore.create(target, 1 << 20).readRecord(copied);
        DbObject before = (DbObject) original;
        assertThat(((Dictionary) back.getAt("big")).asMap()).isEqualTo(((Dictionary) before.getAt("big")).asMap());
        assertThat(((Dictionary) back.getAt("big")).indexes().keySet()).containsExactly("tag");
        assertThat(((ProtoList) back.getAt("list")).asList()).hasSize(500);
        assertThat(((Dictionary) ((ProtoList) back.getAt("list")).getAt(1)).asMap()).isEqualTo(Map.of("inner", 1));
        assertThat(((HashDictionary) back.getAt("hash")).getAt(List.of(7, "k"))).isEqualTo(Instant.ofEpochSecond(7));
        assertThat(((HashDictionary) back.getAt("hash")).count()).isEqualTo(400);
        assertThat(((ProtoSet) back.getAt("set")).asSet()).isEqualTo(((ProtoSet) before.getAt("set")).asSet());
        assertThat(((CountedSet) back.getAt("counted")).getCount("c3")).isEqualTo(8);
        assertThat(((RepeatedKeysDictionary) back.getAt("repeated")).count())
                .isEqualTo(((RepeatedKeysDictionary) before.getAt("repeated")).count()).isPositive();
        AtomPointer pointer = (AtomPointer) back.getAt("pointer");
        assertThat(AtomStore.create(target, 1 << 20).readRecord(pointer)).isEqualTo(DbObject.of("pointed", "at"));
    }

    @Test
    void graphsSharingAtomsAreCopiedOnce() {
        Dictionary shared = Dictionary.empty();
        for (int i = 0; i < 500; i++) {
            shared = shared.setAt(i, i);
        }
        AtomPointer a = store.writeRecord(DbObject.of("d", shared));
        AtomPointer b = store.writeRecord(DbObject.of("d", shared.setAt(0, "changed")));
        MemoryStorage target = new MemoryStorage();

        AtomCopy copy = graph.copyTo(target);
        copy.copy(a);
        long afterFirst = copy.atoms();
        copy.copy(b);

        assertThat(copy.atoms() - afterFirst).as("only b's record and the nodes it changed").isLessThan(5);
        assertThat(copy.atoms()).isEqualTo(storage.pushed.size());
    }

    @Test
    void aGraphDeeperThanAnyStackIsWalkedAndCopied() {
        int depth = 50_000;
        Dictionary chain = Dictionary.empty().setAt("bottom", true);
        for (int i = 0; i < depth; i++) {
            store.persist(chain); // stored level by level, as a history of commits builds such a chain
            chain = Dictionary.empty().setAt("next", chain);
        }
        AtomPointer root = store.writeRecord(DbObject.of("chain", chain));

        assertThat(reachable(root, Set.of())).hasSize(depth + 2);
        MemoryStorage target = new MemoryStorage();
        AtomPointer copied = graph.copyTo(target).copy(root);
        Dictionary d = (Dictionary) ((DbObject) AtomStore.create(target, 1 << 20).readRecord(copied)).getAt("chain");
        for (int i = 0; i < depth; i++) {
            d = (Dictionary) d.getAt("next");
        }
        assertThat(d.getAt("bottom")).isEqualTo(true);
    }

    @Test
    void aMalformedAtomFailsWithCorruptionNamingItsPointer() {
        AtomPointer garbage = storage.push(new byte[] {Tags.FORMAT_VERSION, Tags.ATOM_RECORD, 99});
        AtomPointer root = store.writeRecord(DbObject.of("p", garbage));

        assertThatThrownBy(() -> reachable(root, Set.of()))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(garbage.toString())
                .hasMessageContaining("unknown value tag 99");
        assertThatThrownBy(() -> graph.copyTo(new MemoryStorage()).copy(root))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(garbage.toString());
    }

    @Test
    void aPointerToNothingFailsNamingItAndTheAtomReferencingIt() {
        AtomPointer nowhere = new AtomPointer(999, 12345);
        AtomPointer root = store.writeRecord(DbObject.of("p", nowhere));

        assertThatThrownBy(() -> reachable(root, Set.of()))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(nowhere.toString())
                .hasMessageContaining("referenced by " + root);
    }

    @Test
    void pointersAreReportedWhereTheyAreEncodedAndRewrittenInPlace() {
        AtomPointer child = store.writeRecord(DbObject.of("x", 1));
        AtomPointer root = store.writeRecord(DbObject.of("a", child, "b", List.of(child, "text")));
        byte[] bytes = storage.read(root);
        List<AtomPointer> children = new ArrayList<>();

        AtomGraph.forEachChild(root, bytes, children::add);
        byte[] rewritten = AtomGraph.rewrite(root, bytes, p -> new AtomPointer(p.segmentId() + 1_000_000, 7));

        assertThat(children).containsExactly(child, child);
        AtomPointer moved = new AtomPointer(child.segmentId() + 1_000_000, 7);
        assertThat(store.decodeValue(rewritten)).isEqualTo(DbObject.of("a", moved, "b", List.of(moved, "text")));
    }

    @Test
    void relocationMovesTheAtomsOfTheMovingSegmentsAndTheirAncestorsAndKeepsEveryOtherPointer() {
        MemoryStorage segmented = new MemoryStorage(4096);
        AtomStore segmentedStore = AtomStore.create(segmented, 1 << 20);
        AtomGraph segmentedGraph = new AtomGraph(segmented);
        Dictionary d = Dictionary.empty();
        for (int i = 0; i < 2000; i++) {
            d = d.setAt(i, "value " + i);
        }
        AtomPointer root = segmentedStore.writeRecord(DbObject.of("d", d));
        Set<AtomPointer> before = new java.util.HashSet<>();
        segmentedGraph.forEachReachable(List.of(root), Set.of(), (p, size) -> before.add(p));
        long moving = before.stream().mapToLong(AtomPointer::segmentId).min().orElseThrow();

        AtomRelocation relocation = segmentedGraph.relocate(id -> id == moving);
        AtomPointer moved = relocation.relocate(root);

        Set<AtomPointer> after = new java.util.HashSet<>();
        segmentedGraph.forEachReachable(List.of(moved), Set.of(), (p, size) -> after.add(p));
        assertThat(after).hasSameSizeAs(before).noneMatch(p -> p.segmentId() == moving);
        assertThat(after).as("atoms with nothing moving under them keep their pointers").anyMatch(before::contains);
        long rewritten = after.stream().filter(p -> !before.contains(p)).count();
        assertThat(relocation.atoms()).isEqualTo(rewritten);
        Dictionary read = (Dictionary) ((DbObject) segmentedStore.readRecord(moved)).getAt("d");
        assertThat(read.keys().count()).isEqualTo(2000);
        assertThat(read.getAt(0)).isEqualTo("value 0");
        assertThat(read.getAt(1999)).isEqualTo("value 1999");
    }

    @Test
    void relocationOfAVersionThatSharesAtomsWithARelocatedOneRewritesOnlyItsNewAtoms() {
        Dictionary d = Dictionary.empty();
        for (int i = 0; i < 2000; i++) {
            d = d.setAt(i, "value " + i);
        }
        AtomPointer first = store.writeRecord(DbObject.of("d", d));
        AtomPointer second = store.writeRecord(DbObject.of("d", d.setAt(5, "changed")));
        AtomRelocation relocation = graph.relocate(id -> true);
        relocation.relocate(first);
        long afterFirst = relocation.atoms();
        int pushedBefore = storage.pushed.size();

        AtomPointer moved = relocation.relocate(second);

        long secondOnly = reachable(second, Set.of()).keySet().stream()
                .filter(p -> !reachable(first, Set.of()).containsKey(p)).count();
        assertThat(relocation.atoms() - afterFirst).isEqualTo(secondOnly);
        assertThat(storage.pushed.size() - pushedBefore).isEqualTo((int) secondOnly);
        assertThat(((Dictionary) ((DbObject) store.readRecord(moved)).getAt("d")).getAt(5)).isEqualTo("changed");
    }

    @Test
    void relocationWithNothingMovingReturnsTheSameRootAndPushesNothing() {
        AtomPointer root = richRecord();
        int pushed = storage.pushed.size();

        AtomRelocation relocation = graph.relocate(id -> false);

        assertThat(relocation.relocate(root)).isEqualTo(root);
        assertThat(relocation.atoms()).isZero();
        assertThat(storage.pushed).hasSize(pushed);
    }
}
