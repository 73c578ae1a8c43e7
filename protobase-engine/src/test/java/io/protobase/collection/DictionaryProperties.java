package io.protobase.collection;

import net.jqwik.api.Tag;
import io.protobase.codec.ValueOrder;
import net.jqwik.api.statistics.StatisticsReport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.TreeMap;

import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.KeyKind.shown;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Dictionary} behaves like a {@link TreeMap} ordered by {@link ValueOrder} (so {@code 5},
 * {@code 5L} and {@code 5.0} are one key, and the key first stored stays), through immutable edits,
 * builders, commits and reloads from storage, with trees of up to a few thousand keys (three levels
 * of 64-entry nodes).
 */
@StatisticsReport(onFailureOnly = true)
@Tag("slow")
class DictionaryProperties {

    @Property(tries = 50, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void dictionaryBehavesLikeTreeMapAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<Dictionary, TreeMap<Object, Object>, Target>> steps) {
        new DictionaryScenario().run(steps);
    }

    @Provide
    Arbitrary<List<Scenario.Step<Dictionary, TreeMap<Object, Object>, Target>>> steps() {
        Arbitrary<Scenario.Edit<TreeMap<Object, Object>, Target>> fill = Combinators.combine(
                Arbitraries.of(KeyKind.INT, KeyKind.LONG, KeyKind.STRING, KeyKind.HALF, KeyKind.DECIMAL),
                uniform(-100, 100), Scenario.fillSizes(), uniform(1, 3), uniform(0, 99)).as(PutRange::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    // ------------------------------------------------------------------ generated edits

    /** Key kinds: every number type (equal numbers are one key) and strings. */
    static final List<KeyKind> KINDS = List.of(KeyKind.INT, KeyKind.LONG, KeyKind.STRING, KeyKind.HALF,
            KeyKind.WHOLE_DOUBLE, KeyKind.DECIMAL, KeyKind.BIG_INTEGER, KeyKind.EXTREME);

    static Arbitrary<Object> keys() {
        Arbitrary<KeyKind> kind = Arbitraries.of(KINDS);
        Arbitrary<Integer> n = Arbitraries.frequencyOf(
                Tuple.of(3, uniform(0, 60)),
                Tuple.of(2, uniform(-50, 4000)));
        return Combinators.combine(kind, n).as(KeyKind::of).injectNull(0.02);
    }

    static Arbitrary<Object> values() {
        Arbitrary<Integer> n = uniform(-1000, 1000);
        return Arbitraries.frequencyOf(
                Tuple.of(4, n.map(i -> (Object) i)),
                Tuple.of(2, n.map(i -> (Object) ("v" + i))),
                Tuple.of(1, n.map(i -> (Object) (long) i)),
                Tuple.of(1, n.map(i -> (Object) List.of(i, "x"))),
                Tuple.of(1, n.map(i -> (Object) DbObject.of("n", i, "s", "d" + i))),
                Tuple.of(1, n.map(i -> (Object) "long".repeat(Math.abs(i)))),
                Tuple.of(1, n.map(i -> (Object) large(i))),
                Tuple.of(1, n.map(i -> (Object) DbObject.of("n", i, "blob", large(i)))),
                Tuple.of(1, Arbitraries.<Object>of(0, 0L, DbObject.of("n", 0), DbObject.of("n", 0L),
                        DbObject.of("n", 0.0))),
                Tuple.of(1, Arbitraries.just(null)));
    }

    /**
     * A string of up to 4 KB, above {@link TreeStore#INLINE_LIMIT} for most {@code i}: stored out of
     * line, as a value or as a record's attribute. Its content depends on {@code i}, so two differ.
     */
    static String large(int i) {
        return ("L" + i + ":").repeat(Math.abs(i) * 4 / (3 + String.valueOf(i).length()));
    }

    static Arbitrary<Integer> permille() {
        return uniform(0, 999);
    }

    Arbitrary<Scenario.Edit<TreeMap<Object, Object>, Target>> edits() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Combinators.combine(keys(), values()).as(Put::new)),
                Tuple.of(3, keys().map(Remove::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000), Scenario.batchSizes(2500),
                        uniform(1, 7), uniform(0, 99)).as(PutRange::new)),
                Tuple.of(2, Combinators.combine(permille(), Scenario.batchSizes(2500)).as(RemoveSpan::new)),
                Tuple.of(1, Combinators.combine(uniform(1, 6), uniform(0, 5)).as(RemoveEvery::new)),
                Tuple.of(2, Combinators.combine(permille(), Arbitraries.of(true, false), values()).as(Overwrite::new)),
                Tuple.of(1, Combinators.combine(permille(), uniform(-1000, 1000)).as(NestList::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private Dictionary current;
        private final Dictionary.Builder builder;

        Target(Dictionary start, boolean useBuilder) {
            this.current = start;
            this.builder = useBuilder ? start.toBuilder() : null;
        }

        void setAt(Object key, Object value) {
            if (builder != null) {
                builder.setAt(key, value);
            } else {
                current = current.setAt(key, value);
            }
        }

        void removeAt(Object key) {
            if (builder != null) {
                builder.removeAt(key);
            } else {
                current = current.removeAt(key);
            }
        }

        Dictionary result() {
            return builder != null ? builder.build() : current;
        }
    }

    private static Object keyAt(TreeMap<Object, Object> m, int permille) {
        int rank = (int) ((long) m.size() * permille / 1000);
        int i = 0;
        for (Object k : m.keySet()) {
            if (i++ == rank) {
                return k;
            }
        }
        throw new IllegalStateException("empty model");
    }

    record Put(Object key, Object value) implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            t.setAt(key, value);
            model.put(key, value);
        }

