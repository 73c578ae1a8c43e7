package io.protobase.collection;

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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.protobase.collection.KeyKind.canonical;
import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.KeyKind.shown;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link CountedSet} behaves like a multiset ({@code Map<element, count>}): add one or n
 * occurrences, remove one, getCount, has, count of distinct elements, totalCount — through
 * immutable edits, builders, commits and reloads. (The Python reference double-counted after a
 * save and kept elements whose count reached zero.)
 */
@StatisticsReport(onFailureOnly = true)
class CountedSetProperties {

    /** One distinct element of the model: as first stored, with its occurrences. */
    record Counted(Object element, long count) {
        @Override
        public String toString() {
            return show(element) + "x" + count;
        }
    }

    /** The model: canonical element → occurrences, and their sum. */
    static final class Multiset {
        final HashMap<Object, Counted> counts = new HashMap<>();
        long total;

        void add(Object e, long n) {
            counts.compute(canonical(e),
                    (c, old) -> old == null ? new Counted(e, n) : new Counted(old.element(), old.count() + n));
            total += n;
        }

        void removeOne(Object e) {
            Counted old = counts.get(canonical(e));
            if (old != null) {
                total--;
                if (old.count() == 1) {
                    counts.remove(canonical(e));
                } else {
                    counts.put(canonical(e), new Counted(old.element(), old.count() - 1));
                }
            }
        }

        long countOf(Object e) {
            Counted c = counts.get(canonical(e));
            return c == null ? 0 : c.count();
        }

        /** Distinct elements as stored, in the model's (reproducible) iteration order. */
        List<Object> elements() {
            List<Object> out = new ArrayList<>(counts.size());
            for (Counted c : counts.values()) {
                out.add(c.element());
            }
            return out;
        }

        Multiset copy() {
            Multiset m = new Multiset();
            m.counts.putAll(counts);
            m.total = total;
            return m;
        }
    }

    @Property(tries = 50, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void countedSetBehavesLikeMultisetAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<CountedSet, Multiset, Target>> steps) {
        new CountedSetScenario().run(steps);
    }

    static final List<KeyKind> KINDS = HashDictionaryProperties.KINDS;

