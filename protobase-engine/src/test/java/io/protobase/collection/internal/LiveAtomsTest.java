package io.protobase.collection.internal;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LiveAtoms}: counted from one set of roots to the next, it holds what a fresh walk of the same roots
 * reaches, byte for byte and atom for atom, however the roots change.
 */
class LiveAtomsTest {

    /** Small segments, so that the versions spread over many. */
    private final MemoryStorage storage = new MemoryStorage(8192);
    private final AtomStore store = AtomStore.create(storage, 1 << 20);
    private final Random random = new Random(13);

    /**
     * Versions as the engine writes them: each a record linking to the previous one (a history link, which
     * walks do not follow), holding a dictionary edited by a few random keys, some values large enough to
     * go out of line, some records nested, and a list.
     */
    private List<AtomPointer> versions(int count) {
        List<AtomPointer> versions = new ArrayList<>();
        Dictionary d = Dictionary.empty();
        for (int i = 0; i < 400; i++) {
            d = d.setAt(i, DbObject.of("n", i));
        }
        AtomPointer previous = null;
        for (int v = 0; v < count; v++) {
            for (int edit = 0; edit < 1 + random.nextInt(4); edit++) {
                int key = random.nextInt(500);
                Object value = switch (random.nextInt(4)) {
                    case 0 -> "x".repeat(random.nextInt(6000)); // out of line above the threshold
                    case 1 -> DbObject.of("list", ProtoList.of("a", "y".repeat(3000)), "n", key);
                    case 2 -> Dictionary.empty().setAt("inner", key);
                    default -> key;
                };
                d = random.nextInt(8) == 0 ? d.removeAt(key) : d.setAt(key, value);
            }
            previous = previous == null ? store.writeRecord(DbObject.of("d", d))
                    : store.writeRecord(DbObject.of("previous", previous, "d", d));
            versions.add(previous);
        }
        return versions;
    }

    @Test
    void theCountsEqualAFreshWalkOfTheSameRootsWhateverTheRootsBecome() {
        List<AtomPointer> versions = versions(120);
        AtomGraph graph = new AtomGraph(storage);
        LiveAtoms live = graph.liveAtoms();
        Set<AtomPointer> boundary = new HashSet<>(versions);
        for (int step = 0; step < 200; step++) {
            // a window of recent versions as history, a few older ones pinned, a few subtrees admitted
            int newest = random.nextInt(versions.size());
            int oldest = Math.max(0, newest - random.nextInt(15));
            Set<AtomPointer> roots = new LinkedHashSet<>(versions.subList(oldest, newest + 1));
            for (int pins = random.nextInt(3); pins > 0; pins--) {
                roots.add(versions.get(random.nextInt(versions.size())));
            }
            Set<AtomPointer> reachable = new HashSet<>();
            graph.forEachReachable(roots, boundary, (p, size) -> reachable.add(p));
            List<AtomPointer> admitted = new ArrayList<>(reachable).subList(0, Math.min(reachable.size(),
                    random.nextInt(4)));
            roots.addAll(admitted);
            if (random.nextInt(4) == 0) {
                // the final step of a pass only adds roots
                live.addRoots(roots, List.of(), boundary);
                assertThat(live.roots()).containsAll(roots);
            } else {
                live.setRoots(roots, List.of(), boundary);
                assertThat(live.roots()).isEqualTo(roots);
            }
            assertEqualsAFreshWalk(graph, live, live.roots(), boundary);
        }
        live.setRoots(List.of(), List.of(), boundary);
        assertThat(live.size()).isZero();
        assertThat(live.totalBytes()).isZero();
        assertThat(live.liveBytesBySegment()).isEmpty();
    }