        @Override
        public String toString() {
            return "setAt(" + show(key) + ", " + show(value) + ")";
        }
    }

    record Remove(Object key) implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            t.removeAt(key);
            model.remove(key);
        }

        @Override
        public String toString() {
            return "removeAt(" + show(key) + ")";
        }
    }

    /** Sets {@code count} keys {@code start, start + step, ...} of one kind. */
    record PutRange(KeyKind kind, int start, int count, int step, int tag)
            implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            for (int i = 0; i < count; i++) {
                Object k = kind.of(start + i * step);
                Object v = tag % 2 == 0 ? (Object) (tag * 100_000 + i) : "r" + tag + "." + i;
                t.setAt(k, v);
                model.put(k, v);
            }
        }
    }

    /** Removes {@code count} present keys starting at rank {@code size * fromPermille / 1000}. */
    record RemoveSpan(int fromPermille, int count) implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            List<Object> keys = new ArrayList<>(model.keySet());
            int from = (int) ((long) keys.size() * fromPermille / 1000);
            for (Object k : keys.subList(from, Math.min(keys.size(), from + count))) {
                t.removeAt(k);
                model.remove(k);
            }
        }
    }

    /** Removes the present keys of rank {@code offset mod nth}: thins out every node at once. */
    record RemoveEvery(int nth, int offset) implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            List<Object> keys = new ArrayList<>(model.keySet());
            for (int i = offset % nth; i < keys.size(); i += nth) {
                t.removeAt(keys.get(i));
                model.remove(keys.get(i));
            }
        }
    }

    /** Replaces the value of a present key, optionally naming it with another numeric type. */
    record Overwrite(int permille, boolean otherType, Object value)
            implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            if (model.isEmpty()) {
                return;
            }
            Object stored = keyAt(model, permille);
            Object k = otherType ? KeyKind.sameKeyOtherType(stored) : stored;
            t.setAt(k, value);
            model.put(k, value);
        }

        @Override
        public String toString() {
            return "Overwrite[permille=" + permille + ", otherType=" + otherType + ", value=" + show(value) + "]";
        }
    }

    /**
     * Makes the value of a present key a nested list (of up to 300 elements, so several nodes), or
     * changes the nested list it already holds — possibly one read back from storage, not loaded.
     */
    record NestList(int permille, int x) implements Scenario.Edit<TreeMap<Object, Object>, Target> {
        @Override
        public void apply(TreeMap<Object, Object> model, Target t) {
            if (model.isEmpty()) {
                return;
            }
            Object k = keyAt(model, permille);
            Object v = t.builder != null ? t.builder.getAt(k) : t.current.getAt(k);
            ProtoList list = v instanceof ProtoList l ? (x % 2 == 0 ? l.appendLast(x) : l.removeFirst())
                    : ProtoList.from(java.util.stream.IntStream.range(x, x + Math.abs(x) % 300).boxed().toList());
            t.setAt(k, list);
            model.put(k, list);
        }
    }

    // ------------------------------------------------------------------ the scenario

    static final class DictionaryScenario extends Scenario<Dictionary, TreeMap<Object, Object>, Target> {

        DictionaryScenario() {
            super(Dictionary.class);
        }

        @Override
        Dictionary empty() {
            return Dictionary.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N)
                    .withIndex(IndexChecks.N_COVERING)
                    .withIndex(IndexChecks.TYPE_COVERING);
        }

        @Override
        TreeMap<Object, Object> newModel() {
            return new TreeMap<>(ValueOrder.INSTANCE);
        }

        @Override
        TreeMap<Object, Object> copy(TreeMap<Object, Object> model) {
            return new TreeMap<>(model);
        }

        @Override
        Target immutable(Dictionary d) {
            return new Target(d, false);
        }

        @Override
        Target builder(Dictionary d) {
            return new Target(d, true);
        }

        @Override
        Dictionary result(Target target) {
            return target.result();
        }

        @Override
        long count(Dictionary d) {
            return d.count();
        }

        @Override
        long size(TreeMap<Object, Object> model) {
            return model.size();
        }

        @Override
        int height(Dictionary d) {
            return treeHeight(d);
        }

        @Override
        void verify(Dictionary d, TreeMap<Object, Object> m, Random r, String where) {
            IndexChecks.verify(d, m.values(), r, where);
            assertThat(d.count()).as("%s: count()", where).isEqualTo(m.size());
            assertThat(d.isEmpty()).as("%s: isEmpty()", where).isEqualTo(m.isEmpty());
            List<Object> keys = new ArrayList<>(m.keySet());
            List<Object> actualKeys = new ArrayList<>();
            List<Object> actualValues = new ArrayList<>();
            for (Map.Entry<Object, Object> e : d) {
                actualKeys.add(e.getKey());
                actualValues.add(e.getValue());
            }
            assertSameSequence(where + ": keys in order", actualKeys, keys);
            assertSameSequence(where + ": values in key order", plain(actualValues), plain(m.values()));

            if (m.isEmpty()) {
                assertThatThrownBy(d::firstKey).as("%s: firstKey() of empty", where)
                        .isInstanceOf(NoSuchElementException.class);
                assertThatThrownBy(d::lastKey).as("%s: lastKey() of empty", where)
                        .isInstanceOf(NoSuchElementException.class);
            } else {
                assertThat(d.firstKey()).as("%s: firstKey()", where).isEqualTo(m.firstKey());
                assertThat(d.lastKey()).as("%s: lastKey()", where).isEqualTo(m.lastKey());
                for (int probe = 0; probe < 4; probe++) {
                    int i = probe == 0 ? 0 : probe == 1 ? keys.size() - 1 : r.nextInt(keys.size());
                    Map.Entry<Object, Object> e = d.entryAt(i);
                    assertThat(e.getKey()).as("%s: entryAt(%d).key", where, i).isEqualTo(keys.get(i));
                    assertThat(Plain.of(e.getValue())).as("%s: entryAt(%d).value", where, i)
                            .isEqualTo(Plain.of(m.get(keys.get(i))));
                }
            }
            assertThatThrownBy(() -> d.entryAt(m.size())).as("%s: entryAt(count())", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.entryAt(-1)).as("%s: entryAt(-1)", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);

            int lookups = keys.size() <= 100 ? keys.size() : 40;
            for (int j = 0; j < lookups; j++) {
                Object k = keys.size() <= 100 ? keys.get(j) : keys.get(r.nextInt(keys.size()));
                Object expected = Plain.of(m.get(k));
                assertThat(Plain.of(d.getAt(k))).as("%s: getAt(%s)", where, shown(k)).isEqualTo(expected);
                assertThat(d.has(k)).as("%s: has(%s)", where, shown(k)).isTrue();
                Object other = KeyKind.sameKeyOtherType(k);
                assertThat(Plain.of(d.getAt(other))).as("%s: getAt(%s), the same key as %s", where, shown(other),
                        shown(k)).isEqualTo(expected);
            }
            for (int j = 0; j < 12; j++) {
                Object k = probe(r);
                assertThat(d.has(k)).as("%s: has(%s)", where, shown(k)).isEqualTo(m.containsKey(k));
                assertThat(Plain.of(d.getAt(k))).as("%s: getAt(%s)", where, shown(k)).isEqualTo(Plain.of(m.get(k)));
                assertThat(d.asMap().containsKey(k)).as("%s: asMap().containsKey(%s)", where, shown(k))
                        .isEqualTo(m.containsKey(k));
            }
            for (int j = 0; j < 2; j++) {
                verifyRange(d, m, keys, r, where);
            }
        }

        private static List<Object> plain(java.util.Collection<Object> values) {
            List<Object> out = new ArrayList<>(values.size());
            values.forEach(v -> out.add(Plain.of(v)));
            return out;
        }

        private static Object probe(Random r) {
            KeyKind kind = KINDS.get(r.nextInt(KINDS.size()));
            return r.nextInt(50) == 0 ? null : kind.of(r.nextInt(4100) - 60);
        }

        private static Object bound(Random r, List<Object> keys) {
            int c = r.nextInt(6);
            if (c == 0) {
                return Dictionary.UNBOUNDED;
            }
            if (c <= 3 && !keys.isEmpty()) {
                return keys.get(r.nextInt(keys.size()));
            }
            return probe(r);
        }

        private static void verifyRange(Dictionary d, TreeMap<Object, Object> m, List<Object> keys, Random r,
                String where) {
            Object lo = bound(r, keys);
            Object hi = bound(r, keys);
            boolean loIn = r.nextBoolean();
            boolean hiIn = r.nextBoolean();
            NavigableMap<Object, Object> expected;
            if (lo == Dictionary.UNBOUNDED && hi == Dictionary.UNBOUNDED) {
                expected = m;
            } else if (lo == Dictionary.UNBOUNDED) {
                expected = m.headMap(hi, hiIn);
            } else if (hi == Dictionary.UNBOUNDED) {
                expected = m.tailMap(lo, loIn);
            } else if (ValueOrder.INSTANCE.compare(lo, hi) > 0) {
                expected = Collections.emptyNavigableMap();
            } else {
                expected = m.subMap(lo, loIn, hi, hiIn);
            }
            List<Object> actualKeys = new ArrayList<>();
            List<Object> actualValues = new ArrayList<>();
            d.range(lo, loIn, hi, hiIn).forEach(e -> {
                actualKeys.add(e.getKey());
                actualValues.add(e.getValue());
            });
            String what = where + ": range(" + show(lo) + ", " + loIn + ", " + show(hi) + ", " + hiIn + ")";
            assertSameSequence(what + " keys", actualKeys, new ArrayList<>(expected.keySet()));
            assertSameSequence(what + " values", plain(actualValues), plain(expected.values()));
        }

        @Override
        void verifyBuilder(Target t, TreeMap<Object, Object> m, Random r, String where) {
            Dictionary.Builder b = t.builder;
            assertThat(b.count()).as("%s: builder count()", where).isEqualTo(m.size());
            List<Object> keys = new ArrayList<>(m.keySet());
            for (int j = 0; j < Math.min(32, keys.size()); j++) {
                Object k = keys.get(r.nextInt(keys.size()));
                assertThat(Plain.of(b.getAt(k))).as("%s: builder getAt(%s)", where, shown(k))
                        .isEqualTo(Plain.of(m.get(k)));
                assertThat(b.has(k)).as("%s: builder has(%s)", where, shown(k)).isTrue();
            }
            for (int j = 0; j < 8; j++) {
                Object k = probe(r);
                assertThat(b.has(k)).as("%s: builder has(%s)", where, shown(k)).isEqualTo(m.containsKey(k));
            }
        }
    }
}
