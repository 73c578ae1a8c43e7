package io.protobase.collection;

import net.jqwik.api.Tag;
import io.protobase.codec.StableHash;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.protobase.collection.KeyKind.canonical;
import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.KeyKind.shown;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HashDictionary} behaves like a {@link HashMap} whose keys are ProtoBase keys ({@code 5}
 * and {@code 5L} are one key, the key first stored stays), with Integer, Long, String, tuple and
 * UUID keys, through immutable edits, merges, builders, commits and reloads from storage.
 * Iteration is in stable-hash order.
 */
@StatisticsReport(onFailureOnly = true)
@Tag("slow")
class HashDictionaryProperties {

    /** The model: canonical key → the key as first stored and its value. */
    record Stored(Object key, Object value) {
        @Override
        public String toString() {
            return show(key) + "=" + show(value);
        }
    }

    @Property(tries = 50, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void hashDictionaryBehavesLikeHashMapAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<HashDictionary, HashMap<Object, Stored>, Target>> steps) {
        new HashDictionaryScenario().run(steps);
    }

    /** Key kinds: every number type (equal numbers are one key), strings, tuples and UUIDs. */
    static final List<KeyKind> KINDS = List.of(KeyKind.INT, KeyKind.LONG, KeyKind.STRING, KeyKind.TUPLE, KeyKind.UUID,
            KeyKind.WHOLE_DOUBLE, KeyKind.HALF, KeyKind.DECIMAL, KeyKind.BIG_INTEGER, KeyKind.EXTREME);

    @Provide
    Arbitrary<List<Scenario.Step<HashDictionary, HashMap<Object, Stored>, Target>>> steps() {
        Arbitrary<Scenario.Edit<HashMap<Object, Stored>, Target>> fill = Combinators.combine(Arbitraries.of(KINDS),
                uniform(-100, 100), Scenario.fillSizes(), uniform(1, 3), uniform(0, 99)).as(PutRange::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    static Arbitrary<Object> keys() {
        Arbitrary<Integer> n = Arbitraries.frequencyOf(Tuple.of(3, uniform(0, 60)), Tuple.of(2, uniform(-50, 4000)));
        return Combinators.combine(Arbitraries.of(KINDS), n).as(KeyKind::of);
    }

    Arbitrary<Scenario.Edit<HashMap<Object, Stored>, Target>> edits() {
        Arbitrary<Integer> batch = Scenario.batchSizes(2500);
        return Arbitraries.frequencyOf(
                Tuple.of(6, Combinators.combine(keys(), DictionaryProperties.values()).as(Put::new)),
                Tuple.of(3, keys().map(Remove::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000), batch, uniform(1, 7),
                        uniform(0, 99)).as(PutRange::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000), batch, uniform(1, 7),
                        uniform(0, 99)).as(Merge::new)),
                Tuple.of(2, Combinators.combine(uniform(0, 999), batch).as(RemoveSpan::new)),
                Tuple.of(1, Combinators.combine(uniform(1, 6), uniform(0, 5)).as(RemoveEvery::new)),
                Tuple.of(2, Combinators.combine(uniform(0, 999), Arbitraries.of(true, false),
                        DictionaryProperties.values()).as(Overwrite::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private HashDictionary current;
        private final HashDictionary.Builder builder;

        Target(HashDictionary start, boolean useBuilder) {
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

        void merge(HashDictionary other) {
            if (builder != null) {
                other.forEach(e -> builder.setAt(e.getKey(), e.getValue()));
            } else {
                current = current.merge(other);
            }
        }

        HashDictionary result() {
            return builder != null ? builder.build() : current;
        }
    }

    /** Sets a key in the model the way ProtoBase does: a key already present keeps its stored form. */
    static void put(HashMap<Object, Stored> model, Object key, Object value) {
        model.compute(canonical(key), (c, old) -> new Stored(old == null ? key : old.key(), value));
    }

    /**
     * The stored keys in the model's iteration order: unrelated to the hash order of the tree, and
     * reproducible (the canonical keys' {@code hashCode}s do not vary between runs).
     */
    static List<Object> storedKeys(HashMap<Object, Stored> model) {
        List<Object> keys = new ArrayList<>(model.size());
        for (Stored s : model.values()) {
            keys.add(s.key());
        }
        return keys;
    }

    record Put(Object key, Object value) implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            t.setAt(key, value);
            put(model, key, value);
        }

        @Override
        public String toString() {
            return "setAt(" + show(key) + ", " + show(value) + ")";
        }
    }

    record Remove(Object key) implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            t.removeAt(key);
            model.remove(canonical(key));
        }

        @Override
        public String toString() {
            return "removeAt(" + show(key) + ")";
        }
    }

    static Object rangeValue(int tag, int i) {
        return tag % 2 == 0 ? (Object) (tag * 100_000 + i) : "r" + tag + "." + i;
    }