    @Test
    void theOldestSegmentAnAtomReachesIsTheOldestAWalkFromItFinds() {
        List<AtomPointer> versions = versions(60);
        AtomGraph graph = new AtomGraph(storage);
        LiveAtoms live = graph.liveAtoms();
        Set<AtomPointer> boundary = new HashSet<>(versions);
        AtomPointer current = versions.get(versions.size() - 1);
        live.setRoots(List.of(current), List.of(), boundary);
        Set<AtomPointer> atoms = new HashSet<>();
        graph.forEachReachable(List.of(current), boundary, (p, size) -> atoms.add(p));
        int checked = 0;
        for (AtomPointer p : atoms) {
            if (!live.contains(p)) {
                continue; // a chunk of a value: counted with the value, by its first chunk
            }
            long[] oldest = {Long.MAX_VALUE};
            graph.forEachReachable(List.of(p), boundary, (q, size) -> oldest[0] = Math.min(oldest[0], q.segmentId()));
            assertThat(live.oldestSegment(p)).as("oldest segment below %s", p).isEqualTo(oldest[0]);
            checked++;
        }
        assertThat(checked).isGreaterThan(50);
        assertThat(live.oldestSegment(versions.get(0))).as("an atom not counted").isEqualTo(-1);
    }

    @Test
    void aRelocationThatSkipsWhatReachesNoMovingSegmentMovesTheSameAtomsAsOneThatEntersEverything() {
        List<AtomPointer> versions = versions(80);
        AtomGraph graph = new AtomGraph(storage);
        LiveAtoms live = graph.liveAtoms();
        Set<AtomPointer> boundary = new HashSet<>(versions);
        AtomPointer current = versions.get(versions.size() - 1);
        live.setRoots(List.of(current), List.of(), boundary);
        Map<Long, Long> bySegment = live.liveBytesBySegment();
        List<Long> segments = new ArrayList<>(bySegment.keySet());
        java.util.Collections.sort(segments);
        Set<Long> moving = Set.of(segments.get(0), segments.get(segments.size() / 2));
        java.util.NavigableSet<Long> sorted = new java.util.TreeSet<>(moving);

        AtomPointer skipping = graph.relocate(moving::contains, p -> {
            long oldest = live.oldestSegment(p);
            Long first = oldest < 0 ? null : sorted.ceiling(oldest);
            return oldest >= 0 && (first == null || first > p.segmentId());
        }).relocate(current);

        Set<AtomPointer> after = new HashSet<>();
        graph.forEachReachable(List.of(skipping), Set.of(versions.get(versions.size() - 2)), (p, s) -> after.add(p));
        assertThat(after).noneMatch(p -> moving.contains(p.segmentId()));
        DbObject before = (DbObject) store.readRecord(current);
        DbObject moved = (DbObject) store.readRecord(skipping);
        assertThat(digest((Dictionary) moved.getAt("d"))).isEqualTo(digest((Dictionary) before.getAt("d")));
    }

    /** The entries as text, large values by their length (collections compare by their root pointer). */
    private static Map<Object, String> digest(Dictionary d) {
        Map<Object, String> out = new HashMap<>();
        d.asMap().forEach((k, v) -> out.put(k, v instanceof String text ? "string of " + text.length() : v.toString()));
        return out;
    }

    private static void assertEqualsAFreshWalk(AtomGraph graph, LiveAtoms live, Set<AtomPointer> roots,
                                               Set<AtomPointer> boundary) {
        Map<Long, Long> expected = new HashMap<>();
        Set<AtomPointer> atoms = new HashSet<>();
        graph.forEachReachable(roots, boundary, (p, size) -> {
            expected.merge(p.segmentId(), (long) size, Long::sum);
            atoms.add(p);
        });
        assertThat(live.liveBytesBySegment()).isEqualTo(expected);
        assertThat(live.totalBytes()).isEqualTo(expected.values().stream().mapToLong(Long::longValue).sum());
        // every member is an atom the walk reached (a value is named by its first chunk)
        assertThat(atoms.stream().filter(live::contains).count()).isEqualTo(live.size());
    }
}