    @Provide
    Arbitrary<List<Scenario.Step<CountedSet, Multiset, Target>>> steps() {
        Arbitrary<Scenario.Edit<Multiset, Target>> fill = Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 100),
                Scenario.fillSizes(), uniform(1, 3), uniform(1, 3)).as(AddRange::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    Arbitrary<Scenario.Edit<Multiset, Target>> edits() {
        Arbitrary<Integer> batch = Scenario.batchSizes(2500);
        Arbitrary<Object> elements = HashDictionaryProperties.keys();
        return Arbitraries.frequencyOf(
                Tuple.of(5, elements.map(Add::new)),
                Tuple.of(3, Combinators.combine(elements, uniform(1, 20)).as(AddTimes::new)),
                Tuple.of(4, elements.map(Remove::new)),
                Tuple.of(3, Combinators.combine(uniform(0, 999), Arbitraries.of(true, false)).as(RemovePresent::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(KINDS), uniform(-100, 3000), batch, uniform(1, 7),
                        uniform(1, 3)).as(AddRange::new)),
                Tuple.of(2, Combinators.combine(uniform(0, 999), batch).as(RemoveSpan::new)),
                Tuple.of(1, Combinators.combine(uniform(1, 6), uniform(0, 5)).as(RemoveEvery::new)),
                Tuple.of(1, elements.map(AddZeroTimes::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private CountedSet current;
        private final CountedSet.Builder builder;

        Target(CountedSet start, boolean useBuilder) {
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

        void add(Object e, long times) {
            if (builder != null) {
                builder.add(e, times);
            } else {
                current = current.add(e, times);
            }
        }

        void removeAt(Object e) {
            if (builder != null) {
                builder.removeAt(e);
            } else {
                current = current.removeAt(e);
            }
        }

        CountedSet result() {
            return builder != null ? builder.build() : current;
        }
    }

    record Add(Object element) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            t.add(element);
            model.add(element, 1);
        }

        @Override
        public String toString() {
            return "add(" + show(element) + ")";
        }
    }

    record AddTimes(Object element, int times) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            t.add(element, times);
            model.add(element, times);
        }

        @Override
        public String toString() {
            return "add(" + show(element) + ", " + times + ")";
        }
    }

    /** {@code add(e, 0)} is refused and changes nothing. */
    record AddZeroTimes(Object element) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            assertThatThrownBy(() -> t.add(element, 0)).as("add(%s, 0)", shown(element))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Override
        public String toString() {
            return "add(" + show(element) + ", 0) refused";
        }
    }

    record Remove(Object element) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            t.removeAt(element);
            model.removeOne(element);
        }

        @Override
        public String toString() {
            return "removeAt(" + show(element) + ")";
        }
    }

    /** Removes one occurrence of a present element, or all of them, optionally named with another type. */
    record RemovePresent(int permille, boolean all) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            List<Object> elements = model.elements();
            if (elements.isEmpty()) {
                return;
            }
            Object e = KeyKind.sameKeyOtherType(elements.get((int) ((long) elements.size() * permille / 1000)));
            long n = all ? model.countOf(e) : 1;
            for (long i = 0; i < n; i++) {
                t.removeAt(e);
                model.removeOne(e);
            }
        }
    }

    record AddRange(KeyKind kind, int start, int count, int step, int times)
            implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            for (int i = 0; i < count; i++) {
                Object e = kind.of(start + i * step);
                if (times == 1) {
                    t.add(e);
                } else {
                    t.add(e, times);
                }
                model.add(e, times);
            }
        }
    }

    record RemoveSpan(int fromPermille, int count) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            List<Object> all = model.elements();
            int from = (int) ((long) all.size() * fromPermille / 1000);
            for (Object e : all.subList(from, Math.min(all.size(), from + count))) {
                t.removeAt(e);
                model.removeOne(e);
            }
        }
    }

    record RemoveEvery(int nth, int offset) implements Scenario.Edit<Multiset, Target> {
        @Override
        public void apply(Multiset model, Target t) {
            List<Object> all = model.elements();
            for (int i = offset % nth; i < all.size(); i += nth) {
                t.removeAt(all.get(i));
                model.removeOne(all.get(i));
            }
        }
    }

    static final class CountedSetScenario extends Scenario<CountedSet, Multiset, Target> {

        CountedSetScenario() {
            super(CountedSet.class);
        }

        @Override
        CountedSet empty() {
            return CountedSet.empty();
        }

        @Override
        Multiset newModel() {
            return new Multiset();
        }

        @Override
        Multiset copy(Multiset model) {
            return model.copy();
        }

        @Override
        Target immutable(CountedSet c) {
            return new Target(c, false);
        }

        @Override
        Target builder(CountedSet c) {
            return new Target(c, true);
        }

        @Override
        CountedSet result(Target target) {
            return target.result();
        }

        @Override
        long count(CountedSet c) {
            return c.count();
        }

        @Override
        long size(Multiset model) {
            return model.counts.size();
        }

        @Override
        int height(CountedSet c) {
            return treeHeight(c);
        }

        @Override
        void verify(CountedSet s, Multiset m, Random r, String where) {
            assertThat(s.count()).as("%s: count() (distinct)", where).isEqualTo(m.counts.size());
            assertThat(s.totalCount()).as("%s: totalCount()", where).isEqualTo(m.total);
            assertThat(s.isEmpty()).as("%s: isEmpty()", where).isEqualTo(m.counts.isEmpty());
            Map<Object, Counted> actual = new HashMap<>();
            long previousHash = 0;
            boolean first = true;
            for (Iterator<Map.Entry<Object, Long>> it = s.counts(); it.hasNext(); ) {
                Map.Entry<Object, Long> e = it.next();
                Counted was = actual.put(canonical(e.getKey()), new Counted(e.getKey(), e.getValue()));
                assertThat(was).as("%s: element %s iterated twice", where, shown(e.getKey())).isNull();
                long h = StableHash.of(e.getKey());
                assertThat(first || Long.compareUnsigned(previousHash, h) <= 0)
                        .as("%s: iteration in stable-hash order at %s", where, shown(e.getKey())).isTrue();
                previousHash = h;
                first = false;
            }
            assertSameMap(where + ": counts()", actual, m.counts);
            assertThat(s.stream().count()).as("%s: stream().count()", where).isEqualTo(m.counts.size());

            List<Object> all = m.elements();
            int lookups = all.size() <= 100 ? all.size() : 40;
            for (int j = 0; j < lookups; j++) {
                Object e = all.size() <= 100 ? all.get(j) : all.get(r.nextInt(all.size()));
                assertThat(s.getCount(e)).as("%s: getCount(%s)", where, shown(e)).isEqualTo(m.countOf(e));
                assertThat(s.has(e)).as("%s: has(%s)", where, shown(e)).isTrue();
                Object other = KeyKind.sameKeyOtherType(e);
                assertThat(s.getCount(other)).as("%s: getCount(%s)", where, shown(other)).isEqualTo(m.countOf(e));
            }
            for (int j = 0; j < 12; j++) {
                Object e = KINDS.get(r.nextInt(KINDS.size())).of(r.nextInt(4100) - 60);
                assertThat(s.getCount(e)).as("%s: getCount(%s)", where, shown(e)).isEqualTo(m.countOf(e));
                assertThat(s.has(e)).as("%s: has(%s)", where, shown(e)).isEqualTo(m.countOf(e) > 0);
            }
        }

        @Override
        void verifyBuilder(Target t, Multiset m, Random r, String where) {
            List<Object> all = m.elements();
            for (int j = 0; j < Math.min(32, all.size()); j++) {
                Object e = all.get(r.nextInt(all.size()));
                assertThat(t.builder.getCount(e)).as("%s: builder getCount(%s)", where, shown(e))
                        .isEqualTo(m.countOf(e));
            }
        }
    }
}