    record PutRange(KeyKind kind, int start, int count, int step, int tag)
            implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            for (int i = 0; i < count; i++) {
                Object k = kind.of(start + i * step);
                t.setAt(k, rangeValue(tag, i));
                put(model, k, rangeValue(tag, i));
            }
        }
    }

    /** {@code merge} with a hash dictionary of {@code count} keys of one kind. */
    record Merge(KeyKind kind, int start, int count, int step, int tag)
            implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            HashDictionary.Builder other = HashDictionary.builder();
            for (int i = 0; i < count; i++) {
                Object k = kind.of(start + i * step);
                other.setAt(k, rangeValue(tag, i));
                put(model, k, rangeValue(tag, i));
            }
            t.merge(other.build());
        }
    }

    record RemoveSpan(int fromPermille, int count) implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            List<Object> keys = storedKeys(model);
            int from = (int) ((long) keys.size() * fromPermille / 1000);
            for (Object k : keys.subList(from, Math.min(keys.size(), from + count))) {
                t.removeAt(k);
                model.remove(canonical(k));
            }
        }
    }

    record RemoveEvery(int nth, int offset) implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            List<Object> keys = storedKeys(model);
            for (int i = offset % nth; i < keys.size(); i += nth) {
                t.removeAt(keys.get(i));
                model.remove(canonical(keys.get(i)));
            }
        }
    }

    record Overwrite(int permille, boolean otherType, Object value)
            implements Scenario.Edit<HashMap<Object, Stored>, Target> {
        @Override
        public void apply(HashMap<Object, Stored> model, Target t) {
            if (model.isEmpty()) {
                return;
            }
            List<Object> keys = storedKeys(model);
            Object stored = keys.get((int) ((long) keys.size() * permille / 1000));
            Object k = otherType ? KeyKind.sameKeyOtherType(stored) : stored;
            t.setAt(k, value);
            put(model, k, value);
        }

        @Override
        public String toString() {
            return "Overwrite[permille=" + permille + ", otherType=" + otherType + ", value=" + show(value) + "]";
        }
    }

    static final class HashDictionaryScenario extends Scenario<HashDictionary, HashMap<Object, Stored>, Target> {

        HashDictionaryScenario() {
            super(HashDictionary.class);
        }

        @Override
        HashDictionary empty() {
            return HashDictionary.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N)
                    .withIndex(IndexChecks.N_COVERING)
                    .withIndex(IndexChecks.TYPE_COVERING);
        }

        @Override
        HashMap<Object, Stored> newModel() {
            return new HashMap<>();
        }

        @Override
        HashMap<Object, Stored> copy(HashMap<Object, Stored> model) {
            return new HashMap<>(model);
        }

        @Override
        Target immutable(HashDictionary c) {
            return new Target(c, false);
        }

        @Override
        Target builder(HashDictionary c) {
            return new Target(c, true);
        }

        @Override
        HashDictionary result(Target target) {
            return target.result();
        }

        @Override
        long count(HashDictionary c) {
            return c.count();
        }

        @Override
        long size(HashMap<Object, Stored> model) {
            return model.size();
        }

        @Override
        int height(HashDictionary c) {
            return treeHeight(c);
        }

        @Override
        void verify(HashDictionary d, HashMap<Object, Stored> m, Random r, String where) {
            IndexChecks.verify(d, m.values().stream().map(Stored::value).toList(), r, where);
            assertThat(d.count()).as("%s: count()", where).isEqualTo(m.size());
            Map<Object, Stored> actual = new HashMap<>();
            long previousHash = 0;
            boolean first = true;
            for (Map.Entry<Object, Object> e : d) {
                Stored was = actual.put(canonical(e.getKey()), new Stored(e.getKey(), e.getValue()));
                assertThat(was).as("%s: key %s iterated twice", where, shown(e.getKey())).isNull();
                long h = StableHash.of(e.getKey());
                assertThat(first || Long.compareUnsigned(previousHash, h) <= 0)
                        .as("%s: iteration in stable-hash order at key %s", where, shown(e.getKey())).isTrue();
                previousHash = h;
                first = false;
            }
            assertSameMap(where + ": entries", actual, m);
            assertThat(d.keys().count()).as("%s: keys().count()", where).isEqualTo(m.size());

            List<Object> keys = storedKeys(m);
            int lookups = keys.size() <= 100 ? keys.size() : 40;
            for (int j = 0; j < lookups; j++) {
                Object k = keys.size() <= 100 ? keys.get(j) : keys.get(r.nextInt(keys.size()));
                Object expected = m.get(canonical(k)).value();
                assertThat(d.getAt(k)).as("%s: getAt(%s)", where, shown(k)).isEqualTo(expected);
                assertThat(d.has(k)).as("%s: has(%s)", where, shown(k)).isTrue();
                Object other = KeyKind.sameKeyOtherType(k);
                assertThat(d.getAt(other)).as("%s: getAt(%s)", where, shown(other)).isEqualTo(expected);
            }
            for (int j = 0; j < 12; j++) {
                Object k = probe(r);
                Stored s = m.get(canonical(k));
                assertThat(d.has(k)).as("%s: has(%s)", where, shown(k)).isEqualTo(s != null);
                assertThat(d.getAt(k)).as("%s: getAt(%s)", where, shown(k)).isEqualTo(s == null ? null : s.value());
            }
        }

        private static Object probe(Random r) {
            return KINDS.get(r.nextInt(KINDS.size())).of(r.nextInt(4100) - 60);
        }

        @Override
        void verifyBuilder(Target t, HashMap<Object, Stored> m, Random r, String where) {
            List<Object> keys = storedKeys(m);
            for (int j = 0; j < Math.min(32, keys.size()); j++) {
                Object k = keys.get(r.nextInt(keys.size()));
                assertThat(t.builder.getAt(k)).as("%s: builder getAt(%s)", where, shown(k))
                        .isEqualTo(m.get(canonical(k)).value());
            }
            for (int j = 0; j < 8; j++) {
                Object k = probe(r);
                Stored s = m.get(canonical(k));
                assertThat(t.builder.getAt(k)).as("%s: builder getAt(%s)", where, shown(k))
                        .isEqualTo(s == null ? null : s.value());
            }
        }
    }
}
