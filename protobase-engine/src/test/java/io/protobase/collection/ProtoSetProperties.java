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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.protobase.collection.KeyKind.canonical;
import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.KeyKind.shown;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProtoSet} behaves like a {@link java.util.HashSet} of ProtoBase keys ({@code 5} and
 * {@code 5L} are one element; the element first stored stays): add, removeAt, has, union,
 * intersection and difference with other sets (which hold some of the same elements, some under
 * another numeric type, and new ones), through immutable edits, builders, commits and reloads.
 */
@StatisticsReport(onFailureOnly = true)
@Tag("slow")
class ProtoSetProperties {

    @Property(tries = 50, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void protoSetBehavesLikeHashSetAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<ProtoSet, HashMap<Object, Object>, Target>> steps) {
        new ProtoSetScenario().run(steps);
    }

    static final List<KeyKind> KINDS = HashDictionaryProperties.KINDS;
    /** One element under several numeric types, added and removed on purpose: the set and its index keep the first. */
    static final Object[] ZEROS = {0, 0L, 0.0, List.of(0, "t"), List.of(0L, "t")};

    @Provide
    Arbitrary<List<Scenario.Step<ProtoSet, HashMap<Object, Object>, Target>>> steps() {
        Arbitrary<Scenario.Edit<HashMap<Object, Object>, Target>> fill = Combinators.combine(Arbitraries.of(KINDS),
                uniform(-100, 100), Scenario.fillSizes(), uniform(1, 3)).as(AddRange::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    Arbitrary<Scenario.Edit<HashMap<Object, Object>, Target>> edits() {
        Arbitrary<Integer> batch = Scenario.batchSizes(2500);
        Arbitrary<Other> other = Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000),
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(3, batch)), uniform(1, 7),
                uniform(0, 1000)).as(Other::new);
        return Arbitraries.frequencyOf(
                Tuple.of(6, HashDictionaryProperties.keys().map(Add::new)),
                Tuple.of(3, HashDictionaryProperties.keys().map(Remove::new)),
                Tuple.of(2, Arbitraries.of(ZEROS).map(Add::new)),
                Tuple.of(1, Arbitraries.of(ZEROS).map(Remove::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000), batch, uniform(1, 7))
                        .as(AddRange::new)),
                Tuple.of(2, Combinators.combine(uniform(0, 999), batch).as(RemoveSpan::new)),
                Tuple.of(1, Combinators.combine(uniform(1, 6), uniform(0, 5)).as(RemoveEvery::new)),
                Tuple.of(2, other.map(Union::new)),
                Tuple.of(2, other.map(Intersection::new)),
                Tuple.of(2, other.map(Difference::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private ProtoSet current;
        private final ProtoSet.Builder builder;

        Target(ProtoSet start, boolean useBuilder) {
            this.current = start;
            this.builder = useBuilder ? start.toBuilder() : null;
        }

        void add(Object e) {
            if (builder != null) {
                builder.add(e);
            } else {
                current = current.add(e);
            }
        }

        void removeAt(Object e) {
            if (builder != null) {
                builder.removeAt(e);
            } else {
                current = current.removeAt(e);
            }
        }

        ProtoSet result() {
            return builder != null ? builder.build() : current;
        }
    }

    /** The stored elements in the model's (reproducible) iteration order. */
    static List<Object> elements(HashMap<Object, Object> model) {
        return new ArrayList<>(model.values());
    }

    /**
     * Another set: {@code count} elements of one kind, plus every element of rank
     * {@code i * 1000 / selfPermille} of the current one (under another numeric type if it has one).
     */
    record Other(KeyKind kind, int start, int count, int step, int selfPermille) {
        List<Object> elements(HashMap<Object, Object> model) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                out.add(kind.of(start + i * step));
            }
            List<Object> self = ProtoSetProperties.elements(model);
            if (selfPermille > 0) {
                double stride = 1000.0 / selfPermille;
                for (double x = 0; x < self.size(); x += stride) {
                    out.add(KeyKind.sameKeyOtherType(self.get((int) x)));
                }
            }
            return out;
        }
    }

    record Add(Object element) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            t.add(element);
            model.putIfAbsent(canonical(element), element);
        }

        @Override
        public String toString() {
            return "add(" + show(element) + ")";
        }
    }

    record Remove(Object element) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            t.removeAt(element);
            model.remove(canonical(element));
        }

        @Override
        public String toString() {
            return "removeAt(" + show(element) + ")";
        }
    }

    record AddRange(KeyKind kind, int start, int count, int step)
            implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            for (int i = 0; i < count; i++) {
                Object e = kind.of(start + i * step);
                t.add(e);
                model.putIfAbsent(canonical(e), e);
            }
        }
    }

    record RemoveSpan(int fromPermille, int count) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            List<Object> all = elements(model);
            int from = (int) ((long) all.size() * fromPermille / 1000);
            for (Object e : all.subList(from, Math.min(all.size(), from + count))) {
                t.removeAt(e);
                model.remove(canonical(e));
            }
        }
    }

    record RemoveEvery(int nth, int offset) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            List<Object> all = elements(model);
            for (int i = offset % nth; i < all.size(); i += nth) {
                t.removeAt(all.get(i));
                model.remove(canonical(all.get(i)));
            }
        }
    }

    record Union(Other other) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            List<Object> elements = other.elements(model);
            if (t.builder != null) {
                elements.forEach(t::add);
            } else {
                t.current = t.current.union(ProtoSet.from(elements));
            }
            elements.forEach(e -> model.putIfAbsent(canonical(e), e));
        }
    }

    record Intersection(Other other) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            List<Object> elements = other.elements(model);
            Set<Object> keep = new HashSet<>();
            elements.forEach(e -> keep.add(canonical(e)));
            if (t.builder != null) {
                for (Object e : elements(model)) {
                    if (!keep.contains(canonical(e))) {
                        t.removeAt(e);
                    }
                }
            } else {
                t.current = t.current.intersection(ProtoSet.from(elements));
            }
            model.keySet().retainAll(keep);
        }
    }

    record Difference(Other other) implements Scenario.Edit<HashMap<Object, Object>, Target> {
        @Override
        public void apply(HashMap<Object, Object> model, Target t) {
            List<Object> elements = other.elements(model);
            if (t.builder != null) {
                elements.forEach(t::removeAt);
            } else {
                t.current = t.current.difference(ProtoSet.from(elements));
            }
            elements.forEach(e -> model.remove(canonical(e)));
        }
    }

    static final class ProtoSetScenario extends Scenario<ProtoSet, HashMap<Object, Object>, Target> {

        ProtoSetScenario() {
            super(ProtoSet.class);
        }

        @Override
        ProtoSet empty() {
            return ProtoSet.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N)
                    .withIndex(IndexChecks.N_COVERING);
        }

        @Override
        HashMap<Object, Object> newModel() {
            return new HashMap<>();
        }

        @Override
        HashMap<Object, Object> copy(HashMap<Object, Object> model) {
            return new HashMap<>(model);
        }

        @Override
        Target immutable(ProtoSet c) {
            return new Target(c, false);
        }

        @Override
        Target builder(ProtoSet c) {
            return new Target(c, true);
        }

        @Override
        ProtoSet result(Target target) {
            return target.result();
        }

        @Override
        long count(ProtoSet c) {
            return c.count();
        }

        @Override
        long size(HashMap<Object, Object> model) {
            return model.size();
        }

        @Override
        int height(ProtoSet c) {
            return treeHeight(c);
        }

        @Override
        void verify(ProtoSet s, HashMap<Object, Object> m, Random r, String where) {
            IndexChecks.verify(s, m.values(), r, where);
            assertThat(s.count()).as("%s: count()", where).isEqualTo(m.size());
            assertThat(s.isEmpty()).as("%s: isEmpty()", where).isEqualTo(m.isEmpty());
            Map<Object, Object> actual = new HashMap<>();
            long previousHash = 0;
            boolean first = true;
            for (Object e : s) {
                Object was = actual.put(canonical(e), e);
                assertThat(was).as("%s: element %s iterated twice", where, shown(e)).isNull();
                long h = StableHash.of(e);
                assertThat(first || Long.compareUnsigned(previousHash, h) <= 0)
                        .as("%s: iteration in stable-hash order at %s", where, shown(e)).isTrue();
                previousHash = h;
                first = false;
            }
            assertSameMap(where + ": elements (canonical -> stored)", actual, m);
            assertThat(s.stream().count()).as("%s: stream().count()", where).isEqualTo(m.size());
            assertThat(s.asSet().size()).as("%s: asSet().size()", where).isEqualTo(m.size());

            List<Object> all = elements(m);
            int lookups = all.size() <= 100 ? all.size() : 40;
            for (int j = 0; j < lookups; j++) {
                Object e = all.size() <= 100 ? all.get(j) : all.get(r.nextInt(all.size()));
                assertThat(s.has(e)).as("%s: has(%s)", where, shown(e)).isTrue();
                Object other = KeyKind.sameKeyOtherType(e);
                assertThat(s.has(other)).as("%s: has(%s)", where, shown(other)).isTrue();
            }
            for (int j = 0; j < 12; j++) {
                Object e = KINDS.get(r.nextInt(KINDS.size())).of(r.nextInt(4100) - 60);
                boolean expected = m.containsKey(canonical(e));
                assertThat(s.has(e)).as("%s: has(%s)", where, shown(e)).isEqualTo(expected);
                assertThat(s.asSet().contains(e)).as("%s: asSet().contains(%s)", where, shown(e)).isEqualTo(expected);
            }
        }

        @Override
        void verifyBuilder(Target t, HashMap<Object, Object> m, Random r, String where) {
            List<Object> all = elements(m);
            for (int j = 0; j < Math.min(32, all.size()); j++) {
                Object e = all.get(r.nextInt(all.size()));
                assertThat(t.builder.has(e)).as("%s: builder has(%s)", where, shown(e)).isTrue();
            }
            for (int j = 0; j < 8; j++) {
                Object e = KINDS.get(r.nextInt(KINDS.size())).of(r.nextInt(4100) - 60);
                assertThat(t.builder.has(e)).as("%s: builder has(%s)", where, shown(e))
                        .isEqualTo(m.containsKey(canonical(e)));
            }
        }
    }
}
